/* Addresses as the config and the control socket spell them. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <splicekit/cursor.h>

#include "util/addr.h"

/* Reads a decimal port 1..65535 from the rest of the cursor. */
static int parse_port(struct raw_cur *c, uint16_t *port)
{
	unsigned long v = 0;
	size_t digits = 0;
	uint8_t ch;

	while (raw_cur_u8(c, &ch) == 0) {
		if (ch < '0' || ch > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(ch - '0');
		if (++digits > 5 || v > 65535)
			return -EINVAL;
	}
	if (digits == 0 || v == 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Copies n bytes from the cursor into a NUL-terminated buffer for
 * inet_pton, refusing anything that cannot be part of an address so that
 * inet_pton never sees surprises (it stops at NUL, we never pass one). */
static int take_host(struct raw_cur *c, size_t n, char *buf, size_t cap)
{
	const uint8_t *p;

	if (n == 0 || n >= cap || raw_cur_bytes(c, n, &p) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
		      (p[i] >= 'A' && p[i] <= 'F') || p[i] == '.' || p[i] == ':'))
			return -EINVAL;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

int disp_addr_parse(const char *s, size_t len, bool want_port,
		    struct disp_addr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	struct raw_cur c;
	struct disp_addr a;
	size_t hostlen;
	const uint8_t *rb;

	memset(&a, 0, sizeof(a));
	raw_cur_init(&c, s, len);
	if (len > 0 && s[0] == '[') {
		/* "[v6]:port": brackets exist only so the port can follow. */
		rb = memchr(s, ']', len);
		if (!rb)
			return -EINVAL;
		raw_cur_skip(&c, 1);
		hostlen = (size_t)((const char *)rb - s) - 1;
		if (take_host(&c, hostlen, host, sizeof(host)) < 0)
			return -EINVAL;
		raw_cur_skip(&c, 1);
		if (inet_pton(AF_INET6, host, &a.ip.v6) != 1)
			return -EINVAL;
		a.family = AF_INET6;
		if (raw_cur_left(&c) > 0) {
			uint8_t colon;
			raw_cur_u8(&c, &colon);
			if (colon != ':' || parse_port(&c, &a.port) < 0)
				return -EINVAL;
		}
	} else {
		const char *colon = memchr(s, ':', len);
		const char *last = colon;

		/* More than one colon and no brackets: a bare IPv6 address. */
		if (colon && memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
			last = NULL;
		hostlen = last ? (size_t)(last - s) : len;
		if (take_host(&c, hostlen, host, sizeof(host)) < 0)
			return -EINVAL;
		if (inet_pton(AF_INET, host, &a.ip.v4) == 1)
			a.family = AF_INET;
		else if (!last && inet_pton(AF_INET6, host, &a.ip.v6) == 1)
			a.family = AF_INET6;
		else
			return -EINVAL;
		if (last) {
			raw_cur_skip(&c, 1);
			if (parse_port(&c, &a.port) < 0)
				return -EINVAL;
		}
	}
	if (want_port != (a.port != 0))
		return -EINVAL;
	*out = a;
	return 0;
}

char *disp_addr_format(const struct disp_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (len == 0)
		return buf;
	if (!inet_ntop(a->family, &a->ip, host, sizeof(host)))
		snprintf(host, sizeof(host), "?");
	if (a->port == 0)
		snprintf(buf, len, "%s", host);
	else if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, a->port);
	else
		snprintf(buf, len, "%s:%u", host, a->port);
	return buf;
}

bool disp_addr_equal(const struct disp_addr *a, const struct disp_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return a->ip.v4.s_addr == b->ip.v4.s_addr;
	return memcmp(&a->ip.v6, &b->ip.v6, sizeof(a->ip.v6)) == 0;
}

void disp_addr_set(struct disp_addr *a, int family, const uint8_t *ip,
		   uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = (sa_family_t)family;
	a->port = port;
	memcpy(family == AF_INET ? (void *)&a->ip.v4 : (void *)&a->ip.v6, ip,
	       family == AF_INET ? 4 : 16);
}
