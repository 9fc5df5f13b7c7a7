/* Software segmentation of GRO/TSO super-packets (offload policy, see
 * raw_io.h): what the NIC would have done, done before we send. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/cursor.h>
#include <splicekit/raw_csum.h>
#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>

#include "bytes.h"

int raw_io_tcp_split(const struct raw_pkt *p, unsigned mtu, uint8_t *out,
		     size_t outlen, int (*emit)(void *ctx, uint8_t *pkt, size_t len),
		     void *ctx)
{
	uint32_t hlen, mss, done = 0;
	uint16_t id = 0;
	struct raw_cur c;
	int n = 0, r;

	if (!p->is_tcp)
		return -EINVAL;
	if (outlen < mtu)
		return -ENOSPC;
	/* Everything up to the payload is repeated in every piece. */
	hlen = p->payload_off - p->l3_off;
	if (hlen >= mtu)
		return -EMSGSIZE;
	mss = mtu - hlen;
	if (p->family == AF_INET) {
		raw_cur_init(&c, p->buf, p->len);
		if (raw_cur_skip(&c, p->l3_off + 4) < 0 || raw_cur_u16(&c, &id) < 0)
			return -EBADMSG;
	}
	do {
		uint32_t seg = p->payload_len - done < mss ? p->payload_len - done : mss;
		bool last = done + seg == p->payload_len;
		uint8_t *tcp = out + (p->l4_off - p->l3_off);
		uint8_t flags = p->tcp_flags;
		struct raw_pkt v;

		memcpy(out, p->buf + p->l3_off, hlen);
		memcpy(out + hlen, p->buf + p->payload_off + done, seg);
		if (p->family == AF_INET) {
			put16(out + 2, (uint16_t)(hlen + seg));
			put16(out + 4, (uint16_t)(id + n));
		} else {
			put16(out + 4, (uint16_t)(hlen + seg - RAW_IPV6_HLEN));
		}
		put32(tcp + RAW_TCP_OFF_SEQ, p->seq + done);
		if (!last)
			flags &= (uint8_t)~(RAW_TCP_FIN | RAW_TCP_PSH);
		if (n > 0)
			flags &= (uint8_t)~RAW_TCP_CWR;
		tcp[13] = flags;
		/* The piece is ours and well formed by construction; parsing
		 * it gives the view the checksum functions take. */
		if (raw_parse_ip(&v, out, hlen + seg) < 0 || !v.is_tcp)
			return -EBADMSG;
		if (v.family == AF_INET)
			raw_ipv4_csum_set(&v);
		raw_tcp_csum_set(&v);
		r = emit(ctx, out, hlen + seg);
		if (r < 0)
			return r;
		done += seg;
		n++;
	} while (done < p->payload_len);
	return n;
}
