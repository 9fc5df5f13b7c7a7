/* The SYN-ACK splice mode sends in the backend's name.
 *
 * Options are answered as RFC 7323 and RFC 2018 require: window scale,
 * SACK-permitted and timestamps only if the SYN carried them (a SYN-ACK
 * must not introduce them). The window field of a SYN-ACK is never
 * scaled, so it is set directly; it admits at least two segments so the
 * client can send a ClientHello of up to 2 MSS without waiting for us. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "splicekit/raw_consts.h"
#include "splicekit/raw_rewrite.h"
#include "splice/syn/splice_syn.h"

#define DEFAULT_MSS 1460u
#define RFC_MSS     536u    /* RFC 9293 3.7.1: no MSS option means 536 */

int ssyn_build_synack(uint8_t *buf, size_t cap, const struct ssyn_tuple *t,
		      uint32_t client_isn, const struct ssyn_opts *c,
		      uint32_t isn, const struct ssyn_local *l,
		      struct raw_pkt *out)
{
	uint8_t opts[40];
	uint16_t our_mss = l->mss ? l->mss : DEFAULT_MSS;
	uint32_t peer_mss = c->mss ? c->mss : RFC_MSS;
	uint32_t seg = peer_mss < our_mss ? peer_mss : our_mss;
	uint32_t win = l->window;
	int olen;

	if (t->family != AF_INET && t->family != AF_INET6)
		return -EINVAL;
	if (l->wscale > 14 || c->wscale > 14)
		return -EINVAL;
	if (win < 2 * seg)
		win = 2 * seg;
	if (win > 65535)
		win = 65535;
	olen = raw_tcpopt_build_syn(opts, sizeof opts, our_mss, c->sack_perm,
				    c->ts, l->tsval, c->tsval,
				    c->wscale >= 0 ? l->wscale : -1);
	if (olen < 0)
		return olen;

	struct raw_tcp_spec s = {
		.family = t->family,
		.saddr = t->vaddr,
		.daddr = t->caddr,
		.sport = t->vport,
		.dport = t->cport,
		.seq = isn,
		.ack = client_isn + 1,
		.flags = RAW_TCP_SYN | RAW_TCP_ACK,
		.window = (uint16_t)win,
		.ttl = l->ttl,
		.opts = opts,
		.opts_len = (size_t)olen,
	};
	return raw_tcp_build(buf, cap, &s, out);
}
