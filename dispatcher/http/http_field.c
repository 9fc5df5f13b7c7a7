/* Header field lines (RFC 9112 §5): name ":" OWS value OWS. Only Host and
 * Cookie are interpreted; every other field is checked and skipped. */
#include <string.h>
#include <strings.h>

#include "http_int.h"

static bool ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Narrows *v to its bytes without leading and trailing OWS. */
static void trim(struct raw_cur *v)
{
	const uint8_t *s = raw_cur_ptr(v);
	size_t a = 0, b = raw_cur_left(v);

	while (a < b && ows(s[a]))
		a++;
	while (b > a && ows(s[b - 1]))
		b--;
	raw_cur_init(v, s + a, b - a);
}

static bool name_is(const struct raw_cur *name, const char *want)
{
	size_t n = strlen(want);

	return raw_cur_left(name) == n &&
	       strncasecmp((const char *)raw_cur_ptr(name), want, n) == 0;
}

static enum http_reason host_field(struct http_req *p, struct raw_cur *v)
{
	struct http_request keep = p->res;
	enum http_reason r;

	/* RFC 9112 §3.2: a request with two Host fields must be refused, or
	 * the dispatcher and the backend could each believe another one. */
	if (++p->host_fields > 1)
		return HTTP_R_HOST_DUPLICATE;
	r = http_authority(p, v);
	if (r != HTTP_R_NONE)
		return r;
	/* The target's authority wins (§3.2.2); the field is only checked. */
	if (p->host_from_target) {
		keep.fields = p->res.fields;
		p->res = keep;
	}
	return HTTP_R_NONE;
}

/* Records the value of pair "name=value" if name is one of p's cookies
 * that has no value yet. */
static void cookie_pair(struct http_req *p, const uint8_t *s, size_t n)
{
	const uint8_t *eq = memchr(s, '=', n);
	size_t nlen, vlen;
	const uint8_t *v;

	if (!eq)
		return; /* browsers send odd pairs: not a reason to refuse */
	nlen = (size_t)(eq - s);
	v = eq + 1;
	vlen = n - nlen - 1;
	if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
		v++;
		vlen -= 2;
	}
	for (unsigned i = 0; i < p->ncookies; i++) {
		if (p->res.has_cookie[i] || strlen(p->cookies[i]) != nlen ||
		    memcmp(p->cookies[i], s, nlen))
			continue;
		p->res.has_cookie[i] = true;
		p->res.cookie[i] = (const char *)v;
		p->res.cookie_len[i] = vlen;
	}
}

/* cookie-string: pairs separated by ";" and optional spaces (RFC 6265
 * §5.4; servers also see ";" without the space). */
static void cookie_field(struct http_req *p, struct raw_cur *v)
{
	while (raw_cur_left(v)) {
		struct raw_cur pair;
		const uint8_t *s = raw_cur_ptr(v);
		const uint8_t *semi = memchr(s, ';', raw_cur_left(v));
		size_t n = semi ? (size_t)(semi - s) : raw_cur_left(v);

		if (raw_cur_sub(v, n, &pair) < 0 ||
		    (semi && raw_cur_skip(v, 1) < 0))
			return;
		trim(&pair);
		cookie_pair(p, raw_cur_ptr(&pair), raw_cur_left(&pair));
	}
}

enum http_reason http_line_field(struct http_req *p, struct raw_cur *line)
{
	const uint8_t *s = raw_cur_ptr(line);
	const uint8_t *colon = memchr(s, ':', raw_cur_left(line));
	struct raw_cur name, value;

	if (!colon || colon == s ||
	    raw_cur_sub(line, (size_t)(colon - s), &name) < 0 ||
	    raw_cur_skip(line, 1) < 0 ||
	    raw_cur_sub(line, raw_cur_left(line), &value) < 0)
		return HTTP_R_FIELD_NAME;
	for (size_t i = 0; i < raw_cur_left(&name); i++) {
		uint8_t c = raw_cur_ptr(&name)[i];

		if (ows(c))
			return HTTP_R_FIELD_SPACE;
		if (!http_tchar(c))
			return HTTP_R_FIELD_NAME;
	}
	trim(&value);
	if (name_is(&name, "host"))
		return host_field(p, &value);
	if (p->ncookies && name_is(&name, "cookie"))
		cookie_field(p, &value);
	return HTTP_R_NONE;
}
