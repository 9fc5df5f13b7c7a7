/* libFuzzer: the HTTP/1.x head parser.
 *
 * Oracle beyond "no crash": the input is parsed once whole and once in
 * pieces whose sizes come from the input's first byte; both must reach the
 * same verdict, consume the same bytes and extract the same fields. Every
 * result string must lie inside the parser's head. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const cookies[] = {"SERVERID", "session", "a"};

static int feed_all(struct http_req *p, const uint8_t *d, size_t n, size_t step)
{
	int r = HTTP_MORE;

	for (size_t off = 0; off < n && r == HTTP_MORE; off += step) {
		size_t k = n - off < step ? n - off : step;

		r = http_req_feed(p, d + off, k);
	}
	return r == HTTP_MORE ? http_req_eof(p) : r;
}

static void same(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen || (alen && memcmp(a, b, alen)))
		abort();
}

static void inside(const char *s, size_t n, const struct http_request *r,
		   const char *head)
{
	/* "/" for an empty absolute-form path is the one static string. */
	if (n == 1 && s[0] == '/' && (s < head || s >= head + r->head_len))
		return;
	if (n && (s < head || s + n > head + r->head_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req *a, *b;
	const struct http_request *ra, *rb;
	size_t step;
	int va, vb;

	if (size < 1)
		return 0;
	step = 1 + data[0] % 16;
	data++;
	size--;
	/* Odd sizes use the smallest limit so the refusal path runs too. */
	a = http_req_new(size & 1 ? HTTP_LIMIT_MIN : 0, cookies, 3);
	b = http_req_new(size & 1 ? HTTP_LIMIT_MIN : 0, cookies, 3);
	if (!a || !b)
		abort();
	va = feed_all(a, data, size, size ? size : 1);
	vb = feed_all(b, data, size, step);
	if (va != vb || http_req_reason(a) != http_req_reason(b) ||
	    http_req_offset(a) != http_req_offset(b))
		abort();
	if (va != HTTP_DONE && va != -EPROTONOSUPPORT && va != -EMSGSIZE &&
	    va != -EBADMSG)
		abort();
	ra = http_req_result(a);
	rb = http_req_result(b);
	if ((ra == NULL) != (va != HTTP_DONE) || (ra == NULL) != (rb == NULL))
		abort();
	if (ra) {
		const char *head = ra->method;

		same(ra->method, ra->method_len, rb->method, rb->method_len);
		same(ra->target, ra->target_len, rb->target, rb->target_len);
		same(ra->path, ra->path_len, rb->path, rb->path_len);
		if (ra->has_host != rb->has_host || ra->host_port != rb->host_port ||
		    ra->fields != rb->fields || ra->head_len != rb->head_len ||
		    ra->head_len > size)
			abort();
		same(ra->host, ra->host_len, rb->host, rb->host_len);
		inside(ra->path, ra->path_len, ra, head);
		inside(ra->host, ra->host_len, ra, head);
		for (int i = 0; i < 3; i++) {
			if (ra->has_cookie[i] != rb->has_cookie[i])
				abort();
			if (ra->has_cookie[i]) {
				same(ra->cookie[i], ra->cookie_len[i], rb->cookie[i],
				     rb->cookie_len[i]);
				inside(ra->cookie[i], ra->cookie_len[i], ra, head);
			}
		}
	}
	http_req_free(a);
	http_req_free(b);
	return 0;
}
