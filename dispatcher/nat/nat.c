/* nat mode: the backend is picked on the client's SYN, then every packet
 * of the flow has only its addresses and ports rewritten.
 *
 *   client -> VIP      dst VIP:vport -> backend:port
 *                      (source-NAT: src client:cport -> snat:nat_port)
 *   backend -> client  src backend:port -> VIP:vport
 *                      (source-NAT: dst snat:nat_port -> client:cport)
 *
 * The engine has already completed a checksum the kernel left partial
 * (the receiver verifies what we send) and dropped a corrupt one; the
 * rewrite updates it incrementally (RFC 1624), so the cost does not grow
 * with the payload.
 */
#include <errno.h>

#include <splicekit/raw_pkt.h>

#include "engine/worker.h"
#include "engine/mode.h"
#include "nat/nat.h"
#include "util/clock.h"

static void forward(struct disp_worker *w, struct disp_flow *f,
		    enum disp_flow_dir dir, struct raw_pkt *p, uint64_t now)
{
	/* Passive health: the backend reset the SYN we forwarded (nothing
	 * listens), so hold it DOWN instead of sending it the next clients. */
	if (dir == DISP_DIR_REPLY && (p->tcp_flags & RAW_TCP_RST) &&
	    f->state == DISP_FLOW_SYN_SENT && f->backend &&
	    disp_backend_passive_fail(f->backend, disp_now_ms()))
		WSTAT_INC(w, be_passive_down);
	disp_conn_track(w, f, dir, p, now);
	/* Offloaded: what still comes up is a FIN or RST the kernel has
	 * forwarded already, only for the tracker here. */
	if (disp_offload_kernel_sent(w, f, p)) {
		WSTAT_INC(w, fp_ctl);
		return;
	}
	disp_conn_rewrite(w, p, f, dir);
	disp_send_ip(w, p);
	/* Handed to the kernel once the handshake is done (offload.c). */
	if (f->state == DISP_FLOW_ESTABLISHED)
		disp_offload_try(w, f, NULL);
}

/* A client SYN (anything else without a flow is dropped): pick, admit,
 * forward. A refused flow must not move the scheduler on, so the table
 * share is checked before the pick. */
static void nat_new(struct disp_worker *w, struct disp_svc *s, size_t sidx,
		    struct raw_pkt *p, const struct disp_flow_key *k,
		    uint64_t now)
{
	struct disp_addr client;
	struct disp_backend *be;
	struct disp_flow *f;
	int r;

	if ((p->tcp_flags & (RAW_TCP_SYN | RAW_TCP_ACK | RAW_TCP_RST)) !=
	    RAW_TCP_SYN) {
		WSTAT_INC(w, dropped_noflow);
		return;
	}
	if (disp_conn_full(w, sidx)) {
		disp_conn_refuse_full(w, p, k);
		return;
	}
	disp_addr_set(&client, p->family, p->saddr, p->sport);
	be = disp_bset_pick(s->bset, &client);
	if (!be) {
		WSTAT_INC(w, refused_nobackend);
		disp_send_rst(w, p);
		return;
	}
	r = disp_conn_admit(w, sidx, p, k, now, &f);
	if (r == -ENOSPC)
		return;
	if (r == 0) {
		r = disp_conn_reply_key(w, s, f, be);
		if (r < 0)
			disp_flow_remove(w->ft, f, DISP_FLOW_END_REMOVED);
	}
	if (r < 0) {
		WSTAT_INC(w, dropped_noflow);
		return;
	}
	f->backend = be;
	disp_conn_count(f);
	forward(w, f, DISP_DIR_ORIG, p, now);
}

const struct disp_mode_ops nat_mode = {
	.kind = DISP_MODE_NAT,
	.new_packet = nat_new,
	.input = forward,
};
