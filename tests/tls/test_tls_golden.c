/* Golden bytes: ClientHellos and server streams captured from the openssl
 * command-line tools (recipe: golden/make.sh), with the fields expected
 * from each as decoded independently by tshark 4.0:
 *   od -Ax -tx1 -v F.bin | text2pcap -T 40000,443 - F.pcap
 *   tshark -r F.pcap -d tcp.port==443,tls -T fields -e tls.handshake...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <splicekit/tls.h>

static size_t load(const char *name, uint8_t *buf, size_t cap)
{
	char path[512];
	const char *src = getenv("SPLICEKIT_SRC");
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/tls/golden/%s", src ? src : ".", name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	cr_assert_gt(n, 0);
	return n;
}

static void unhex(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i]; i++) {
		unsigned v;

		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

struct golden_ch {
	const char *file;
	uint16_t record_version, client_version, max_version;
	size_t hs_len;
	unsigned sid_len;
	size_t cipher_suites_len;
	const char *sni;
	unsigned alpn_count;
	bool has_versions, has_ticket_ext;
	unsigned ext_count;
	int keys; /* tls_key_derive with no config */
};

static const struct golden_ch chs[] = {
	{"ch12.bin", 0x0301, 0x0303, 0x0303, 216, 0, 56, "golden.example", 2,
	 false, false, 7, 0},
	/* -tls1_3 offers only 1.3: its 32-byte legacy ID is never a key. */
	{"ch13.bin", 0x0301, 0x0303, 0x0304, 239, 32, 8, "golden.example", 2,
	 true, true, 11, 0},
};

Test(golden, client_hellos)
{
	uint8_t b[4096];

	for (size_t i = 0; i < sizeof(chs) / sizeof(chs[0]); i++) {
		const struct golden_ch *g = &chs[i];
		size_t n = load(g->file, b, sizeof(b));

		for (size_t piece = 1; piece <= n; piece = piece * 2 + 1) {
			struct tls_ch *p = tls_ch_new(0);
			const struct tls_client_hello *ch;
			const uint8_t *name;
			size_t len;
			struct tls_key k;
			int rc = 0;

			for (size_t off = 0; off < n && rc == 0; off += piece)
				rc = tls_ch_feed(p, b + off, off + piece > n ? n - off : piece);
			cr_assert_eq(rc, TLS_DONE, "%s piece %zu: %s", g->file, piece,
				     tls_reason_str(tls_ch_reason(p)));
			ch = tls_ch_result(p);
			cr_assert_eq(ch->record_version, g->record_version);
			cr_assert_eq(ch->client_version, g->client_version);
			cr_assert_eq(ch->max_version, g->max_version);
			cr_assert_eq(ch->hs_len, g->hs_len);
			cr_assert_eq(ch->session_id_len, g->sid_len);
			cr_assert_eq(ch->cipher_suites_len, g->cipher_suites_len);
			cr_assert_str_eq(ch->sni, g->sni);
			cr_assert_eq(ch->alpn_count, g->alpn_count);
			cr_assert_eq(tls_ch_alpn(ch, 1, &name, &len), 0);
			cr_assert_arr_eq(name, "http/1.1", 8);
			cr_assert_eq(ch->has_versions, g->has_versions);
			cr_assert_eq(ch->has_ticket_ext, g->has_ticket_ext);
			cr_assert_eq(ch->ticket_len, 0);
			cr_assert_not(ch->has_psk);
			cr_assert_eq(ch->ext_count, g->ext_count);
			cr_assert_arr_eq(ch->random, b + 11, 32);
			cr_assert_eq(tls_key_derive(NULL, ch, &k, 1), g->keys);
			cr_assert_eq(tls_ch_offset(p), n);
			tls_ch_free(p);
		}
	}
}

Test(golden, server_tls12_until_alert)
{
	/* s_server's first flight, then the alert it sent when the capture
	 * closed: what was learned before the alert stays readable. */
	uint8_t b[4096], sid[32];
	size_t n = load("sh12.bin", b, sizeof(b));
	struct tls_srv *p = tls_srv_new(0);
	const struct tls_server_stream *s;
	struct tls_key k;

	unhex("ad2b74c0bd79d361c22ccd14648b2aa5561e742763e486f9724049bba489337d", sid);
	cr_assert_eq(tls_srv_feed(p, b, n), -EBADMSG);
	cr_assert_eq(tls_srv_reason(p), TLS_R_ALERT);
	s = tls_srv_result(p);
	cr_assert(s->seen_hello);
	cr_assert_not(s->seen_hrr);
	cr_assert_eq(s->record_version, 0x0303);
	cr_assert_eq(s->version, 0x0303);
	cr_assert_eq(s->cipher_suite, 0xc02c);
	cr_assert_eq(s->session_id_len, 32);
	cr_assert_arr_eq(s->session_id, sid, 32);
	cr_assert_not(s->resumed);
	cr_assert_not(s->encrypted);
	cr_assert_eq(tls_key_learn(s, &k), 1);
	cr_assert_arr_eq(k.bytes, sid, 32);
	tls_srv_free(p);
}

Test(golden, server_tls13_stops_at_ccs)
{
	uint8_t b[4096], ch[4096], sid[32];
	size_t n = load("sh13.bin", b, sizeof(b));
	struct tls_srv *p = tls_srv_new(0);
	const struct tls_server_stream *s;
	struct tls_key k;

	/* The server echoes ch13.bin's legacy_session_id (offset 44). */
	load("ch13.bin", ch, sizeof(ch));
	unhex("32a6552934558fe1a6735a23cbd825d5b0f210697ec3487458425782518ae888", sid);
	cr_assert_arr_eq(ch + 44, sid, 32);
	for (size_t i = 0; i < n; i++) {
		int rc = tls_srv_feed(p, b + i, 1);

		if (rc == TLS_DONE)
			break;
		cr_assert_eq(rc, TLS_MORE, "byte %zu: %s", i,
			     tls_reason_str(tls_srv_reason(p)));
	}
	s = tls_srv_result(p);
	cr_assert(s->encrypted);
	cr_assert_eq(s->version, 0x0304);
	cr_assert_eq(s->legacy_version, 0x0303);
	cr_assert_eq(s->cipher_suite, 0x1302);
	cr_assert_arr_eq(s->session_id, sid, 32);
	cr_assert_eq(tls_key_learn(s, &k), 0);
	/* ServerHello record (5 + 0x7a) plus the CCS header. */
	cr_assert_eq(tls_srv_offset(p), 5 + 0x7a + 5);
	tls_srv_free(p);
}
