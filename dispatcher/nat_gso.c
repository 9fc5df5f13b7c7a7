/* Software segmentation for super-packets. With offloads on, a sender's
 * TSO/GSO segment (up to 64 KiB) crosses veth whole, and GRO builds such
 * packets on real NICs; a raw IP socket refuses to send anything longer
 * than the route MTU. So after the rewrite a super-packet is cut into
 * MTU-sized segments here, each with its own IP length (and IPv4 ID),
 * sequence number and full checksums. FIN and PSH go on the last segment
 * only and CWR on the first, as the kernel's own GSO does. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_pkt.h>

#include "engine_int.h"

#define TCP_CWR 0x80

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

int disp_gso_segment(const struct raw_pkt *p, unsigned mtu,
		     int (*emit)(const uint8_t *pkt, size_t len, void *arg),
		     void *arg)
{
	uint8_t seg[RAW_IPV4_HLEN_MAX + RAW_IPV6_HLEN * 2 + 9216];
	const uint8_t *ip = p->buf + p->l3_off;
	uint32_t hdr = p->l3_hlen + p->tcp_hlen;
	uint32_t mss, done = 0;
	uint16_t id = 0;
	unsigned k = 0;

	if (!p->is_tcp || mtu <= hdr + 8 || mtu > hdr + 9216)
		return -EINVAL;
	mss = mtu - hdr;
	if (p->family == AF_INET)
		id = (uint16_t)(ip[4] << 8 | ip[5]);
	while (done < p->payload_len || (p->payload_len == 0 && k == 0)) {
		uint32_t n = p->payload_len - done < mss ? p->payload_len - done : mss;
		bool last = done + n >= p->payload_len;
		uint8_t *tcp = seg + p->l3_hlen;
		struct raw_pkt q;
		int r;

		memcpy(seg, ip, hdr);
		memcpy(seg + hdr, p->buf + p->payload_off + done, n);
		if (p->family == AF_INET) {
			put16(seg + 2, (uint16_t)(hdr + n));
			put16(seg + 4, (uint16_t)(id + k));
		} else {
			put16(seg + 4, (uint16_t)(hdr + n - RAW_IPV6_HLEN));
		}
		put32(tcp + RAW_TCP_OFF_SEQ, p->seq + done);
		if (!last)
			tcp[13] &= (uint8_t)~(RAW_TCP_FIN | RAW_TCP_PSH);
		if (k > 0)
			tcp[13] &= (uint8_t)~TCP_CWR;
		if (raw_parse_ip(&q, seg, hdr + n) < 0 || !q.is_tcp)
			return -EBADMSG;
		if (p->family == AF_INET)
			raw_ipv4_csum_set(&q);
		raw_tcp_csum_set(&q);
		r = emit(seg, hdr + n, arg);
		if (r < 0)
			return r;
		done += n;
		k++;
	}
	return (int)k;
}
