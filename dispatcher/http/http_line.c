/* The request line (RFC 9112 §3): method SP request-target SP version,
 * the four forms of request-target, and the authority they may carry. */
#include <string.h>

#include "http_int.h"

bool http_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Reads bytes up to (not including) the first SP into *tok; the SP is
 * consumed. Returns false when there is no SP. */
static bool until_sp(struct raw_cur *c, struct raw_cur *tok)
{
	const uint8_t *p = raw_cur_ptr(c);
	const uint8_t *sp = memchr(p, ' ', raw_cur_left(c));

	if (!sp)
		return false;
	if (raw_cur_sub(c, (size_t)(sp - p), tok) < 0 || raw_cur_skip(c, 1) < 0)
		return false;
	return true;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(uint8_t c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* reg-name, IPv4 and port bytes: unreserved, pct-encoded, sub-delims. */
static bool host_byte(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("-._~%!$&'()*+,;=", c));
}

enum http_reason http_authority(struct http_req *p, struct raw_cur *a)
{
	size_t start = raw_cur_pos(a), hlen;
	uint8_t c;
	uint32_t port = 0;
	bool have_port = false;
	/* The cursor reads p->buf, which the parser owns: lower-case there. */
	char *host = (char *)p->buf + (raw_cur_ptr(a) - p->buf);

	if (raw_cur_left(a) == 0)
		return HTTP_R_NONE;
	if (*raw_cur_ptr(a) == '[') {
		/* IP-literal: hex digits, ':' and '.' up to the closing bracket
		 * (IPvFuture is not accepted). */
		if (raw_cur_skip(a, 1) < 0)
			return HTTP_R_HOST_INVALID;
		for (;;) {
			if (raw_cur_u8(a, &c) < 0)
				return HTTP_R_HOST_INVALID;
			if (c == ']')
				break;
			if (!is_hex(c) && c != ':' && c != '.')
				return HTTP_R_HOST_INVALID;
		}
	} else {
		while (raw_cur_left(a) && *raw_cur_ptr(a) != ':') {
			raw_cur_u8(a, &c);
			if (!host_byte(c))
				return HTTP_R_HOST_INVALID;
		}
	}
	hlen = raw_cur_pos(a) - start;
	if (raw_cur_u8(a, &c) == 0) {
		if (c != ':')
			return HTTP_R_HOST_INVALID;
		/* An empty port is allowed (RFC 3986 §3.2.3). */
		while (raw_cur_u8(a, &c) == 0) {
			if (!is_digit(c))
				return HTTP_R_HOST_INVALID;
			port = port * 10 + (uint32_t)(c - '0');
			if (port > 65535)
				return HTTP_R_HOST_INVALID;
			have_port = true;
		}
	}
	for (size_t i = 0; i < hlen; i++)
		if (host[i] >= 'A' && host[i] <= 'Z')
			host[i] = (char)(host[i] + ('a' - 'A'));
	/* "example.com." names the same host as "example.com". */
	if (hlen > 1 && host[hlen - 1] == '.')
		hlen--;
	p->res.has_host = hlen > 0;
	p->res.host = host;
	p->res.host_len = hlen;
	p->res.host_port = have_port ? (int32_t)port : -1;
	return HTTP_R_NONE;
}

/* Sets the path to the bytes of *c up to '?' or '#'. */
static void take_path(struct http_req *p, struct raw_cur *c)
{
	const uint8_t *s = raw_cur_ptr(c);
	size_t n = 0;

	while (n < raw_cur_left(c) && s[n] != '?' && s[n] != '#')
		n++;
	p->res.path = (const char *)s;
	p->res.path_len = n;
}

/* Case-insensitive check that *c starts with the lower-case word w,
 * consuming it if so. */
static bool eat_word(struct raw_cur *c, const char *w)
{
	size_t n = strlen(w);
	const uint8_t *s = raw_cur_ptr(c);

	if (!raw_cur_has(c, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((s[i] | 0x20) != (uint8_t)w[i] && s[i] != (uint8_t)w[i])
			return false;
	raw_cur_skip(c, n);
	return true;
}

/* absolute-form: scheme "://" authority [path-abempty] ["?" query]. */
static enum http_reason absolute_form(struct http_req *p, struct raw_cur *t)
{
	struct raw_cur auth;
	const uint8_t *s;
	size_t n = 0;
	enum http_reason r;

	if (!eat_word(t, "http://") && !eat_word(t, "https://"))
		return HTTP_R_TARGET;
	s = raw_cur_ptr(t);
	while (n < raw_cur_left(t) && s[n] != '/' && s[n] != '?' && s[n] != '#')
		n++;
	if (raw_cur_sub(t, n, &auth) < 0)
		return HTTP_R_TARGET;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@') /* userinfo is deprecated (RFC 9110 §4.2.4) */
			return HTTP_R_HOST_INVALID;
	r = http_authority(p, &auth);
	if (r != HTTP_R_NONE)
		return r;
	if (!p->res.has_host)
		return HTTP_R_HOST_INVALID;
	p->host_from_target = true;
	take_path(p, t);
	if (p->res.path_len == 0) {
		/* An empty path in absolute form means "/" (RFC 9112 §3.2.2). */
		p->res.path = "/";
		p->res.path_len = 1;
	}
	return HTTP_R_NONE;
}

static enum http_reason target_form(struct http_req *p, struct raw_cur *t)
{
	const uint8_t *s = raw_cur_ptr(t);
	size_t n = raw_cur_left(t);

	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] == 0x7f)
			return HTTP_R_TARGET;
	if (s[0] == '/') {
		take_path(p, t);
		return HTTP_R_NONE;
	}
	if (n == 1 && s[0] == '*') {
		p->res.path = (const char *)s;
		p->res.path_len = 1;
		return HTTP_R_NONE;
	}
	if (p->res.method_len == 7 && !memcmp(p->res.method, "CONNECT", 7)) {
		enum http_reason r = http_authority(p, t);

		if (r != HTTP_R_NONE)
			return r;
		if (!p->res.has_host || p->res.host_port < 0)
			return HTTP_R_HOST_INVALID;
		p->host_from_target = true;
		p->res.path = (const char *)s;
		p->res.path_len = 0;
		return HTTP_R_NONE;
	}
	return absolute_form(p, t);
}

static enum http_reason request_line(struct http_req *p, struct raw_cur *line)
{
	struct raw_cur method, target;
	const uint8_t *v;

	if (!until_sp(line, &method) || raw_cur_left(&method) == 0)
		return HTTP_R_NOT_HTTP;
	if (!until_sp(line, &target) || raw_cur_left(&target) == 0)
		return HTTP_R_REQUEST_LINE;
	p->res.method = (const char *)raw_cur_ptr(&method);
	p->res.method_len = raw_cur_left(&method);
	p->res.target = (const char *)raw_cur_ptr(&target);
	p->res.target_len = raw_cur_left(&target);
	/* What is left must be exactly the version: a second SP means the
	 * target held a space, which no valid request has. */
	if (raw_cur_left(line) != 8 || raw_cur_bytes(line, 8, &v) < 0)
		return memchr(raw_cur_ptr(line), ' ', raw_cur_left(line)) ?
			       HTTP_R_REQUEST_LINE : HTTP_R_VERSION;
	if (memcmp(v, "HTTP/1.", 7) || (v[7] != '0' && v[7] != '1'))
		return HTTP_R_VERSION;
	p->res.version_minor = (uint8_t)(v[7] - '0');
	return target_form(p, &target);
}

enum http_reason http_line_request(struct http_req *p, struct raw_cur *line)
{
	const uint8_t *s = raw_cur_ptr(line);
	size_t n = raw_cur_left(line);
	enum http_reason r = request_line(p, line);

	/* A first line with no "HTTP/" anywhere is another protocol (an SSH
	 * or SMTP banner, HTTP/0.9), not a broken HTTP/1.x request. */
	if ((r == HTTP_R_REQUEST_LINE || r == HTTP_R_VERSION) &&
	    !memmem(s, n, "HTTP/", 5))
		return HTTP_R_NOT_HTTP;
	return r;
}
