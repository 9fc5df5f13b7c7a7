/* The HTTP/1.x head parser's stream side: buffering, line splitting, the
 * early "not HTTP" decision, and the verdict. The lines themselves are
 * parsed in http_line.c and http_field.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http_int.h"

struct http_req *http_req_new(size_t limit, const char *const *cookies,
			      unsigned ncookies)
{
	struct http_req *p;

	if (limit == 0)
		limit = HTTP_LIMIT_DEFAULT;
	/* Bounded so one connection's buffer stays small and known. */
	if (limit < HTTP_LIMIT_MIN || limit > HTTP_LIMIT_MAX ||
	    ncookies > HTTP_COOKIES_MAX || (ncookies && !cookies)) {
		errno = EINVAL;
		return NULL;
	}
	for (unsigned i = 0; i < ncookies; i++) {
		/* An empty name would match "=v" pairs nobody meant. */
		if (!cookies[i] || !cookies[i][0]) {
			errno = EINVAL;
			return NULL;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->buf = malloc(limit);
	if (!p->buf) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->limit = limit;
	p->cookies = cookies;
	p->ncookies = ncookies;
	http_req_reset(p);
	return p;
}

void http_req_free(struct http_req *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p);
}

void http_req_reset(struct http_req *p)
{
	uint8_t *buf = p->buf;
	size_t limit = p->limit;
	const char *const *cookies = p->cookies;
	unsigned ncookies = p->ncookies;

	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->limit = limit;
	p->cookies = cookies;
	p->ncookies = ncookies;
	p->in_method = true;
	p->res.host_port = -1;
	p->state = HTTP_MORE;
}

static int reject(struct http_req *p, enum http_reason r)
{
	p->reason = r;
	switch (r) {
	case HTTP_R_NOT_HTTP:
		p->state = -EPROTONOSUPPORT;
		break;
	case HTTP_R_TOO_BIG:
		p->state = -EMSGSIZE;
		break;
	default:
		p->state = -EBADMSG;
		break;
	}
	return p->state;
}

/* One complete line [p->line, end) without its CR LF. Returns HTTP_MORE,
 * HTTP_DONE at the empty line closing the head, or a rejection. */
static int take_line(struct http_req *p, size_t end)
{
	struct raw_cur line;
	enum http_reason r;
	size_t n = end - p->line;

	raw_cur_init(&line, p->buf + p->line, n);
	if (!p->have_reqline) {
		if (n == 0) {
			/* RFC 9112 §2.2: robust servers skip a few. */
			if (++p->empties > HTTP_LEADING_EMPTY_MAX)
				return reject(p, HTTP_R_NOT_HTTP);
			p->method_len = 0;
			p->in_method = true;
			return HTTP_MORE;
		}
		r = http_line_request(p, &line);
		if (r != HTTP_R_NONE)
			return reject(p, r);
		p->have_reqline = true;
		return HTTP_MORE;
	}
	if (n == 0)
		return HTTP_DONE;
	if (p->buf[p->line] == ' ' || p->buf[p->line] == '\t')
		return reject(p, HTTP_R_FOLDING);
	if (++p->res.fields > HTTP_FIELDS_MAX)
		return reject(p, HTTP_R_TOO_MANY_FIELDS);
	r = http_line_field(p, &line);
	return r == HTTP_R_NONE ? HTTP_MORE : reject(p, r);
}

/* Checks byte c of the request line's method while it arrives, so that a
 * stream of another protocol (a TLS record starts with 0x16) is refused
 * on its first bytes rather than after a timeout. */
static bool method_byte_ok(struct http_req *p, uint8_t c)
{
	if (c == ' ') {
		p->in_method = false;
		return p->method_len > 0;
	}
	return http_tchar(c) && ++p->method_len <= HTTP_METHOD_MAX;
}

/* Scans buf[from, p->len) for line ends and parses each complete line.
 * Returns HTTP_MORE, HTTP_DONE (p->len cut to the end of the head), or a
 * rejection; p->offset counts the bytes scanned. */
static int scan(struct http_req *p, size_t from)
{
	for (size_t i = from; i < p->len; i++) {
		uint8_t c = p->buf[i];
		int r;

		p->offset++;
		if (p->cr && c != '\n')
			return reject(p, p->have_reqline || !p->in_method ?
					 HTTP_R_BARE_CR : HTTP_R_NOT_HTTP);
		if (c == '\r') {
			p->cr = true;
			continue;
		}
		if (c == '\n') {
			size_t end = p->cr ? i - 1 : i;

			p->cr = false;
			if (!p->have_reqline && p->in_method && p->method_len > 0)
				return reject(p, HTTP_R_NOT_HTTP);
			r = take_line(p, end);
			p->line = i + 1;
			if (r == HTTP_DONE) {
				p->len = i + 1;
				p->res.head_len = p->len;
				return p->state = HTTP_DONE;
			}
			if (r < 0)
				return r;
			continue;
		}
		if (!p->have_reqline && p->in_method) {
			if (!method_byte_ok(p, c))
				return reject(p, HTTP_R_NOT_HTTP);
			continue;
		}
		/* HTAB is the only control byte a field value may hold; obs-text
		 * (0x80-0xff) is passed through as the RFC allows. */
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return reject(p, HTTP_R_CONTROL);
	}
	return HTTP_MORE;
}

int http_req_feed(struct http_req *p, const void *buf, size_t len)
{
	const uint8_t *in = buf;

	if (p->state != HTTP_MORE)
		return p->state;
	while (len > 0) {
		size_t room = p->limit - p->len, n = len < room ? len : room;
		size_t from = p->len;
		int r;

		if (room == 0)
			return reject(p, HTTP_R_TOO_BIG);
		memcpy(p->buf + p->len, in, n);
		p->len += n;
		in += n;
		len -= n;
		r = scan(p, from);
		if (r != HTTP_MORE)
			return r;
	}
	/* A full buffer with no end in sight cannot ever finish. */
	if (p->len == p->limit)
		return reject(p, HTTP_R_TOO_BIG);
	return HTTP_MORE;
}

int http_req_eof(struct http_req *p)
{
	if (p->state != HTTP_MORE)
		return p->state;
	/* Nothing at all is not a request either, but no verdict on bytes. */
	return reject(p, HTTP_R_TRUNCATED);
}

const struct http_request *http_req_result(const struct http_req *p)
{
	return p->state == HTTP_DONE ? &p->res : NULL;
}

enum http_reason http_req_reason(const struct http_req *p)
{
	return p->reason;
}

uint64_t http_req_offset(const struct http_req *p)
{
	return p->offset;
}
