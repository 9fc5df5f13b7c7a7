/* What every mode does with a connection's flow: admit it against the
 * service's share of the table, give it a reply key (source NAT picks a
 * port steered back to this worker), count it on its backend, track its
 * TCP state, rewrite its addresses, and release it. The modes add only
 * what is theirs (nat: nothing more; splice: the handshake, the hello, the
 * sequence translation). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>

#include "engine/worker.h"
#include "engine/mode.h"
#include "util/clock.h"

void disp_key_of(struct disp_flow_key *k, uint8_t family, const uint8_t *s,
		 uint16_t sp, const uint8_t *d, uint16_t dp)
{
	if (family == AF_INET)
		disp_flow_key_v4(k, s, sp, d, dp, IPPROTO_TCP);
	else
		disp_flow_key_v6(k, s, sp, d, dp, IPPROTO_TCP);
}

const uint8_t *disp_be_ip(const struct disp_backend *be, uint16_t *port)
{
	const struct disp_addr *a = disp_backend_addr(be);

	*port = a->port;
	return disp_addr_ip(a);
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

/* DISP_F_COUNTED: the flow is counted in its backend's active connections.
 * The count ends when the connection does (both FINs acked, or RST), not
 * when the closed flow leaves the table after its linger, so least-
 * connections and `show backends` see open connections only. */
void disp_conn_count(struct disp_flow *f)
{
	if (f->backend && !(f->mod_flags & DISP_F_COUNTED)) {
		disp_backend_conn_inc(f->backend);
		f->mod_flags |= DISP_F_COUNTED;
	}
}

void disp_conn_uncount(struct disp_flow *f)
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

int disp_conn_reply_key(struct disp_worker *w, const struct disp_svc *s,
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

bool disp_conn_full(const struct disp_worker *w, size_t sidx)
{
	return w->svc_flows[sidx] >= w->e->svc[sidx].max_per_worker;
}

void disp_conn_refuse_full(struct disp_worker *w, const struct raw_pkt *p,
			   const struct disp_flow_key *k)
{
	WSTAT_INC(w, refused_full);
	disp_ev_raise(w->bus, NULL, k, NULL, DISP_EV_REFUSED);
	disp_send_rst(w, p);
}

int disp_conn_admit(struct disp_worker *w, size_t sidx,
		    const struct raw_pkt *p, const struct disp_flow_key *k,
		    uint64_t now, struct disp_flow **out)
{
	struct disp_flow *f;
	int r;

	/* The table is shared by the services; each keeps its own bound. */
	if (disp_conn_full(w, sidx)) {
		disp_conn_refuse_full(w, p, k);
		return -ENOSPC;
	}
	r = disp_flow_insert(w->ft, k, NULL, now, &f);
	if (r == -ENOSPC)
		disp_conn_refuse_full(w, p, k);
	if (r < 0)
		return r;
	w->svc_flows[sidx]++;
	disp_flow_set_class(w->ft, f, (unsigned)sidx);
	f->service = (uint16_t)sidx;
	f->mod_flags |= DISP_F_SVC;
	WSTAT_INC(w, flows_created);
	*out = f;
	return 0;
}

void disp_conn_track(struct disp_worker *w, struct disp_flow *f,
		     enum disp_flow_dir dir, const struct raw_pkt *p,
		     uint64_t now)
{
	struct disp_pkt_meta m = {
		.seq = p->seq, .ack = p->ack, .payload_len = p->payload_len,
		.tcp_flags = p->tcp_flags, .dir = (uint8_t)dir,
		.payload = p->buf + p->payload_off,
	};
	uint64_t ev = disp_flow_track(w->ft, f, &m, now);

	if (f->state == DISP_FLOW_CLOSED)
		disp_conn_uncount(f);
	if (ev && disp_ev_wanted(w->bus, ~0ull))
		disp_ev_raise(w->bus, f, NULL, &m, ev);
}

void disp_conn_rewrite(const struct disp_worker *w, struct raw_pkt *p,
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

void disp_conn_release(struct disp_flow *f, enum disp_flow_end why, void *arg)
{
	struct disp_worker *w = arg;

	if (f->mod_flags & DISP_F_SVC) {
		const struct disp_mode_ops *m = w->e->svc[f->service].mode;

		if (m->release)
			m->release(w, f, disp_now_ms());
		w->svc_flows[f->service]--;
	}
	disp_conn_uncount(f);
	disp_offload_release(w, f, w->e->closing);
	if (why == DISP_FLOW_END_TIMEOUT)
		WSTAT_INC(w, flows_expired);
	else
		WSTAT_INC(w, flows_closed);
	if (w->bus)
		disp_ev_raise(w->bus, f, NULL, NULL,
			      DISP_EV_CLOSED |
			      (why == DISP_FLOW_END_TIMEOUT ? DISP_EV_TIMEOUT : 0));
}
