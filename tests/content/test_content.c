/* A connection's first bytes to a pool: real OpenSSL ClientHellos (TLS 1.2
 * and 1.3, tests/tls/gen.c) and the real HTTP heads of tests/http/golden,
 * fed whole and one byte at a time, through the content rules. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tls/gen.h"
#include "content.h"

static struct rule_set set;

/* pool 1: sni api.example.com; pool 2: sni *.example.com + alpn h2;
 * pool 3: host shop.example.com + cookie SERVERID=s2; pool 4: path /v1/;
 * default 0. */
static void rules(void)
{
	static const char *const r[][4] = {
		{"sni", "api.example.com", NULL, NULL},
		{"sni", "*.example.com", "alpn", "h2"},
		{"host", "shop.example.com", "cookie", "SERVERID=s2"},
		{"path", "/v1/", NULL, NULL},
	};

	rule_set_init(&set);
	for (unsigned i = 0; i < 4; i++) {
		struct rule ru = {.pool = i + 1};
		const char *why;

		for (unsigned k = 0; k < 4 && r[i][k]; k += 2)
			cr_assert_eq(rule_cond_parse(&set, &ru.cond[ru.ncond++], r[i][k],
						     r[i][k + 1], &why), 0);
		cr_assert_eq(rule_set_add(&set, &ru), 0);
	}
}

static void done(void)
{
	rule_set_free(&set);
}

TestSuite(content, .init = rules, .fini = done);

/* Feeds buf whole (step 0) or in step-byte pieces; returns the pool. */
static unsigned route(const uint8_t *buf, size_t len, size_t step,
		      enum content_kind want_kind, int want_err)
{
	struct content *c = content_new(&set);
	int r = CONTENT_MORE;
	size_t off = 0;
	unsigned pool;

	cr_assert(c);
	while (off < len && r == CONTENT_MORE) {
		size_t n = step && step < len - off ? step : len - off;

		r = content_feed(c, buf + off, n);
		off += n;
	}
	if (r == CONTENT_MORE)
		r = content_eof(c);
	cr_assert_eq(r, CONTENT_DONE);
	cr_assert_eq(content_kind_of(c), want_kind);
	cr_assert_eq(content_error(c), want_err, "error %d", content_error(c));
	pool = rule_pick(&set, content_input(c), 0);
	content_free(c);
	return pool;
}

static void hello(int version, const char *sni, const char *alpn, unsigned want)
{
	struct gen_opts o = {.max_version = version};
	struct gen_ctx g;
	struct gen_run run;
	uint8_t wire[64];
	size_t wl = 0;

	/* ALPN in wire form from "a,b" */
	for (const char *p = alpn; p && *p;) {
		size_t n = strcspn(p, ",");

		wire[wl++] = (uint8_t)n;
		memcpy(wire + wl, p, n);
		wl += n;
		p += n + (p[n] == ',');
	}
	cr_assert_eq(gen_ctx_init(&g, &o), 0);
	cr_assert_eq(gen_handshake(&g, sni, alpn ? wire : NULL, wl, NULL, &run), 0);
	cr_assert_eq(route(run.c2s, run.c2s_len, 0, CONTENT_TLS, 0), want,
		     "%s %s whole", sni, alpn);
	cr_assert_eq(route(run.c2s, run.c2s_len, 1, CONTENT_TLS, 0), want,
		     "%s %s bytewise", sni, alpn);
	gen_run_free(&run);
	gen_ctx_free(&g);
}

Test(content, tls_sni_and_alpn)
{
	for (int v = 0; v < 2; v++) {
		int ver = v ? TLS1_3_VERSION : TLS1_2_VERSION;

		hello(ver, "api.example.com", "h2,http/1.1", 1);
		hello(ver, "www.example.com", "h2,http/1.1", 2);
		hello(ver, "www.example.com", "http/1.1", 0);
		hello(ver, "www.example.org", "h2", 0);
		hello(ver, NULL, "h2", 0);
	}
}

static uint8_t *load(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	uint8_t *buf = malloc(65536);

	snprintf(path, sizeof(path), "%s/tests/http/golden/%s.req",
		 getenv("SPLICEKIT_SRC"), name);
	f = fopen(path, "rb");
	cr_assert(f, "cannot open %s", path);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

Test(content, http_host_cookie_path)
{
	static const struct {
		const char *file;
		unsigned pool;
	} t[] = {
		{"curl_cookie", 3},   /* Host Shop.Example.COM, SERVERID=s2 */
		{"curl_post", 4},     /* POST /v1/items */
		{"wrk_header", 0},    /* img.example.com, SERVERID=s3 */
		{"chrome_shape", 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len;
		uint8_t *b = load(t[i].file, &len);

		cr_assert_eq(route(b, len, 0, CONTENT_HTTP, 0), t[i].pool, "%s", t[i].file);
		cr_assert_eq(route(b, len, 1, CONTENT_HTTP, 0), t[i].pool, "%s", t[i].file);
		free(b);
	}
}

Test(content, neither_goes_to_default_at_once)
{
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	struct content *c = content_new(&set);

	/* the banner's line end decides: no waiting for a timeout */
	cr_assert_eq(content_feed(c, ssh, sizeof(ssh) - 2), CONTENT_MORE);
	cr_assert_eq(content_feed(c, "\n", 1), CONTENT_DONE);
	cr_assert_eq(content_kind_of(c), CONTENT_OTHER);
	cr_assert_eq(content_error(c), -EPROTONOSUPPORT);
	cr_assert_eq(rule_pick(&set, content_input(c), 7), 7);
	content_free(c);
}

Test(content, no_http_rules_means_no_http_parsing)
{
	struct rule_set tls_only;
	struct rule r = {.pool = 1, .ncond = 1};
	const char *why;
	struct content *c;

	rule_set_init(&tls_only);
	cr_assert_eq(rule_cond_parse(&tls_only, &r.cond[0], "sni", "a.example", &why), 0);
	cr_assert_eq(rule_set_add(&tls_only, &r), 0);
	c = content_new(&tls_only);
	cr_assert_eq(content_feed(c, "GET / HTTP/1.1\r\n", 16), CONTENT_DONE);
	cr_assert_eq(content_kind_of(c), CONTENT_OTHER);
	cr_assert_eq(content_error(c), 0);
	cr_assert_null(content_hello(c));
	content_free(c);
	rule_set_free(&tls_only);
}

Test(content, eof_before_the_end)
{
	struct content *c = content_new(&set);

	cr_assert_eq(content_feed(c, "GET /v1/x HTTP/1.1\r\nHost: a\r\n", 29), CONTENT_MORE);
	cr_assert_eq(content_eof(c), CONTENT_DONE);
	cr_assert_eq(content_error(c), -EBADMSG);
	cr_assert_eq(rule_pick(&set, content_input(c), 0), 0, "an incomplete head routes nowhere");
	content_free(c);
}
