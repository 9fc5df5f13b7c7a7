/* splicectl inspect's flow decoding on real handshakes, bytes in, the
 * printed lines out: the decoder fixes found on real captures.
 *
 * The handshakes are the committed fuzz seeds (tests/fuzz/seeds/inspect:
 * real openssl s_client/s_server exchanges, as segments "u8 flags (bit 0
 * client), s16 seq delta, u8 length, payload"); each test replays them
 * with the change a capture showed (a second hello, a SYN-ACK with a new
 * ISN, a segment far outside the window) and compares the output. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/splicectl/inspect.h"

struct seg {
	bool client;
	const uint8_t *p;
	size_t len;
};

struct seed {
	uint8_t raw[4096];
	struct seg segs[32];
	unsigned n;
};

static void load(struct seed *s, const char *name)
{
	char path[512];
	const char *src = getenv("SPLICEKIT_SRC");
	FILE *f;
	size_t len, i = 0;

	cr_assert(src, "SPLICEKIT_SRC is not set");
	snprintf(path, sizeof(path), "%s/tests/fuzz/seeds/inspect/%s", src, name);
	f = fopen(path, "rb");
	cr_assert(f, "cannot open %s", path);
	len = fread(s->raw, 1, sizeof(s->raw), f);
	fclose(f);
	s->n = 0;
	while (i + 4 <= len && s->n < 32) {
		size_t n = s->raw[i + 3];

		cr_assert(i + 4 + n <= len);
		s->segs[s->n++] = (struct seg){s->raw[i] & 1, s->raw + i + 4, n};
		i += 4 + n;
	}
}

struct rig {
	struct sc_flow fl;
	struct sc_out out;
	char *text;
	size_t text_len;
	uint64_t frame;
	uint32_t next[2]; /* [0] server, [1] client */
};

static void rig_start(struct rig *r, bool json)
{
	memset(r, 0, sizeof(*r));
	r->fl.family = 2; /* AF_INET */
	memcpy(r->fl.caddr, "\x0a\x00\x00\x01", 4);
	memcpy(r->fl.saddr, "\x0a\x00\x00\x02", 4);
	r->fl.cport = 40000;
	r->fl.sport = 443;
	r->out.f = open_memstream(&r->text, &r->text_len);
	r->out.json = json;
	r->out.keyconf = tls_key_conf_new();
	r->next[0] = 5000;
	r->next[1] = 1000;
	sc_out_begin(&r->out, "golden");
}

/* Sends a SYN (client) or SYN-ACK (server) with ISN isn. */
static void syn(struct rig *r, bool client, uint32_t isn)
{
	cr_assert_eq(sc_dir_segment(&r->fl, client, isn, true, NULL, 0, ++r->frame,
				    &r->out), 0);
	r->next[client] = isn + 1;
}

static void seg_at(struct rig *r, bool client, uint32_t seq, const uint8_t *p,
		   size_t n)
{
	cr_assert_eq(sc_dir_segment(&r->fl, client, seq, false, p, n, ++r->frame,
				    &r->out), 0);
}

static void seg(struct rig *r, bool client, const uint8_t *p, size_t n)
{
	seg_at(r, client, r->next[client], p, n);
	r->next[client] += (uint32_t)n;
}

/* Replays the seed's segments from index from on. */
static void replay(struct rig *r, const struct seed *s, unsigned from)
{
	for (unsigned i = from; i < s->n; i++)
		seg(r, s->segs[i].client, s->segs[i].p, s->segs[i].len);
}

static const char *rig_end(struct rig *r)
{
	sc_dir_release(&r->fl, true);
	sc_dir_release(&r->fl, false);
	sc_out_end(&r->out, r->frame, 1, r->fl.is_tls, 0, NULL);
	fclose(r->out.f);
	tls_key_conf_free((struct tls_key_conf *)r->out.keyconf);
	return r->text;
}

/* A second ClientHello that the parser never read (no HelloRetryRequest
 * was captured, so it was not restarted) used to be printed with the first
 * hello's session ID, SNI and key. */
Test(inspect_golden, unread_hello_has_no_fields)
{
	static struct seed s;
	struct rig r;
	const char *out, *second;
	uint8_t hello[512];
	size_t n = 0;

	load(&s, "tls12_full");
	/* The client's first segment holds exactly its ClientHello record. */
	cr_assert_eq(s.segs[0].p[0], 22);
	n = 5 + (size_t)(s.segs[0].p[3] << 8 | s.segs[0].p[4]);
	cr_assert_eq(n, s.segs[0].len);
	memcpy(hello, s.segs[0].p, n);
	rig_start(&r, false);
	seg(&r, true, hello, n);
	seg(&r, true, hello, n);
	out = rig_end(&r);
	second = strchr(out, '\n');
	cr_assert(second, "%s", out);
	cr_assert(strstr(out, "client_hello legacy=TLS1.2") &&
		  strstr(out, "client_hello legacy=TLS1.2") < second,
		  "first hello decoded: %s", out);
	cr_assert_str_eq(second + 1,
			 "#2 stream 0 10.0.0.1:40000 > 10.0.0.2:443 client_hello unparsed\n");
	free(r.text);
}

/* A server that answers a retransmitted SYN with a SYN-ACK carrying a new
 * ISN (a SYN-cookie server, or one that dropped the first half-open entry)
 * sends its data from the new ISN: reassembly must follow it. */
Test(inspect_golden, synack_with_new_isn_restarts_reassembly)
{
	static struct seed s;
	struct rig r;
	const char *out;

	load(&s, "tls12_full");
	rig_start(&r, true);
	syn(&r, true, 999);
	syn(&r, false, 70000);
	syn(&r, false, 4000000); /* a new ISN, far from the first one */
	replay(&r, &s, 0);
	out = rig_end(&r);
	cr_assert(strstr(out, "\"dir\":\"s2c\",\"type_id\":2,\"type\":\"server_hello\""),
		  "no server_hello: %s", out);
	cr_assert(strstr(out, "\"type\":\"server_hello_done\""), "%s", out);
	cr_assert(strstr(out, "\"what\":\"server: SYN-ACK repeated with a new ISN before "
			      "any data; reassembly restarted\""), "%s", out);
	free(r.text);
}

/* A segment far outside the window (a stray of another connection on the
 * same ports) is dropped and reported, and decoding goes on. */
Test(inspect_golden, far_out_of_window_reported)
{
	static struct seed s;
	struct rig r;
	const char *out;

	load(&s, "tls12_full");
	rig_start(&r, true);
	syn(&r, true, 999);
	syn(&r, false, 70000);
	seg(&r, true, s.segs[0].p, s.segs[0].len);
	seg_at(&r, true, r.next[1] + 0x50000000u, (const uint8_t *)"junk", 4);
	replay(&r, &s, 1);
	out = rig_end(&r);
	cr_assert(strstr(out, "\"what\":\"client: 4 bytes at seq 1342178497 dropped, far "
			      "outside the window (next expected 1217)\""), "%s", out);
	cr_assert(strstr(out, "\"type\":\"client_key_exchange\""), "%s", out);
	free(r.text);
}

/* --json prints a PSK identity whole (a 32-byte stateful TLS 1.3
 * identity must be matchable), the text keeps abbreviating it. */
Test(inspect_golden, json_psk_identity_whole)
{
	static struct seed s;
	struct rig r;
	const char *out, *id, *len;
	size_t hexlen;
	unsigned n = 0;

	load(&s, "tls13_psk");
	rig_start(&r, true);
	replay(&r, &s, 0);
	out = rig_end(&r);
	len = strstr(out, "\"psk_identities\":[{\"len\":");
	cr_assert(len, "%s", out);
	cr_assert_eq(sscanf(len + strlen("\"psk_identities\":[{\"len\":"), "%u", &n), 1);
	id = strstr(len, "\"identity\":\"");
	cr_assert(id, "%s", out);
	id += strlen("\"identity\":\"");
	hexlen = strcspn(id, "\"");
	cr_assert_gt(n, 16u);
	cr_assert_eq(hexlen, 2 * (size_t)n, "identity of %u bytes printed as %zu hex digits",
		     n, hexlen);
	free(r.text);

	rig_start(&r, false);
	replay(&r, &s, 0);
	out = rig_end(&r);
	cr_assert(strstr(out, " psk0="), "%s", out);
	free(r.text);
}
