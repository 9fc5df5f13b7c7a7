/* Address lists of --multihome and --peer. Pure: no globals, no libc
 * interposition, so the shim (init.c, peers.c) and the wrapper validate
 * with the same code. */
#include "ws_args.h"

#include <splicekit/cursor.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *what, const uint8_t *p, size_t n)
{
	if (err && errlen)
		snprintf(err, errlen, "%s '%.*s'", what, (int)(n > 64 ? 64 : n), (const char *)p);
	return -EINVAL;
}

static bool is_sep(uint8_t b, const char *seps)
{
	return b && strchr(seps, b) != NULL;
}

/* One address token p[0..n) into a. */
static int one_addr(const uint8_t *p, size_t n, struct ws_addr *a, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN];

	if (n >= sizeof(buf))
		return fail(err, errlen, "address too long:", p, n);
	memcpy(buf, p, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a->addr) == 1)
		a->family = AF_INET6;
	else
		return fail(err, errlen, "not an IPv4 or IPv6 address:", p, n);
	return 0;
}

/* Tokens of c up to a byte in stop (consumed) or the end, split by seps,
 * into out[*n..max). */
static int tokens(struct raw_cur *c, const char *seps, const char *stop, struct ws_addr *out,
		  unsigned max, unsigned *n, char *err, size_t errlen)
{
	while (raw_cur_has(c, 1)) {
		const uint8_t *p = raw_cur_ptr(c);
		size_t len = 0;
		uint8_t b;
		int rc;

		while (raw_cur_has(c, len + 1) && !is_sep(p[len], seps) && !is_sep(p[len], stop))
			len++;
		if (len) {
			if (*n >= max)
				return fail(err, errlen, "too many addresses at", p, len);
			if ((rc = one_addr(p, len, &out[*n], err, errlen)) < 0)
				return rc;
			(*n)++;
		}
		(void)raw_cur_skip(c, len);
		if (raw_cur_u8(c, &b) == 0 && is_sep(b, stop))
			break;
	}
	return 0;
}

int ws_addrs_parse(const char *s, size_t len, struct ws_addr *out, unsigned max, unsigned *n,
		   char *err, size_t errlen)
{
	struct raw_cur c;

	*n = 0;
	raw_cur_init(&c, s, len);
	return tokens(&c, ", ", "", out, max, n, err, errlen);
}

int ws_peers_spec(const char *s, size_t len, struct ws_peer_group *g, unsigned max, unsigned *n,
		  char *err, size_t errlen)
{
	struct raw_cur c;
	int rc;

	raw_cur_init(&c, s, len);
	while (raw_cur_has(&c, 1)) {
		const uint8_t *start = raw_cur_ptr(&c);
		struct ws_peer_group one = { 0 };
		if ((rc = tokens(&c, "=, ", ";", one.a, WS_ADDRS_MAX, &one.n, err, errlen)) < 0)
			return rc;
		size_t span = (size_t)(raw_cur_ptr(&c) - start);
		if (span && start[span - 1] == ';')
			span--;
		if (one.n == 0)
			continue;
		if (one.n < 2)
			return fail(err, errlen, "a peer group needs ADDR=ADDR[,ADDR...], not", start,
				    span);
		if (*n >= max)
			return fail(err, errlen, "too many peer groups at", start, span);
		g[(*n)++] = one;
	}
	return 0;
}
