/* Golden table for the HTTP/1.x head parser: real request heads in, the
 * routing fields out.
 *
 * How the bytes were made: curl_* and wrk_* are what curl 7.88.1 and wrk
 * 4.1 sent (tests/http/capture.py records them); chrome_shape and
 * firefox_shape were written from the header sets Chrome 120 and Firefox
 * 121 send for a navigation and a stylesheet; ipv6_absolute by hand.
 * Every file is also fed in pieces of every size from 1 byte up, and in
 * pseudo-random pieces, and must give the same result as fed whole. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static const char *const cookies[] = {"SERVERID", "session", "lang"};

struct golden {
	const char *file;
	const char *method;
	const char *host;  /* NULL: no host */
	int port;
	const char *path;
	int minor;
	const char *serverid; /* NULL: no SERVERID cookie */
	const char *session;
	unsigned fields;
};

static const struct golden table[] = {
	{"curl_plain", "GET", "127.0.0.1", 18181, "/", 1, NULL, NULL, 3},
	{"curl_resolve", "GET", "www.example.com", 18181, "/static/app.js", 1,
	 NULL, NULL, 3},
	{"curl_cookie", "GET", "shop.example.com", -1, "/cart/checkout", 1, "s2",
	 NULL, 4},
	{"curl_post", "POST", "api.example.com", -1, "/v1/items", 1, NULL, NULL, 5},
	{"curl_http10", "GET", "127.0.0.1", 18181, "/index.html", 0, NULL, NULL, 3},
	/* absolute form: the target's authority is the host */
	{"curl_proxy", "GET", "origin.example.net", -1, "/img/logo.png", 1, NULL,
	 NULL, 4},
	{"wrk_plain", "GET", "127.0.0.1", 18181, "/bench", 1, NULL, NULL, 1},
	{"wrk_header", "GET", "img.example.com", -1, "/a/b/c.jpg", 1, "s3", NULL, 2},
	{"chrome_shape", "GET", "www.example.org", -1, "/search", 1, "s1", "a1b2c3",
	 15},
	/* trailing dot removed, upper case folded, the first SERVERID wins */
	{"firefox_shape", "GET", "www.example.org", 8080, "/static/css/site.css", 1,
	 "s2", NULL, 12},
	{"ipv6_absolute", "GET", "[2001:db8::1]", 8443, "/", 1, NULL, NULL, 1},
};

static uint8_t *load(const char *name, size_t *len)
{
	char path[512];
	const char *src = getenv("SPLICEKIT_SRC");
	FILE *f;
	uint8_t *buf = malloc(65536);

	cr_assert(src, "SPLICEKIT_SRC is not set");
	snprintf(path, sizeof(path), "%s/tests/http/golden/%s.req", src, name);
	f = fopen(path, "rb");
	cr_assert(f, "cannot open %s", path);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static void eq(const char *what, const char *want, const char *got, size_t n)
{
	cr_assert(n == strlen(want) && !memcmp(want, got, n),
		  "%s: want '%s', got '%.*s'", what, want, (int)n, got);
}

static void check(const struct golden *g, const struct http_request *r,
		  size_t len)
{
	eq("method", g->method, r->method, r->method_len);
	eq("path", g->path, r->path, r->path_len);
	cr_assert_eq(r->version_minor, g->minor);
	cr_assert_eq(r->has_host, g->host != NULL, "%s: has_host", g->file);
	if (g->host)
		eq("host", g->host, r->host, r->host_len);
	cr_assert_eq(r->host_port, g->port, "%s: port %d", g->file, r->host_port);
	cr_assert_eq(r->has_cookie[0], g->serverid != NULL, "%s: SERVERID", g->file);
	if (g->serverid)
		eq("SERVERID", g->serverid, r->cookie[0], r->cookie_len[0]);
	cr_assert_eq(r->has_cookie[1], g->session != NULL, "%s: session", g->file);
	if (g->session)
		eq("session", g->session, r->cookie[1], r->cookie_len[1]);
	cr_assert_eq(r->fields, g->fields, "%s: %u fields", g->file, r->fields);
	cr_assert_eq(r->head_len, len);
}

/* Feeds buf in pieces of size step (0: pseudo-random sizes from seed). */
static void run(const struct golden *g, const uint8_t *buf, size_t len,
		size_t step, unsigned seed)
{
	struct http_req *p = http_req_new(0, cookies, 3);
	size_t off = 0;
	int r = HTTP_MORE;

	cr_assert(p);
	while (off < len) {
		size_t n = step ? step : 1 + (seed = seed * 1103515245u + 12345u) % 97;

		if (n > len - off)
			n = len - off;
		cr_assert_eq(r, HTTP_MORE, "%s: verdict before the end (step %zu)",
			     g->file, step);
		r = http_req_feed(p, buf + off, n);
		off += n;
	}
	cr_assert_eq(r, HTTP_DONE, "%s step %zu: %d (%s)", g->file, step, r,
		     http_reason_str(http_req_reason(p)));
	check(g, http_req_result(p), len);
	cr_assert_eq(http_req_offset(p), len);
	http_req_free(p);
}

Test(http_golden, whole_and_every_split)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		size_t len;
		uint8_t *buf = load(table[i].file, &len);

		for (size_t step = 1; step <= len; step++)
			run(&table[i], buf, len, step, 0);
		for (unsigned seed = 1; seed < 50; seed++)
			run(&table[i], buf, len, 0, seed);
		free(buf);
	}
}

Test(http_golden, body_and_pipelined_request_not_read)
{
	static const char req[] = "POST /up HTTP/1.1\r\nHost: a.example\r\n"
				  "Content-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\n";
	size_t head = strstr(req, "hello") - req;
	struct http_req *p = http_req_new(0, NULL, 0);

	cr_assert_eq(http_req_feed(p, req, sizeof(req) - 1), HTTP_DONE);
	cr_assert_eq(http_req_result(p)->head_len, head);
	cr_assert_eq(http_req_offset(p), head);
	/* later bytes are ignored, the verdict stays */
	cr_assert_eq(http_req_feed(p, "x", 1), HTTP_DONE);
	http_req_free(p);
}

Test(http_golden, bare_lf_and_leading_empty_lines)
{
	static const char req[] = "\r\n\nGET /x?y HTTP/1.0\nHost: B.example\n\n";
	struct http_req *p = http_req_new(0, NULL, 0);
	const struct http_request *r;

	cr_assert_eq(http_req_feed(p, req, sizeof(req) - 1), HTTP_DONE);
	r = http_req_result(p);
	eq("host", "b.example", r->host, r->host_len);
	eq("path", "/x", r->path, r->path_len);
	http_req_free(p);
}

Test(http_golden, options_star_and_connect)
{
	struct http_req *p = http_req_new(0, NULL, 0);
	const struct http_request *r;
	static const char opt[] = "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char con[] = "CONNECT Db.example:5432 HTTP/1.1\r\n\r\n";

	cr_assert_eq(http_req_feed(p, opt, sizeof(opt) - 1), HTTP_DONE);
	eq("path", "*", http_req_result(p)->path, http_req_result(p)->path_len);
	http_req_reset(p);
	cr_assert_eq(http_req_feed(p, con, sizeof(con) - 1), HTTP_DONE);
	r = http_req_result(p);
	eq("host", "db.example", r->host, r->host_len);
	cr_assert_eq(r->host_port, 5432);
	cr_assert_eq(r->path_len, 0);
	http_req_free(p);
}

Test(http_golden, no_host_in_http10)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	struct http_req *p = http_req_new(0, NULL, 0);

	cr_assert_eq(http_req_feed(p, req, sizeof(req) - 1), HTTP_DONE);
	cr_assert_not(http_req_result(p)->has_host);
	http_req_free(p);
}
