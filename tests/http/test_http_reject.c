/* Every rejection branch of the HTTP/1.x head parser: bytes in, the error
 * and the named reason out, whole and fed one byte at a time. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

struct bad {
	const char *name;
	const char *bytes;
	size_t len;        /* 0: strlen(bytes) */
	int err;
	enum http_reason reason;
};

#define B(n, s, e, r) {n, s, sizeof(s) - 1, e, r}

static const struct bad table[] = {
	/* a TLS ClientHello's first bytes: refused on the first byte */
	B("tls", "\x16\x03\x01\x02\x00\x01", -EPROTONOSUPPORT, HTTP_R_NOT_HTTP),
	B("ssh banner", "SSH-2.0-OpenSSH_9.2\r\n", -EPROTONOSUPPORT, HTTP_R_NOT_HTTP),
	B("leading space", " GET / HTTP/1.1\r\n", -EPROTONOSUPPORT, HTTP_R_NOT_HTTP),
	B("long method", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG / HTTP/1.1\r\n",
	  -EPROTONOSUPPORT, HTTP_R_NOT_HTTP),
	B("too many empty lines", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	  -EPROTONOSUPPORT, HTTP_R_NOT_HTTP),
	B("cr in method", "GE\rT / HTTP/1.1\r\n", -EPROTONOSUPPORT, HTTP_R_NOT_HTTP),
	B("http/0.9", "GET /\r\n", -EPROTONOSUPPORT, HTTP_R_NOT_HTTP),
	B("ssh banner with comment", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
	  -EPROTONOSUPPORT, HTTP_R_NOT_HTTP),
	B("no target", "GET HTTP/1.1\r\n", -EBADMSG, HTTP_R_REQUEST_LINE),
	B("two spaces", "GET  / HTTP/1.1\r\n\r\n", -EBADMSG, HTTP_R_REQUEST_LINE),
	B("space in target", "GET /a b HTTP/1.1\r\n\r\n", -EBADMSG, HTTP_R_REQUEST_LINE),
	B("h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", -EBADMSG, HTTP_R_VERSION),
	B("http/1.2", "GET / HTTP/1.2\r\n\r\n", -EBADMSG, HTTP_R_VERSION),
	B("lower-case version", "GET / http/1.1\r\n\r\n", -EPROTONOSUPPORT,
	  HTTP_R_NOT_HTTP),
	B("relative target", "GET index.html HTTP/1.1\r\n\r\n", -EBADMSG, HTTP_R_TARGET),
	B("ftp target", "GET ftp://h/ HTTP/1.1\r\n\r\n", -EBADMSG, HTTP_R_TARGET),
	B("bare cr", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", -EBADMSG, HTTP_R_BARE_CR),
	B("nul in value", "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", -EBADMSG, HTTP_R_CONTROL),
	B("del in target", "GET /\x7f HTTP/1.1\r\n\r\n", -EBADMSG, HTTP_R_CONTROL),
	B("no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", -EBADMSG, HTTP_R_FIELD_NAME),
	B("empty name", "GET / HTTP/1.1\r\n: a\r\n\r\n", -EBADMSG, HTTP_R_FIELD_NAME),
	B("bad name", "GET / HTTP/1.1\r\nX(y): a\r\n\r\n", -EBADMSG, HTTP_R_FIELD_NAME),
	B("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", -EBADMSG,
	  HTTP_R_FIELD_SPACE),
	B("folding", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", -EBADMSG, HTTP_R_FOLDING),
	B("two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -EBADMSG,
	  HTTP_R_HOST_DUPLICATE),
	B("host userinfo", "GET http://u@h/ HTTP/1.1\r\n\r\n", -EBADMSG,
	  HTTP_R_HOST_INVALID),
	B("host empty authority", "GET http:///x HTTP/1.1\r\n\r\n", -EBADMSG,
	  HTTP_R_HOST_INVALID),
	B("host bad byte", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", -EBADMSG,
	  HTTP_R_HOST_INVALID),
	B("host big port", "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", -EBADMSG,
	  HTTP_R_HOST_INVALID),
	B("host port letters", "GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n", -EBADMSG,
	  HTTP_R_HOST_INVALID),
	B("host open bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", -EBADMSG,
	  HTTP_R_HOST_INVALID),
	B("host bracket junk", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", -EBADMSG,
	  HTTP_R_HOST_INVALID),
	B("host bad literal", "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", -EBADMSG,
	  HTTP_R_HOST_INVALID),
	B("connect no port", "CONNECT h HTTP/1.1\r\n\r\n", -EBADMSG, HTTP_R_HOST_INVALID),
};

static void expect(const struct bad *b, struct http_req *p, int r)
{
	cr_assert_eq(r, b->err, "%s: got %d (%s)", b->name, r,
		     http_reason_str(http_req_reason(p)));
	cr_assert_eq(http_req_reason(p), b->reason, "%s: reason '%s'", b->name,
		     http_reason_str(http_req_reason(p)));
	/* a rejected parser stays rejected */
	cr_assert_eq(http_req_feed(p, "GET / HTTP/1.1\r\n\r\n", 18), b->err);
	cr_assert_eq(http_req_eof(p), b->err);
}

Test(http_reject, every_branch_whole_and_bytewise)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct bad *b = &table[i];
		struct http_req *p = http_req_new(0, NULL, 0);
		int r = HTTP_MORE;

		expect(b, p, http_req_feed(p, b->bytes, b->len));
		http_req_reset(p);
		for (size_t k = 0; k < b->len && r == HTTP_MORE; k++)
			r = http_req_feed(p, b->bytes + k, 1);
		expect(b, p, r);
		http_req_free(p);
	}
}

Test(http_reject, tls_refused_on_first_byte)
{
	struct http_req *p = http_req_new(0, NULL, 0);

	cr_assert_eq(http_req_feed(p, "\x16", 1), -EPROTONOSUPPORT);
	cr_assert_eq(http_req_offset(p), 1);
	http_req_free(p);
}

Test(http_reject, head_above_limit)
{
	char big[HTTP_LIMIT_MIN + 64];
	struct http_req *p = http_req_new(HTTP_LIMIT_MIN, NULL, 0);

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	cr_assert_eq(http_req_feed(p, big, sizeof(big)), -EMSGSIZE);
	cr_assert_eq(http_req_reason(p), HTTP_R_TOO_BIG);
	http_req_reset(p);
	/* exactly full without an end: refused at once, not on the next byte */
	cr_assert_eq(http_req_feed(p, big, HTTP_LIMIT_MIN), -EMSGSIZE);
	http_req_free(p);
}

Test(http_reject, too_many_fields)
{
	char buf[HTTP_LIMIT_MAX];
	size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
	struct http_req *p = http_req_new(HTTP_LIMIT_MAX, NULL, 0);

	for (int i = 0; i <= HTTP_FIELDS_MAX; i++)
		n += (size_t)sprintf(buf + n, "X%d: y\r\n", i);
	n += (size_t)sprintf(buf + n, "\r\n");
	cr_assert_eq(http_req_feed(p, buf, n), -EBADMSG);
	cr_assert_eq(http_req_reason(p), HTTP_R_TOO_MANY_FIELDS);
	http_req_free(p);
}

Test(http_reject, truncated_at_eof)
{
	struct http_req *p = http_req_new(0, NULL, 0);

	cr_assert_eq(http_req_feed(p, "GET / HTTP/1.1\r\nHost: a\r\n", 25), HTTP_MORE);
	cr_assert_null(http_req_result(p));
	cr_assert_eq(http_req_eof(p), -EBADMSG);
	cr_assert_eq(http_req_reason(p), HTTP_R_TRUNCATED);
	http_req_free(p);
}

Test(http_reject, bad_arguments)
{
	const char *empty[] = {""};
	const char *five[] = {"a", "b", "c", "d", "e"};

	cr_assert_null(http_req_new(HTTP_LIMIT_MIN - 1, NULL, 0));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(http_req_new(HTTP_LIMIT_MAX + 1, NULL, 0));
	cr_assert_null(http_req_new(0, empty, 1));
	cr_assert_null(http_req_new(0, five, 5));
	cr_assert_null(http_req_new(0, NULL, 1));
	cr_assert_str_eq(http_reason_str(HTTP_R_MAX), "unknown");
	for (int r = 0; r < HTTP_R_MAX; r++)
		cr_assert_str_neq(http_reason_str(r), "unknown");
}
