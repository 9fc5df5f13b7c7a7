/* Writes real OpenSSL handshake streams (gen.c) into DIR/c2s/ and
 * DIR/s2c/ as fuzz seed corpora: TLS 1.2 full, session-ID and ticket
 * resumption, TLS 1.3 full, PSK resumption and HRR.
 * Usage: tls_dump_seeds DIR */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gen.h"

static const uint8_t alpn[] = "\x02h2\x08http/1.1";
static const uint8_t name[16] = "0123456789abcdef";

static int save(const char *dir, const char *sub, const char *tag,
		const uint8_t *b, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/%s/%s.bin", dir, sub, tag);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	if (fwrite(b, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int pair(const char *dir, const char *tag, const struct gen_opts *o)
{
	struct gen_ctx g;
	struct gen_run r1, r2;
	char t[64];
	int rc = -1;

	if (gen_ctx_init(&g, o) < 0)
		return -1;
	if (gen_handshake(&g, "seed.example", alpn, sizeof(alpn) - 1, NULL, &r1) < 0)
		goto free_ctx;
	if (gen_handshake(&g, "seed.example", alpn, sizeof(alpn) - 1, r1.session, &r2) < 0)
		goto free_r1;
	snprintf(t, sizeof(t), "%s-full", tag);
	if (save(dir, "c2s", t, r1.c2s, r1.c2s_len) < 0 ||
	    save(dir, "s2c", t, r1.s2c, r1.s2c_len) < 0)
		goto free_r2;
	snprintf(t, sizeof(t), "%s-resume", tag);
	if (save(dir, "c2s", t, r2.c2s, r2.c2s_len) < 0 ||
	    save(dir, "s2c", t, r2.s2c, r2.s2c_len) < 0)
		goto free_r2;
	rc = 0;
free_r2:
	gen_run_free(&r2);
free_r1:
	gen_run_free(&r1);
free_ctx:
	gen_ctx_free(&g);
	return rc;
}

int main(int argc, char **argv)
{
	const struct gen_opts o12sid = {.max_version = TLS1_2_VERSION, .no_tickets = true};
	const struct gen_opts o12t = {.max_version = TLS1_2_VERSION, .ticket_name = name};
	const struct gen_opts o13 = {.max_version = TLS1_3_VERSION, .ticket_name = name};
	const struct gen_opts o13hrr = {.max_version = TLS1_3_VERSION,
					.server_groups = "P-256",
					.client_groups = "X25519:P-256"};

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
		perror(argv[1]);
		return 1;
	}
	if (pair(argv[1], "tls12-sid", &o12sid) < 0 || pair(argv[1], "tls12-ticket", &o12t) < 0 ||
	    pair(argv[1], "tls13", &o13) < 0 || pair(argv[1], "tls13-hrr", &o13hrr) < 0) {
		fprintf(stderr, "%s: handshake or write failed\n", argv[0]);
		return 1;
	}
	return 0;
}
