/* Benchmark: ClientHello inspection cost, splicekit's incremental parser
 * against OpenSSL's own server-side ClientHello processing (a fresh SSL
 * fed the same bytes through a memory BIO, stopped in the client_hello
 * callback after reading SNI: what a TLS-terminating balancer pays before
 * it can route). Hellos are real, made by libssl at start-up (gen.c).
 *
 * Usage: tls_parse_bench [seconds-per-case]   (default 1.0)
 * Prints ns per hello for each case and the ratios in one run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>

#include <splicekit/tls.h>

#include "../../tests/tls/gen.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile size_t sink;

static int ch_cb(SSL *s, int *al, void *arg)
{
	const unsigned char *p;
	size_t len;

	if (SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &p, &len) == 1)
		sink += len;
	return SSL_CLIENT_HELLO_ERROR; /* stop here: routing decided */
}

struct job {
	const uint8_t *b;
	size_t n, piece;
	struct tls_ch *p;
	SSL_CTX *ctx;
};

static void run_splicekit(struct job *j)
{
	tls_ch_reset(j->p);
	for (size_t off = 0; off < j->n; off += j->piece)
		if (tls_ch_feed(j->p, j->b + off,
				off + j->piece > j->n ? j->n - off : j->piece) != 0)
			break;
	sink += tls_ch_result(j->p)->sni_len;
}

static void run_openssl(struct job *j)
{
	SSL *s = SSL_new(j->ctx);
	BIO *in = BIO_new_mem_buf(j->b, (int)j->n), *out = BIO_new(BIO_s_mem());

	SSL_set_bio(s, in, out);
	SSL_set_accept_state(s);
	(void)SSL_do_handshake(s);
	SSL_free(s);
}

/* Calls fn in batches until secs have passed; returns ns per call. */
static double timed(double secs, void (*fn)(struct job *), struct job *j)
{
	double t0 = now(), t;
	unsigned long calls = 0;

	do {
		for (int i = 0; i < 64; i++, calls++)
			fn(j);
		t = now();
	} while (t - t0 < secs);
	return (t - t0) * 1e9 / (double)calls;
}

int main(int argc, char **argv)
{
	static const uint8_t alpn[] = "\x02h2\x08http/1.1";
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	struct gen_opts o12 = {.max_version = TLS1_2_VERSION};
	struct gen_opts o13 = {.max_version = TLS1_3_VERSION};
	struct {
		const char *name;
		struct gen_opts *o;
		bool resume;
	} cases[] = {
		{"tls1.2-full", &o12, false},
		{"tls1.2-ticket-resume", &o12, true},
		{"tls1.3-full", &o13, false},
		{"tls1.3-psk-resume", &o13, true},
	};

	if (secs <= 0 || secs > 60) {
		fprintf(stderr, "seconds per case must be in (0, 60]\n");
		return 2;
	}
	printf("%-22s %6s %12s %12s %12s %9s\n", "hello", "bytes", "sk-whole-ns",
	       "sk-1byte-ns", "openssl-ns", "ratio");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gen_ctx g;
		struct gen_run r1, r2, *r;
		double w, one, os;
		size_t len;

		if (gen_ctx_init(&g, cases[i].o) < 0 ||
		    gen_handshake(&g, "bench.example", alpn, sizeof(alpn) - 1, NULL, &r1) < 0 ||
		    gen_handshake(&g, "bench.example", alpn, sizeof(alpn) - 1,
				  cases[i].resume ? r1.session : NULL, &r2) < 0) {
			fprintf(stderr, "%s: handshake failed\n", cases[i].name);
			return 1;
		}
		r = &r2;
		/* The hello is the first record(s); the parser stops there. */
		len = r->c2s_len;
		SSL_CTX_set_client_hello_cb(g.sctx, ch_cb, NULL);
		{
			struct job j = {.b = r->c2s, .n = len, .piece = len,
					.p = tls_ch_new(0), .ctx = g.sctx};

			w = timed(secs, run_splicekit, &j);
			j.piece = 1;
			one = timed(secs, run_splicekit, &j);
			os = timed(secs, run_openssl, &j);
			tls_ch_free(j.p);
		}
		printf("%-22s %6zu %12.0f %12.0f %12.0f %8.1fx\n", cases[i].name,
		       (size_t)(5 + (r->c2s[3] << 8 | r->c2s[4])), w, one, os, os / w);
		gen_run_free(&r1);
		gen_run_free(&r2);
		gen_ctx_free(&g);
	}
	printf("ratio = openssl-ns / sk-whole-ns (higher: splicekit cheaper)\n");
	return 0;
}
