/* The engine's side of the kernel fast path (dispatcher/fastpath): which
 * flows enter the flow map, with what, and what user space still does for
 * them.
 *
 * A nat flow is offloaded when its handshake completes (the client's ACK
 * of the SYN-ACK): from then on the tc program on the dispatcher's
 * interfaces rewrites and redirects its segments, and the capture's socket
 * filter keeps them away from the workers except SYN, FIN and RST. Those
 * still drive the tracker here (close, backend counts), but are not sent
 * again: the kernel already forwarded them.
 *
 * The redirect needs the Ethernet addresses each direction leaves with.
 * They are learned from the handshake itself: the client's SYN arrives
 * from the client's next hop on the client-side interface, the backend's
 * SYN-ACK from the backend's next hop on the server side; the addresses
 * those frames were sent to are ours. Each worker keeps what it learned in
 * a small direct-mapped cache by source IP (both directions of a flow come
 * to one worker). A flow whose ends are not in the cache stays in user
 * space, counted (fp_nomac), as does one the map has no room for
 * (fp_full).
 *
 * An offloaded flow ends as any other (FIN/RST seen, or idle): its map
 * entries go, and their counters join the statistics. Idle expiry asks
 * the map when the kernel last forwarded a segment (fp_alive).
 *
 * Stopping spliced leaves the entries and the tc programs in place (the
 * maps are pinned): established connections keep forwarding while the
 * daemon is down, and the next process adopts the map. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>

#include "engine/worker.h"
#include "fastpath/fastpath.h"
#include "util/clock.h"
#include "util/log.h"

#define NEIGH_SLOTS 1024 /* per worker, a power of two */

struct disp_neigh {
	uint8_t ip[16];
	uint8_t family;     /* 0: empty */
	uint8_t peer[6];    /* the next hop's address: frames go TO it */
	uint8_t own[6];     /* ours on that interface: frames come FROM it */
	int ifindex;
};

/* Wall-clock ms, low 32 bits: the clock of the capture's timestamps. */
static uint32_t wall_ms(void)
{
	return (uint32_t)((int64_t)disp_now_ms() + disp_wall_offset_ms());
}

static bool svc_wants(const struct disp_service_conf *sc)
{
	return sc->fastpath != DISP_FASTPATH_OFF;
}

static int match_be(struct disp_engine *e, const struct disp_addr *a)
{
	return disp_fp_match_add(e->fp, a->family, disp_addr_ip(a), a->port,
				 false);
}

/* Lists every VIP and backend in the socket filter's match map. */
static int match_services(struct disp_engine *e)
{
	for (size_t i = 0; i < e->nsvc; i++) {
		const struct disp_service_conf *sc = e->svc[i].conf;
		int r = disp_fp_match_add(e->fp, sc->vip.family, e->svc[i].vip,
					  sc->vip.port, true);

		if (r)
			return r;
	}
	return disp_offload_match_new(e, NULL);
}

int disp_offload_match_new(struct disp_engine *e, const struct disp_config *c)
{
	int r = 0;

	/* the live sets (add backend) and the reloaded file's backends */
	for (size_t i = 0; i < e->nsvc && r == 0; i++) {
		struct disp_bset *bs = e->svc[i].bset;

		for (size_t b = 0; b < disp_bset_count(bs) && r == 0; b++)
			if (disp_backend_listed(disp_bset_get(bs, b)))
				r = match_be(e, disp_backend_addr(disp_bset_get(bs, b)));
	}
	for (size_t i = 0; c && i < c->n_services && r == 0; i++)
		for (size_t b = 0; b < c->services[i].n_backends && r == 0; b++)
			r = match_be(e, &c->services[i].backends[b].addr);
	return r;
}

/* Attaches the translator to the interfaces of the services that ask. */
static int attach_ifaces(struct disp_engine *e, char *err, size_t errlen)
{
	for (size_t i = 0; i < e->nsvc; i++) {
		const struct disp_service_conf *sc = e->svc[i].conf;
		const char *ifs[2] = { sc->client_if, sc->server_if };

		if (!svc_wants(sc))
			continue;
		for (int j = 0; j < 2; j++) {
			int ix = (int)if_nametoindex(ifs[j]);
			int r = ix ? disp_fp_attach_tc(e->fp, ix) : -ENODEV;

			if (r) {
				snprintf(err, errlen, "service %s: fastpath on %s: %s",
					 sc->name, ifs[j],
					 ix ? disp_fp_reason(e->fp) : "no such interface");
				return r;
			}
		}
	}
	return 0;
}

/* Opens the fast path, pinned so flows outlive the process; without a
 * bpf filesystem it still runs, unpinned, and says what that costs. */
static int open_fp(struct disp_engine *e, uint32_t max_flows, char *err,
		   size_t errlen)
{
	const char *dir = e->cfg->fp_dir[0] ? e->cfg->fp_dir : DISP_FP_DIR_DEFAULT;
	int r = disp_fp_open(&e->fp, dir, max_flows, err, errlen);

	if (r == -ENOTSUP || r == -ENOENT) {
		disp_log(LOG_WARNING, "fastpath: cannot pin in %s (%s): offloaded "
			 "connections will not survive a restart", dir, err);
		r = disp_fp_open(&e->fp, NULL, max_flows, err, errlen);
	}
	return r;
}

int disp_offload_engine_init(struct disp_engine *e, uint32_t max_flows,
			     char *err, size_t errlen)
{
	bool tc = false, any = false;
	char why[512] = "";
	int r;

	for (size_t i = 0; i < e->nsvc; i++) {
		any |= svc_wants(e->svc[i].conf);
		tc |= e->svc[i].conf->fastpath == DISP_FASTPATH_TC;
	}
	if (!any || e->detached)
		return 0;
	/* With several workers the captures are AF_PACKET fanout members,
	 * and a member with the fast path's socket filter on it receives
	 * nothing from its group (a 6.18 host kernel, tests/netns): until that
	 * is understood, the fast path runs with one worker only. */
	if (e->nw > 1) {
		snprintf(why, sizeof(why), "it needs workers 1 (this config "
			 "has %u)", e->nw);
		r = -ENOTSUP;
	} else {
		r = open_fp(e, max_flows, why, sizeof(why));
	}
	if (r == 0) {
		r = attach_ifaces(e, why, sizeof(why));
		if (r == 0 && (r = match_services(e)))
			snprintf(why, sizeof(why), "%s", disp_fp_reason(e->fp));
	}
	if (r == 0) {
		for (size_t i = 0; i < e->nsvc; i++)
			e->svc[i].fp_on = svc_wants(e->svc[i].conf);
		disp_log(LOG_INFO, "fastpath: on (%u map entries adopted from a previous process)",
			 disp_fp_adopted(e->fp));
		return 0;
	}
	if (e->fp)
		disp_fp_close(e->fp, true);
	e->fp = NULL;
	if (tc) {
		snprintf(err, errlen, "fastpath tc: %s", why);
		return r;
	}
	disp_log(LOG_WARNING, "fastpath auto: forwarding in user space: %s", why);
	return 0;
}

void disp_offload_engine_fini(struct disp_engine *e)
{
	disp_fp_close(e->fp, true);
	e->fp = NULL;
}

int disp_offload_worker_init(struct disp_worker *w)
{
	if (!w->e->fp)
		return 0;
	w->neigh = calloc(NEIGH_SLOTS, sizeof(*w->neigh));
	return w->neigh ? 0 : -ENOMEM;
}

int disp_offload_attach_rx(struct disp_engine *e, int fd, char *err,
			   size_t errlen)
{
	int r;

	if (!e->fp)
		return 0;
	r = disp_fp_attach_filter(e->fp, fd);
	if (r)
		snprintf(err, errlen, "fastpath socket filter: %s",
			 disp_fp_reason(e->fp));
	return r;
}

static struct disp_neigh *slot(struct disp_worker *w, const uint8_t ip[16])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 16777619u;
	return &w->neigh[h & (NEIGH_SLOTS - 1)];
}

void disp_offload_learn(struct disp_worker *w, const struct disp_frame *fr,
			const struct raw_pkt *p)
{
	struct disp_neigh *n;

	/* A stripped VLAN tag would not be put back by the redirect. */
	if (!w->neigh || fr->link != RAW_LINK_ETH ||
	    (fr->flags & RAW_FRAME_VLAN) || p->has_vlan ||
	    !(p->tcp_flags & RAW_TCP_SYN))
		return;
	n = slot(w, p->saddr);
	memcpy(n->ip, p->saddr, 16);
	n->family = p->family;
	memcpy(n->own, fr->data, 6);
	memcpy(n->peer, fr->data + 6, 6);
	n->ifindex = fr->ifindex;
}

static const struct disp_neigh *neigh_of(struct disp_worker *w,
					 const struct disp_flow_key *k)
{
	const struct disp_neigh *n = slot(w, k->saddr);

	return n->family == k->family && memcmp(n->ip, k->saddr, 16) == 0
	       ? n : NULL;
}

static void fp_key_of(struct disp_fp_key *fk, const struct disp_flow_key *k)
{
	memset(fk, 0, sizeof(*fk));
	memcpy(fk->saddr, k->saddr, 16);
	memcpy(fk->daddr, k->daddr, 16);
	fk->sport = htons(k->sport);
	fk->dport = htons(k->dport);
	fk->family = k->family == AF_INET ? DISP_FP_FAM_V4 : DISP_FP_FAM_V6;
	fk->proto = IPPROTO_TCP;
}

/* The entry for packets arriving with key `in`: they leave with the
 * reverse of `back` (the key the other direction arrives with), out of
 * the interface toward the host `to` that sends with key `back`, their
 * sequence space translated as x says (NULL: nat, nothing to do). */
static void entry_of(struct disp_worker *w, struct disp_fp_flow *v,
		     const struct disp_flow_key *back,
		     const struct disp_neigh *to, const struct disp_flow *f,
		     const struct disp_offload_dir *x)
{
	memset(v, 0, sizeof(*v));
	if (x) {
		v->seq_delta = x->seq_delta;
		v->ack_delta = x->ack_delta;
		v->tsval_delta = x->tsval_delta;
		v->tsecr_delta = x->tsecr_delta;
		v->win_from = x->win_from;
		v->win_to = x->win_to;
	}
	memcpy(v->saddr, back->daddr, 16);
	memcpy(v->daddr, back->saddr, 16);
	v->sport = htons(back->dport);
	v->dport = htons(back->sport);
	v->flags = x ? DISP_FP_F_SPLICE : DISP_FP_F_NAT;
	v->snat_port = f->nat_port;
	if (f->backend)
		v->backend = (uint16_t)disp_bset_index(
			w->e->svc[f->service].bset, f->backend);
	v->ifindex = (uint32_t)to->ifindex;
	memcpy(v->smac, to->own, 6);
	memcpy(v->dmac, to->peer, 6);
}

void disp_offload_try(struct disp_worker *w, struct disp_flow *f,
		      const struct disp_offload_dir x[2])
{
	const struct disp_neigh *cn, *bn;
	struct disp_fp_flow vo, vr;
	struct disp_fp_key ko, kr;
	int r;

	if (!w->e->svc[f->service].fp_on || (f->mod_flags & DISP_F_FP_TRIED))
		return;
	f->mod_flags |= DISP_F_FP_TRIED;
	cn = neigh_of(w, &f->key[DISP_DIR_ORIG]);
	bn = neigh_of(w, &f->key[DISP_DIR_REPLY]);
	if (!cn || !bn) {
		WSTAT_INC(w, fp_nomac);
		return;
	}
	fp_key_of(&ko, &f->key[DISP_DIR_ORIG]);
	fp_key_of(&kr, &f->key[DISP_DIR_REPLY]);
	entry_of(w, &vo, &f->key[DISP_DIR_REPLY], bn, f,
		 x ? &x[DISP_DIR_ORIG] : NULL);
	entry_of(w, &vr, &f->key[DISP_DIR_ORIG], cn, f,
		 x ? &x[DISP_DIR_REPLY] : NULL);
	r = disp_fp_insert(w->e->fp, &ko, &vo);
	if (r == 0) {
		r = disp_fp_insert(w->e->fp, &kr, &vr);
		if (r)
			disp_fp_remove(w->e->fp, &ko);
	}
	if (r == -ENOSPC) {
		WSTAT_INC(w, fp_full);
		return;
	}
	if (r) {
		WSTAT_INC(w, fp_insert_err);
		return;
	}
	f->mod_flags |= DISP_F_FP;
	f->fp_since = wall_ms();
	WSTAT_INC(w, fp_offloaded);
}

/* What the kernel's parser (fastpath/bpf/fp_parse.bpf.h) takes: Ethernet,
 * IPv4 without options and unfragmented, or IPv6 with TCP next. */
static bool kernel_parses(const struct disp_frame *fr, const struct raw_pkt *p)
{
	if (fr->link != RAW_LINK_ETH || (fr->flags & RAW_FRAME_VLAN) ||
	    p->has_vlan)
		return false;
	return p->family == AF_INET ? p->l3_hlen == 20 : p->l3_hlen == 40;
}

/* The capture (and its filter) sees a packet before tc does. A packet of
 * an offloaded flow that comes up was captured either before its entries
 * existed (the filter passed it; tc may or may not have found them a
 * moment later) or after (the filter passed it for its FIN or RST, and tc
 * forwarded it). Only in the second case did the kernel surely send it:
 * the capture's timestamp, against when the entries went in (with a
 * millisecond of slack for the clock's grain), tells which. A packet in
 * doubt is sent again from here: a duplicate costs TCP nothing, a loss
 * costs it a retransmission timeout. */
bool disp_offload_kernel_sent(const struct disp_worker *w,
			      const struct disp_flow *f, const struct raw_pkt *p)
{
	const struct disp_frame *fr = w->cur;

	/* A SYN of an offloaded tuple is left to user space by tc. */
	if (!(f->mod_flags & DISP_F_FP) || (p->tcp_flags & RAW_TCP_SYN) ||
	    !fr || !fr->ts_ms || !kernel_parses(fr, p))
		return false;
	return (int32_t)((uint32_t)fr->ts_ms - f->fp_since) > 1;
}

/* Sums both entries' counters into c; false if neither is there. */
static bool read_both(const struct disp_engine *e, const struct disp_flow *f,
		      struct disp_fp_counters c[2])
{
	struct disp_fp_key k;
	bool any = false;

	for (int d = 0; d < 2; d++) {
		memset(&c[d], 0, sizeof(c[d]));
		fp_key_of(&k, &f->key[d]);
		any |= disp_fp_read(e->fp, &k, &c[d]) == 0;
	}
	return any;
}

uint64_t disp_offload_alive(struct disp_flow *f, void *arg)
{
	struct disp_worker *w = arg;
	struct disp_fp_counters c[2];
	uint64_t ns;

	if (!(f->mod_flags & DISP_F_FP) || !read_both(w->e, f, c))
		return 0;
	ns = c[0].last_seen_ns > c[1].last_seen_ns ? c[0].last_seen_ns
						   : c[1].last_seen_ns;
	return ns / 1000000; /* both CLOCK_MONOTONIC */
}

/* Adoption: a flow a previous process offloaded is found by its
 * client->VIP entry (the other is its reply) and enters the table of the
 * worker its packets are steered to, established and offloaded, so its
 * FIN or RST, or its idleness, end it here as if this process had made it.
 * A splice flow comes back without its splice state (f->user NULL): all
 * user space still does for it is track its end. */
struct adopt {
	struct disp_engine *e;
	uint64_t now;
};

static int svc_of_vip(const struct disp_engine *e, const struct disp_fp_key *k)
{
	for (size_t i = 0; i < e->nsvc; i++) {
		const struct disp_svc *s = &e->svc[i];

		if (s->fp_on && (s->family == AF_INET) == (k->family == DISP_FP_FAM_V4) &&
		    s->vport == ntohs(k->dport) &&
		    memcmp(s->vip, k->daddr, s->family == AF_INET ? 4 : 16) == 0)
			return (int)i;
	}
	return -1;
}

static struct disp_backend *backend_of(struct disp_bset *bs,
				       const struct disp_flow_key *reply)
{
	struct disp_addr a;

	disp_addr_set(&a, reply->family, reply->saddr, reply->sport);
	for (size_t i = 0; i < disp_bset_count(bs); i++) {
		struct disp_backend *be = disp_bset_get(bs, i);

		if (be && disp_addr_equal(disp_backend_addr(be), &a))
			return be;
	}
	return NULL;
}

static int adopt_one(const struct disp_fp_key *k, const struct disp_fp_flow *v,
		     void *arg)
{
	struct adopt *a = arg;
	struct disp_engine *e = a->e;
	int fam = k->family == DISP_FP_FAM_V4 ? AF_INET : AF_INET6;
	int sidx = svc_of_vip(e, k);
	struct disp_flow_key ko, kr;
	struct disp_worker *w;
	struct disp_flow *f;

	if (!(v->flags & (DISP_FP_F_NAT | DISP_FP_F_SPLICE)) || sidx < 0)
		return 0;
	w = &e->w[e->nw > 1 ? disp_steer_mix(ntohs(k->sport)) % e->nw : 0];
	disp_key_of(&ko, (uint8_t)fam, k->saddr, ntohs(k->sport), k->daddr,
		    ntohs(k->dport));
	/* The backend answers from where this entry sends to. */
	disp_key_of(&kr, (uint8_t)fam, v->daddr, ntohs(v->dport), v->saddr,
		    ntohs(v->sport));
	if (disp_flow_insert(w->ft, &ko, &kr, a->now, &f) < 0) {
		WSTAT_INC(w, fp_insert_err);
		return 0;
	}
	w->svc_flows[sidx]++;
	disp_flow_set_class(w->ft, f, (unsigned)sidx);
	f->service = (uint16_t)sidx;
	f->nat_port = v->snat_port;
	f->mod_flags |= DISP_F_SVC | DISP_F_FP | DISP_F_FP_TRIED;
	/* Its entries were there all along: whatever the new captures saw of
	 * it, the kernel forwarded (half the 32-bit range back: long ago). */
	f->fp_since = wall_ms() - (1u << 30);
	f->backend = backend_of(e->svc[sidx].bset, &kr);
	disp_flow_set_state(w->ft, f, DISP_FLOW_ESTABLISHED, a->now);
	disp_conn_count(f);
	WSTAT_INC(w, flows_created);
	WSTAT_INC(w, fp_adopted);
	return 0;
}

void disp_offload_adopt(struct disp_engine *e)
{
	struct adopt a = { .e = e, .now = disp_now_ms() };

	if (e->fp && disp_fp_adopted(e->fp))
		disp_fp_foreach(e->fp, adopt_one, &a);
}

int disp_offload_counters(const struct disp_engine *e, const struct disp_flow *f,
			  uint64_t pkts[2], uint64_t bytes[2])
{
	struct disp_fp_counters c[2];

	if (!e->fp || !(f->mod_flags & DISP_F_FP) || !read_both(e, f, c))
		return -ENOENT;
	for (int d = 0; d < 2; d++) {
		pkts[d] = c[d].packets;
		bytes[d] = c[d].bytes;
	}
	return 0;
}

void disp_offload_release(struct disp_worker *w, struct disp_flow *f,
			  bool keep)
{
	uint64_t pkts[2], bytes[2];
	struct disp_fp_key k;

	if (!(f->mod_flags & DISP_F_FP))
		return;
	if (disp_offload_counters(w->e, f, pkts, bytes) == 0) {
		WSTAT_ADD(w, fp_packets, pkts[0] + pkts[1]);
		WSTAT_ADD(w, fp_bytes, bytes[0] + bytes[1]);
	}
	/* At shutdown the entries stay: the kernel keeps the connection
	 * going until the next process takes it over. */
	if (keep)
		return;
	for (int d = 0; d < 2; d++) {
		fp_key_of(&k, &f->key[d]);
		disp_fp_remove(w->e->fp, &k);
	}
	f->mod_flags &= (uint8_t)~DISP_F_FP;
	WSTAT_INC(w, fp_closed);
}
