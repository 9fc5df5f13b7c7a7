/* Building TCP segments from scratch (RST, SYN-ACK, the replayed SYN). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "bytes.h"
#include "splicekit/raw_consts.h"
#include "splicekit/raw_csum.h"
#include "splicekit/raw_rewrite.h"

int raw_tcp_build(uint8_t *buf, size_t cap, const struct raw_tcp_spec *s,
		  struct raw_pkt *out)
{
	struct raw_pkt local;
	size_t l3h, tcph, total;
	uint8_t *t;
	int r;

	if (!s || !buf || !s->saddr || !s->daddr)
		return -EINVAL;
	if (s->family == AF_INET)
		l3h = RAW_IPV4_HLEN_MIN;
	else if (s->family == AF_INET6)
		l3h = RAW_IPV6_HLEN;
	else
		return -EINVAL;
	if (s->opts_len % 4 || s->opts_len > RAW_TCP_HLEN_MAX - RAW_TCP_HLEN_MIN ||
	    (s->opts_len && !s->opts) || (s->payload_len && !s->payload))
		return -EINVAL;
	tcph = RAW_TCP_HLEN_MIN + s->opts_len;
	/* IPv4 total length and IPv6 payload length are 16-bit. */
	if (s->payload_len > 65535 - l3h - tcph)
		return -EINVAL;
	total = l3h + tcph + s->payload_len;
	if (total > cap)
		return -ENOSPC;

	memset(buf, 0, l3h + tcph);
	if (s->family == AF_INET) {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)total);
		put16(buf + 6, RAW_IPV4_FLAG_DF);
		buf[8] = s->ttl ? s->ttl : 64;
		buf[9] = RAW_IPPROTO_TCP;
		memcpy(buf + RAW_IPV4_OFF_SADDR, s->saddr, RAW_IPV4_ALEN);
		memcpy(buf + RAW_IPV4_OFF_DADDR, s->daddr, RAW_IPV4_ALEN);
	} else {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)(tcph + s->payload_len));
		buf[6] = RAW_IPPROTO_TCP;
		buf[7] = s->ttl ? s->ttl : 64;
		memcpy(buf + RAW_IPV6_OFF_SADDR, s->saddr, RAW_IPV6_ALEN);
		memcpy(buf + RAW_IPV6_OFF_DADDR, s->daddr, RAW_IPV6_ALEN);
	}
	t = buf + l3h;
	put16(t, s->sport);
	put16(t + 2, s->dport);
	put32(t + RAW_TCP_OFF_SEQ, s->seq);
	put32(t + RAW_TCP_OFF_ACK, s->ack);
	t[12] = (uint8_t)(tcph / 4) << 4;
	t[13] = s->flags;
	put16(t + RAW_TCP_OFF_WIN, s->window);
	if (s->opts_len)
		memcpy(t + RAW_TCP_HLEN_MIN, s->opts, s->opts_len);
	if (s->payload_len)
		memcpy(t + tcph, s->payload, s->payload_len);

	if (!out)
		out = &local;
	r = raw_parse_ip(out, buf, total);
	if (r < 0)
		return r;
	raw_ipv4_csum_set(out);
	raw_tcp_csum_set(out);
	return (int)total;
}

int raw_tcpopt_build_syn(uint8_t *buf, size_t cap, uint16_t mss,
			 bool sack_perm, bool ts, uint32_t tsval,
			 uint32_t tsecr, int wscale)
{
	uint8_t o[40];
	size_t n = 0;

	if (mss) {
		o[n++] = RAW_TCPOPT_MSS;
		o[n++] = RAW_TCPOLEN_MSS;
		put16(o + n, mss);
		n += 2;
	}
	/* Linux's SYN layout: SACK-permitted rides in the two bytes before
	 * the timestamps instead of two NOPs. */
	if (ts) {
		if (sack_perm) {
			o[n++] = RAW_TCPOPT_SACK_PERM;
			o[n++] = RAW_TCPOLEN_SACK_PERM;
		} else {
			o[n++] = RAW_TCPOPT_NOP;
			o[n++] = RAW_TCPOPT_NOP;
		}
		o[n++] = RAW_TCPOPT_TS;
		o[n++] = RAW_TCPOLEN_TS;
		put32(o + n, tsval);
		put32(o + n + 4, tsecr);
		n += 8;
	} else if (sack_perm) {
		o[n++] = RAW_TCPOPT_NOP;
		o[n++] = RAW_TCPOPT_NOP;
		o[n++] = RAW_TCPOPT_SACK_PERM;
		o[n++] = RAW_TCPOLEN_SACK_PERM;
	}
	if (wscale >= 0) {
		o[n++] = RAW_TCPOPT_NOP;
		o[n++] = RAW_TCPOPT_WSCALE;
		o[n++] = RAW_TCPOLEN_WSCALE;
		o[n++] = (uint8_t)(wscale > RAW_TCP_WSCALE_MAX ? RAW_TCP_WSCALE_MAX : wscale);
	}
	if (n > cap)
		return -ENOSPC;
	memcpy(buf, o, n);
	return (int)n;
}
