/* IPv6 header and extension-header walk: policy in raw_pkt.h. */
#include <errno.h>
#include <string.h>

#include "parse_int.h"
#include "splicekit/raw_consts.h"

#include <sys/socket.h>

/* Returns 1 if nh is a header we walk, 0 if it is an upper-layer protocol,
 * or a rejection. */
static int classify(struct raw_pkt *p, uint8_t nh, unsigned seen)
{
	switch (nh) {
	case RAW_IPPROTO_HOPOPTS:
		/* RFC 8200 4.1: only directly after the fixed header. */
		if (seen)
			return reject(p, RAW_R_IPV6_HBH_POS, -EBADMSG);
		return 1;
	case RAW_IPPROTO_ROUTING:
	case RAW_IPPROTO_DSTOPTS:
		return 1;
	case RAW_IPPROTO_FRAGMENT:
		return reject(p, RAW_R_FRAGMENT, -EOPNOTSUPP);
	case RAW_IPPROTO_ESP:
		return reject(p, RAW_R_IPV6_ESP, -EPROTONOSUPPORT);
	case RAW_IPPROTO_AH:
		return reject(p, RAW_R_IPV6_AH, -EPROTONOSUPPORT);
	case RAW_IPPROTO_MOBILITY:
	case RAW_IPPROTO_HIP:
	case RAW_IPPROTO_SHIM6:
	case RAW_IPPROTO_EXP1:
	case RAW_IPPROTO_EXP2:
		return reject(p, RAW_R_IPV6_EXT_UNKNOWN, -EPROTONOSUPPORT);
	default:
		return 0;
	}
}

int raw_parse_ipv6(struct raw_pkt *p, struct raw_cur *c)
{
	struct raw_cur dg, l4;
	uint32_t vtcfl = 0;
	uint16_t plen = 0;
	uint8_t nh = 0;
	const uint8_t *sa = NULL, *da = NULL;
	unsigned seen = 0;
	int r;

	if (!raw_cur_has(c, RAW_IPV6_HLEN))
		return reject(p, RAW_R_IP_TRUNC, -EBADMSG);
	/* The fixed header fits, so these reads cannot fail. */
	(void)raw_cur_u32(c, &vtcfl);
	(void)raw_cur_u16(c, &plen);
	(void)raw_cur_u8(c, &nh);
	(void)raw_cur_u8(c, &p->ttl);
	(void)raw_cur_bytes(c, RAW_IPV6_ALEN, &sa);
	(void)raw_cur_bytes(c, RAW_IPV6_ALEN, &da);
	if (vtcfl >> 28 != 6)
		return reject(p, RAW_R_IP_VERSION, -EBADMSG);
	/* Bytes past the payload length are link padding. */
	if (raw_cur_sub(c, plen, &dg) < 0)
		return reject(p, RAW_R_IP_LEN_PAST, -EBADMSG);

	while ((r = classify(p, nh, seen)) == 1) {
		uint8_t next, hlen, rtype, segleft;

		if (++seen > RAW_IPV6_EXT_MAX)
			return reject(p, RAW_R_IPV6_EXT_LIMIT, -ELOOP);
		/* Hop-by-hop, routing and destination options share the
		 * layout: next header, length in 8-byte units past the first
		 * 8 bytes, then the body (a routing header's starts with its
		 * type and segments left). */
		if (raw_cur_u8(&dg, &next) < 0 || raw_cur_u8(&dg, &hlen) < 0 ||
		    raw_cur_u8(&dg, &rtype) < 0 || raw_cur_u8(&dg, &segleft) < 0 ||
		    raw_cur_skip(&dg, 4 + (size_t)hlen * 8) < 0)
			return reject(p, RAW_R_IPV6_EXT_TRUNC, -EBADMSG);
		if (nh == RAW_IPPROTO_ROUTING && segleft != 0)
			return reject(p, RAW_R_IPV6_ROUTING, -EPROTONOSUPPORT);
		nh = next;
	}
	if (r < 0)
		return r;

	p->family = AF_INET6;
	p->l4_proto = nh;
	p->l3_hlen = RAW_IPV6_HLEN + (uint32_t)raw_cur_pos(&dg);
	p->l3_len = RAW_IPV6_HLEN + (uint32_t)plen;
	p->len = p->l3_off + p->l3_len;
	memcpy(p->saddr, sa, RAW_IPV6_ALEN);
	memcpy(p->daddr, da, RAW_IPV6_ALEN);
	(void)raw_cur_sub(&dg, raw_cur_left(&dg), &l4);
	return raw_parse_upper(p, &l4);
}
