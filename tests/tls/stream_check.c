/* Prints what the parsers see in recorded byte streams, one key=value per
 * line, for shell tests with real peers (nginx_tickets.sh).
 * Usage: tls_stream_check TICKET_KEY_FILE C2S_FILE S2C_FILE
 * The key file's key_name is configured as a ticket prefix of backend 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splicekit/tls.h>

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		exit(2);
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	static uint8_t c2s[1 << 16], s2c[1 << 16];
	uint8_t key[128], name[16];
	struct tls_key k[TLS_KEY_CANDIDATES];
	struct tls_key_conf *conf = tls_key_conf_new();
	struct tls_ch *cp = tls_ch_new(0);
	struct tls_srv *sp = tls_srv_new(0);
	const struct tls_client_hello *ch;
	const struct tls_server_stream *s;
	size_t kn, cn, sn;
	int rc, nk;

	if (argc != 4) {
		fprintf(stderr, "usage: %s KEYFILE C2S S2C\n", argv[0]);
		return 2;
	}
	kn = slurp(argv[1], key, sizeof(key));
	cn = slurp(argv[2], c2s, sizeof(c2s));
	sn = slurp(argv[3], s2c, sizeof(s2c));
	if (!conf || !cp || !sp || tls_ticket_key_name(key, kn, name) < 0 ||
	    tls_key_conf_add_prefix(conf, TLS_PREFIX_TICKET, name, 16, 1) < 0) {
		fprintf(stderr, "bad key file or no memory\n");
		return 2;
	}
	/* One byte at a time, as the worst network would deliver it. */
	rc = 0;
	for (size_t i = 0; i < cn && rc == 0; i++)
		rc = tls_ch_feed(cp, c2s + i, 1);
	printf("ch=%s\n", rc == TLS_DONE ? "done" : tls_reason_str(tls_ch_reason(cp)));
	if (rc != TLS_DONE)
		return 1;
	ch = tls_ch_result(cp);
	printf("sni=%s\n", ch->has_sni ? ch->sni : "");
	printf("max_version=%04x\n", ch->max_version);
	printf("alpn=");
	for (unsigned i = 0; i < ch->alpn_count; i++) {
		const uint8_t *a;
		size_t al;

		if (tls_ch_alpn(ch, i, &a, &al) == 0)
			printf("%s%.*s", i ? "," : "", (int)al, (const char *)a);
	}
	printf("\n");
	printf("ticket_len=%zu\n", ch->has_ticket_ext ? ch->ticket_len : 0);
	printf("psk=%u\n", ch->psk_count);
	nk = tls_key_derive(conf, ch, k, TLS_KEY_CANDIDATES);
	printf("key=%s:%d\n", nk > 0 ? tls_key_kind_str(k[0].kind) : "none",
	       nk > 0 ? k[0].backend : -1);

	tls_srv_set_offered(sp, ch->session_id, ch->session_id_len);
	rc = tls_srv_feed(sp, s2c, sn);
	s = tls_srv_result(sp);
	printf("srv=%s\n", rc == TLS_DONE ? "done" : tls_reason_str(tls_srv_reason(sp)));
	printf("version=%04x\n", s->version);
	printf("resumed=%d\n", s->resumed);
	printf("new_ticket=%d\n", s->has_ticket);
	if (s->has_ticket)
		printf("new_ticket_prefix_ok=%d\n",
		       s->ticket_len >= 16 && memcmp(s->ticket, name, 16) == 0);
	tls_ch_free(cp);
	tls_srv_free(sp);
	tls_key_conf_free(conf);
	return 0;
}
