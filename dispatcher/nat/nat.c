/* nat mode: the backend is picked on the client's SYN, then every packet
 * of the flow has only its addresses and ports rewritten.
 *
 *   client -> VIP      dst VIP:vport -> backend:port
 *                      (source-NAT: src client:cport -> snat:nat_port)
 *   backend -> client  src backend:port -> VIP:vport
 *                      (source-NAT: dst snat:nat_port -> client:cport)
 *
 * Checksums follow raw-io's forwarding policy (raw_io_csum_fix): a
 * checksum the kernel left partial (offloads) is completed before the
 * rewrite, because the receiver verifies what we send; a corrupt one is
 * dropped and counted; then the rewrite updates it incrementally (RFC
 * 1624) so the cost does not grow with the payload.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>

#include "engine/engine_int.h"
#include "splice/splice_int.h"

static const enum raw_link link_map[] = {
	[DISP_LINK_ETH] = RAW_LINK_ETH,
	[DISP_LINK_SLL] = RAW_LINK_SLL,
	[DISP_LINK_IP] = RAW_LINK_IP,
};

static void addr_of(struct disp_addr *a, uint8_t family, const uint8_t *ip,
		    uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->port = port;
	if (family == AF_INET)
		memcpy(&a->ip.v4, ip, 4);
	else
		memcpy(&a->ip.v6, ip, 16);
}

void disp_key_of(struct disp_flow_key *k, uint8_t family, const uint8_t *s,
		   uint16_t sp, const uint8_t *d, uint16_t dp)
{
	if (family == AF_INET)
		disp_flow_key_v4(k, s, sp, d, dp, IPPROTO_TCP);
	else
		disp_flow_key_v6(k, s, sp, d, dp, IPPROTO_TCP);
}

/* Returns the backend's address bytes (network order) and port. */
const uint8_t *disp_be_ip(const struct disp_backend *be, uint16_t *port)
{
	const struct disp_addr *a = disp_backend_addr(be);

	*port = a->port;
	return a->family == AF_INET ? (const uint8_t *)&a->ip.v4
				    : (const uint8_t *)&a->ip.v6;
}

struct disp_svc *disp_svc_for(struct disp_engine *e, const struct raw_pkt *p,
			      size_t *idx)
{
	unsigned alen = p->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < e->nsvc; i++) {
		struct disp_svc *s = &e->svc[i];

		if (s->family == p->family && s->vport == p->dport &&
		    memcmp(s->vip, p->daddr, alen) == 0) {
			*idx = i;
			return s;
		}
	}
	return NULL;
}

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

/* Sends p; a super-packet (offloads: TSO/GSO across veth, GRO on NICs) is
 * cut into MTU-sized segments first, since a raw IP socket refuses
 * anything longer than the route MTU. */
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

/* Answers p with a reset from its destination as RFC 9293 3.10.7.1 says:
 * to a segment with ACK, seq = its ack; else seq 0 and RST|ACK covering
 * it. A refused client fails at once instead of retrying for a minute. */
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

/* DISP_F_COUNTED: the flow is counted in its backend's active connections.
 * The count ends when the connection does (both FINs acked, or RST), not
 * when the closed flow leaves the table after its linger, so least-
 * connections and `show backends` see open connections only. */
void disp_nat_count(struct disp_flow *f)
{
	if (f->backend && !(f->mod_flags & DISP_F_COUNTED)) {
		disp_backend_conn_inc(f->backend);
		f->mod_flags |= DISP_F_COUNTED;
	}
}

void disp_nat_uncount(struct disp_flow *f)
{
	if (f->backend && (f->mod_flags & DISP_F_COUNTED)) {
		disp_backend_conn_dec(f->backend);
		f->mod_flags &= (uint8_t)~DISP_F_COUNTED;
	}
}

static bool is_vport(const struct disp_engine *e, uint16_t port)
{
	for (unsigned i = 0; i < e->nvports; i++)
		if (e->vports[i] == port)
			return true;
	return false;
}

/* Returns a port in 1024..65535 derived from h that the steering program
 * sends to the same worker as cport (a few tries; each succeeds with
 * probability 1/workers; after 64 misses the port may steer elsewhere,
 * a chance of (1 - 1/workers)^64). */
static uint16_t snat_port(const struct disp_engine *e, uint16_t cport, uint32_t h)
{
	uint32_t n = e->nw ? e->nw : 1, want = disp_steer_mix(cport) % n;
	uint16_t p = 0;

	for (unsigned i = 0; i < 64; i++) {
		p = (uint16_t)(1024 + (h >> (i % 16) ^ h * (i + 1)) % 64512);
		if (disp_steer_mix(p) % n == want)
			break;
	}
	return p;
}

int disp_nat_reply_key(struct disp_worker *w, const struct disp_svc *s,
		       struct disp_flow *f, const struct disp_backend *be)
{
	const struct disp_flow_key *ck = &f->key[DISP_DIR_ORIG];
	struct disp_flow_key rk;
	uint16_t bport, nport = ck->sport;
	const uint8_t *bip = disp_be_ip(be, &bport);
	int r;

	/* With source NAT several clients share one address, so the port the
	 * backend sees is the client's if free, else the first free one of a
	 * few pseudo-random probes. Every candidate keeps the client port's
	 * residue modulo the worker count and is never a VIP port, so the
	 * steering program (steer.c) brings the answers back to this worker. */
	for (unsigned i = 0; i < 32; i++) {
		if (!s->snat) {
			disp_key_of(&rk, ck->family, bip, bport, ck->saddr, ck->sport);
			return disp_flow_set_reply(w->ft, f, &rk);
		}
		if (!is_vport(w->e, nport)) {
			disp_key_of(&rk, ck->family, bip, bport, s->snat_ip, nport);
			r = disp_flow_set_reply(w->ft, f, &rk);
			if (r == 0)
				f->nat_port = nport;
			if (r != -EEXIST)
				return r;
		}
		nport = snat_port(w->e, ck->sport, disp_flow_key_hash(ck, i + 1));
	}
	return -EEXIST;
}

/* Creates the flow for a client SYN to service s. Returns the flow or NULL
 * (refused and counted). */
static struct disp_flow *new_flow(struct disp_worker *w, struct disp_svc *s,
				  size_t sidx, const struct raw_pkt *p,
				  const struct disp_flow_key *k, uint64_t now)
{
	struct disp_addr client;
	struct disp_backend *be;
	struct disp_flow *f = NULL;
	int r;

	/* The table is shared by the services; each keeps its own bound, and
	 * a refused flow must not move the scheduler on. */
	if (w->svc_flows[sidx] >= s->max_per_worker)
		goto full;
	addr_of(&client, p->family, p->saddr, p->sport);
	be = disp_bset_pick(s->bset, &client);
	if (!be) {
		WSTAT_INC(w, refused_nobackend);
		disp_send_rst(w, p);
		return NULL;
	}
	r = disp_flow_insert(w->ft, k, NULL, now, &f);
	if (r == -ENOSPC) {
full:
		WSTAT_INC(w, refused_full);
		disp_ev_raise(w->bus, NULL, k, NULL, DISP_EV_REFUSED);
		disp_send_rst(w, p);
		return NULL;
	}
	if (r == 0) {
		f->service = (uint16_t)sidx;
		r = disp_nat_reply_key(w, s, f, be);
		if (r < 0)
			disp_flow_remove(w->ft, f, DISP_FLOW_END_REMOVED);
	}
	if (r < 0) {
		WSTAT_INC(w, dropped_noflow);
		return NULL;
	}
	w->svc_flows[sidx]++;
	disp_flow_set_class(w->ft, f, (unsigned)sidx);
	f->backend = be;
	f->mod_flags |= DISP_F_SVC;
	disp_nat_count(f);
	WSTAT_INC(w, flows_created);
	return f;
}

static void rewrite(struct disp_worker *w, struct raw_pkt *p,
		    const struct disp_flow *f, enum disp_flow_dir dir)
{
	const struct disp_svc *s = &w->e->svc[f->service];
	const struct disp_flow_key *ck = &f->key[DISP_DIR_ORIG];
	uint16_t bport;
	const uint8_t *bip = disp_be_ip(f->backend, &bport);

	if (dir == DISP_DIR_ORIG) {
		raw_rw_daddr(p, bip);
		raw_rw_dport(p, bport);
		if (s->snat) {
			raw_rw_saddr(p, s->snat_ip);
			raw_rw_sport(p, f->nat_port);
		}
	} else {
		raw_rw_saddr(p, s->vip);
		raw_rw_sport(p, s->vport);
		if (s->snat) {
			raw_rw_daddr(p, ck->saddr);
			raw_rw_dport(p, ck->sport);
		}
	}
}

void disp_nat_input(struct disp_worker *w, const struct disp_frame *fr,
		    uint64_t now)
{
	struct raw_pkt p;
	struct disp_flow_key k;
	struct disp_flow *f;
	enum disp_flow_dir dir = DISP_DIR_ORIG;
	struct disp_pkt_meta m;
	uint64_t ev;

	WSTAT_INC(w, rx_packets);
	WSTAT_ADD(w, rx_bytes, fr->len);
	if (fr->link >= DISP_LINK_OTHER || fr->len > sizeof(w->buf)) {
		WSTAT_INC(w, dropped_parse);
		return;
	}
	/* Copy out of the receive ring: the rewrite happens in place, and
	 * the ring slot goes back to the kernel after the burst. */
	memcpy(w->buf, fr->data, fr->len);
	if (raw_parse(&p, w->buf, fr->len, link_map[fr->link]) < 0) {
		WSTAT_INC(w, dropped_parse);
		return;
	}
	if (!p.is_tcp) {
		WSTAT_INC(w, ignored);
		return;
	}
	if (raw_io_csum_fix(&p, fr->flags) < 0) {
		WSTAT_INC(w, csum_bad);
		return;
	}
	disp_key_of(&k, p.family, p.saddr, p.sport, p.daddr, p.dport);
	f = disp_flow_lookup(w->ft, &k, &dir);

	/* A new SYN on the 4-tuple of a closing flow is a new connection
	 * (the client reused its port): schedule it afresh. */
	if (f && dir == DISP_DIR_ORIG &&
	    (p.tcp_flags & (RAW_TCP_SYN | RAW_TCP_ACK)) == RAW_TCP_SYN &&
	    f->state >= DISP_FLOW_FIN_WAIT) {
		disp_flow_remove(w->ft, f, f->closed_reason
				 ? (enum disp_flow_end)f->closed_reason
				 : DISP_FLOW_END_REMOVED);
		f = NULL;
	}
	if (!f) {
		size_t sidx;
		struct disp_svc *s = disp_svc_for(w->e, &p, &sidx);

		if (!s) {
			WSTAT_INC(w, ignored);
			return;
		}
		if (s->conf->mode == DISP_MODE_SPLICE) {
			splice_new(w, s, sidx, &p, &k, now);
			return;
		}
		if ((p.tcp_flags & (RAW_TCP_SYN | RAW_TCP_ACK | RAW_TCP_RST)) !=
		    RAW_TCP_SYN) {
			WSTAT_INC(w, dropped_noflow);
			return;
		}
		f = new_flow(w, s, sidx, &p, &k, now);
		if (!f)
			return;
		dir = DISP_DIR_ORIG;
	} else if (f->mod_flags & DISP_F_SPLICE) {
		splice_input(w, f, dir, &p, now);
		return;
	}

	m = (struct disp_pkt_meta){
		.seq = p.seq, .ack = p.ack, .payload_len = p.payload_len,
		.tcp_flags = p.tcp_flags, .dir = (uint8_t)dir,
		.payload = p.buf + p.payload_off,
	};
	ev = disp_flow_track(w->ft, f, &m, now);
	if (f->state == DISP_FLOW_CLOSED)
		disp_nat_uncount(f);
	if (ev && disp_ev_wanted(w->bus, ~0ull))
		disp_ev_raise(w->bus, f, NULL, &m, ev);

	rewrite(w, &p, f, dir);
	disp_send_ip(w, &p);
}

void disp_nat_release(struct disp_flow *f, enum disp_flow_end why, void *arg)
{
	struct disp_worker *w = arg;

	if (f->mod_flags & DISP_F_SPLICE)
		splice_release(w, f, disp_now_ms());
	disp_nat_uncount(f);
	if (f->mod_flags & DISP_F_SVC)
		w->svc_flows[f->service]--;
	if (why == DISP_FLOW_END_TIMEOUT)
		WSTAT_INC(w, flows_expired);
	else
		WSTAT_INC(w, flows_closed);
	if (w->bus)
		disp_ev_raise(w->bus, f, NULL, NULL,
			      DISP_EV_CLOSED |
			      (why == DISP_FLOW_END_TIMEOUT ? DISP_EV_TIMEOUT : 0));
}
