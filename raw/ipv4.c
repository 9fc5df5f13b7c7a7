/* IPv4 header: policy in include/splicekit/raw_pkt.h. */
#include <errno.h>
#include <stddef.h>

#include "parse_int.h"
#include "splicekit/raw_consts.h"

#include <sys/socket.h>

/* Checks the framing of the options in o (the IHL*4 - 20 bytes after the
 * fixed header) and refuses source routes; policy in raw_pkt.h. */
static int check_options(struct raw_pkt *p, struct raw_cur *o)
{
	uint8_t type, len;

	while (raw_cur_u8(o, &type) == 0) {
		if (type == RAW_IPV4_OPT_EOL)
			break;
		if (type == RAW_IPV4_OPT_NOP)
			continue;
		if (raw_cur_u8(o, &len) < 0 || len < 2 || raw_cur_skip(o, len - 2u) < 0)
			return reject(p, RAW_R_IPV4_OPT_BAD, -EBADMSG);
		if (type == RAW_IPV4_OPT_LSRR || type == RAW_IPV4_OPT_SSRR)
			return reject(p, RAW_R_IPV4_SRCROUTE, -EPROTONOSUPPORT);
	}
	return 0;
}

int raw_parse_ipv4(struct raw_pkt *p, struct raw_cur *c)
{
	const uint8_t *start = raw_cur_ptr(c);
	size_t avail = raw_cur_left(c);
	struct raw_cur dg, whole, l4, opts;
	uint16_t totlen = 0, id = 0, frag = 0, csum = 0;
	uint8_t vihl = 0, tos = 0, proto = 0;
	const uint8_t *sa = NULL, *da = NULL;
	size_t hlen;
	int r;

	if (!raw_cur_has(c, RAW_IPV4_HLEN_MIN))
		return reject(p, RAW_R_IP_TRUNC, -EBADMSG);
	/* The fixed header fits, so these reads cannot fail. */
	(void)raw_cur_u8(c, &vihl);
	(void)raw_cur_u8(c, &tos);
	(void)raw_cur_u16(c, &totlen);
	(void)raw_cur_u16(c, &id);
	(void)raw_cur_u16(c, &frag);
	(void)raw_cur_u8(c, &p->ttl);
	(void)raw_cur_u8(c, &proto);
	(void)raw_cur_u16(c, &csum);
	(void)raw_cur_bytes(c, RAW_IPV4_ALEN, &sa);
	(void)raw_cur_bytes(c, RAW_IPV4_ALEN, &da);

	if (vihl >> 4 != 4)
		return reject(p, RAW_R_IP_VERSION, -EBADMSG);
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < RAW_IPV4_HLEN_MIN)
		return reject(p, RAW_R_IPV4_IHL, -EBADMSG);
	/* Options are allowed and skipped: we never rewrite them. */
	if (raw_cur_sub(c, hlen - RAW_IPV4_HLEN_MIN, &opts) < 0)
		return reject(p, RAW_R_IPV4_OPT_TRUNC, -EBADMSG);
	if (totlen < hlen)
		return reject(p, RAW_R_IPV4_TOTLEN_SHORT, -EBADMSG);
	/* Re-window on the datagram: bytes past totlen are link padding. */
	raw_cur_init(&dg, start, avail);
	if (raw_cur_sub(&dg, totlen, &whole) < 0)
		return reject(p, RAW_R_IP_LEN_PAST, -EBADMSG);
	(void)raw_cur_skip(&whole, hlen);
	(void)raw_cur_sub(&whole, totlen - hlen, &l4);
	/* Neither a first fragment (MF) nor a later one (offset) is whole;
	 * we do not reassemble (see raw_pkt.h). */
	if (frag & (RAW_IPV4_FLAG_MF | RAW_IPV4_FRAG_MASK))
		return reject(p, RAW_R_FRAGMENT, -EOPNOTSUPP);
	r = check_options(p, &opts);
	if (r < 0)
		return r;

	p->family = AF_INET;
	p->l4_proto = proto;
	p->l3_hlen = (uint32_t)hlen;
	p->l3_len = totlen;
	p->len = p->l3_off + totlen;
	for (unsigned i = 0; i < RAW_IPV4_ALEN; i++) {
		p->saddr[i] = sa[i];
		p->daddr[i] = da[i];
	}
	return raw_parse_upper(p, &l4);
}
