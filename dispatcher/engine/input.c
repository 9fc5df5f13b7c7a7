/* The ingress of every mode: a captured frame is copied out of the ring,
 * parsed, its checksum checked (raw-io's forwarding policy), its flow or
 * service found, and it goes to the service's mode. */
#include <string.h>

#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>

#include "engine/worker.h"
#include "engine/mode.h"

/* A new SYN on the 4-tuple of a closing flow is a new connection (the
 * client reused its port): the old flow goes, the mode sees a SYN. */
static bool reuses_tuple(const struct disp_flow *f, enum disp_flow_dir dir,
			 const struct raw_pkt *p)
{
	return dir == DISP_DIR_ORIG &&
	       (p->tcp_flags & (RAW_TCP_SYN | RAW_TCP_ACK)) == RAW_TCP_SYN &&
	       f->state >= DISP_FLOW_FIN_WAIT;
}

void disp_engine_input(struct disp_worker *w, const struct disp_frame *fr,
		       uint64_t now)
{
	struct raw_pkt p;
	struct disp_flow_key k;
	struct disp_flow *f;
	enum disp_flow_dir dir = DISP_DIR_ORIG;
	struct disp_svc *s;
	size_t sidx;

	WSTAT_INC(w, rx_packets);
	WSTAT_ADD(w, rx_bytes, fr->len);
	if (fr->link == 0 || fr->len > sizeof(w->buf)) {
		WSTAT_INC(w, dropped_parse);
		return;
	}
	/* Copy out of the receive ring: the rewrite happens in place, and
	 * the ring slot goes back to the kernel after the burst. */
	memcpy(w->buf, fr->data, fr->len);
	if (raw_parse(&p, w->buf, fr->len, (enum raw_link)fr->link) < 0) {
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
	w->cur = fr;
	if (w->neigh)
		disp_offload_learn(w, fr, &p);
	disp_key_of(&k, p.family, p.saddr, p.sport, p.daddr, p.dport);
	f = disp_flow_lookup(w->ft, &k, &dir);
	if (f && reuses_tuple(f, dir, &p)) {
		disp_flow_remove(w->ft, f, f->closed_reason
				 ? (enum disp_flow_end)f->closed_reason
				 : DISP_FLOW_END_REMOVED);
		f = NULL;
	}
	if (f) {
		w->e->svc[f->service].mode->input(w, f, dir, &p, now);
		return;
	}
	s = disp_svc_for(w->e, &p, &sidx);
	if (!s) {
		WSTAT_INC(w, ignored);
		return;
	}
	s->mode->new_packet(w, s, sidx, &p, &k, now);
}
