/* TCP fixed header: policy in raw_pkt.h. Options are parsed on demand in
 * tcpopt.c; here only their span is recorded. */
#include <errno.h>

#include "parse_int.h"
#include "splicekit/raw_consts.h"

int raw_parse_tcp(struct raw_pkt *p, struct raw_cur *c)
{
	uint8_t doff = 0, flags = 0;
	uint16_t csum = 0, urg = 0;
	size_t hlen;

	if (!raw_cur_has(c, RAW_TCP_HLEN_MIN))
		return reject(p, RAW_R_TCP_TRUNC, -EBADMSG);
	/* The fixed header fits, so these reads cannot fail. */
	(void)raw_cur_u16(c, &p->sport);
	(void)raw_cur_u16(c, &p->dport);
	(void)raw_cur_u32(c, &p->seq);
	(void)raw_cur_u32(c, &p->ack);
	(void)raw_cur_u8(c, &doff);
	(void)raw_cur_u8(c, &flags);
	(void)raw_cur_u16(c, &p->window);
	(void)raw_cur_u16(c, &csum);
	(void)raw_cur_u16(c, &urg);

	hlen = (size_t)(doff >> 4) * 4;
	if (hlen < RAW_TCP_HLEN_MIN)
		return reject(p, RAW_R_TCP_DOFF_SHORT, -EBADMSG);
	if (raw_cur_skip(c, hlen - RAW_TCP_HLEN_MIN) < 0)
		return reject(p, RAW_R_TCP_DOFF_PAST, -EBADMSG);

	p->tcp_flags = flags;
	p->tcp_hlen = (uint8_t)hlen;
	p->opt_off = p->l4_off + RAW_TCP_HLEN_MIN;
	p->opt_len = (uint8_t)(hlen - RAW_TCP_HLEN_MIN);
	p->payload_off = p->l4_off + (uint32_t)hlen;
	p->payload_len = (uint32_t)raw_cur_left(c);
	p->is_tcp = true;
	return 0;
}
