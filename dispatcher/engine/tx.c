/* The worker's send path, for every mode: queue an IP packet on the raw
 * sender (or the detached engine's hook), cutting super-packets to the
 * MTU, and answer a refused segment with an RST. */
#include <errno.h>
#include <sys/socket.h>

#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>

#include "engine/worker.h"

static int send_raw(struct disp_worker *w, int family, const uint8_t *pkt,
		    size_t len)
{
	struct disp_tx *tx = family == AF_INET ? w->tx4 : w->tx6;

	/* Queued: the worker flushes the batch (one sendmmsg) after each
	 * receive burst, and counts what the kernel refused then. */
	if (w->tx_hook ? w->tx_hook(w->tx_hook_arg, family, pkt, len) == 0
		       : tx && disp_tx_queue(tx, pkt, len) == 0) {
		WSTAT_INC(w, tx_packets);
		WSTAT_ADD(w, tx_bytes, len);
		return 0;
	}
	WSTAT_INC(w, tx_errors);
	return -EIO;
}

struct split_ctx {
	struct disp_worker *w;
	int family;
};

static int split_emit(void *arg, uint8_t *pkt, size_t len)
{
	struct split_ctx *c = arg;

	return send_raw(c->w, c->family, pkt, len);
}

/* A super-packet (offloads: TSO/GSO across veth, GRO on NICs) is cut into
 * MTU-sized segments first, since a raw IP socket refuses anything longer
 * than the route MTU. */
void disp_send_ip(struct disp_worker *w, const struct raw_pkt *p)
{
	static __thread uint8_t seg[9216 + 128];
	size_t len = p->len - p->l3_off;
	struct split_ctx c = { w, p->family };
	int n;

	if (w->mtu == 0 || len <= w->mtu) {
		send_raw(w, p->family, p->buf + p->l3_off, len);
		return;
	}
	n = raw_io_tcp_split(p, w->mtu, seg, sizeof(seg), split_emit, &c);
	if (n < 0) {
		WSTAT_INC(w, tx_errors);
		return;
	}
	WSTAT_INC(w, gso_packets);
	WSTAT_ADD(w, gso_segments, (uint64_t)n);
}

/* As RFC 9293 3.10.7.1 says: to a segment with ACK, seq = its ack; else
 * seq 0 and RST|ACK covering it. A refused client fails at once instead
 * of retrying for a minute. */
void disp_send_rst(struct disp_worker *w, const struct raw_pkt *p)
{
	uint8_t b[128];
	struct raw_pkt out;
	bool acked = p->tcp_flags & RAW_TCP_ACK;
	struct raw_tcp_spec s = {
		.family = p->family,
		.saddr = p->daddr,
		.daddr = p->saddr,
		.sport = p->dport,
		.dport = p->sport,
		.seq = acked ? p->ack : 0,
		.ack = acked ? 0 : p->seq + p->payload_len +
				   !!(p->tcp_flags & RAW_TCP_SYN) +
				   !!(p->tcp_flags & RAW_TCP_FIN),
		.flags = acked ? RAW_TCP_RST : RAW_TCP_RST | RAW_TCP_ACK,
	};

	if (raw_tcp_build(b, sizeof(b), &s, &out) < 0)
		return;
	disp_send_ip(w, &out);
	WSTAT_INC(w, rst_sent);
}
