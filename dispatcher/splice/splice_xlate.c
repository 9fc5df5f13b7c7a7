/* Splice mode, steady state: every segment of a bound connection is
 * translated, never terminated (ARCHITECTURE.md, step 7):
 *
 *   C->S  dst VIP -> backend (source NAT: src -> snat:port), ack and SACK
 *         blocks -= delta, TSecr back to the backend's clock, window
 *         rescaled if the backend refused window scaling
 *   S->C  src backend -> VIP (source NAT: dst -> client), seq += delta,
 *         TSval onto the clock the client saw, window rescaled from the
 *         backend's shift to ours
 *
 * All with incremental checksum updates. The backend's first bytes also
 * feed the server-stream parser, which teaches the session router. */
#include <stdlib.h>
#include <string.h>

#include <splicekit/raw_rewrite.h>

#include "splice/splice_int.h"

uint16_t splice_rescale(uint16_t win, int from, int to)
{
	uint64_t bytes, v;

	from = from > 0 ? from : 0;
	to = to > 0 ? to : 0;
	if (from == to)
		return win;
	bytes = (uint64_t)win << from;
	v = bytes >> to;
	/* Never turn an open window into a zero window by rounding. */
	if (v == 0 && win)
		v = 1;
	return (uint16_t)(v > 65535 ? 65535 : v);
}

void splice_xlate_c2s(struct disp_worker *w, struct splice_conn *c,
		      struct raw_pkt *p, struct raw_tcpopts *o)
{
	int to_ws = c->s_ws >= 0 ? c->copts.wscale : 0;

	if (p->tcp_flags & RAW_TCP_ACK)
		raw_rw_ack_add(p, -c->delta);
	if (o->present & RAW_TCPOPT_F_SACK)
		raw_rw_sack_add(p, o, -c->delta);
	if ((o->present & RAW_TCPOPT_F_TS) && c->s_ts &&
	    (p->tcp_flags & RAW_TCP_ACK))
		raw_rw_ts(p, o, o->tsval, o->tsecr - c->ts_delta);
	if (to_ws != c->copts.wscale && c->copts.wscale > 0)
		raw_rw_window(p, splice_rescale(p->window, c->copts.wscale, to_ws));
	disp_conn_rewrite(w, p, c->f, DISP_DIR_ORIG);
	disp_send_ip(w, p);
}

/* Once the backend has all the first data and the server stream has
 * taught the router what it could, nothing is left for user space but the
 * translation: the same arithmetic as the two functions around this one,
 * handed to the kernel fast path (engine/offload.c) when the service asks. */
void splice_offload(struct disp_worker *w, struct splice_conn *c)
{
	struct disp_offload_dir x[2];
	int cws = c->copts.wscale > 0 ? c->copts.wscale : 0;

	/* After a replay retransmission the backend may still D-SACK first
	 * data the client never sent, which replay_sacks() removes and the
	 * kernel would not: such a connection stays here until the backend's
	 * ack is far past it. */
	if (c->phase != SP_SPLICED || c->srv ||
	    c->f->state != DISP_FLOW_ESTABLISHED ||
	    (c->tries > 1 && !c->replay_far))
		return;
	memset(x, 0, sizeof(x));
	/* client -> backend: ack and SACK back by delta, TSecr onto the
	 * backend's clock, the window to a backend without scaling */
	x[DISP_DIR_ORIG].ack_delta = -c->delta;
	if (c->s_ts)
		x[DISP_DIR_ORIG].tsecr_delta = -c->ts_delta;
	x[DISP_DIR_ORIG].win_from = (uint8_t)cws;
	x[DISP_DIR_ORIG].win_to = (uint8_t)(c->s_ws >= 0 ? cws : 0);
	/* backend -> client: seq on by delta, TSval onto the client's clock,
	 * the window from the backend's shift to ours */
	x[DISP_DIR_REPLY].seq_delta = c->delta;
	x[DISP_DIR_REPLY].tsval_delta = c->ts_delta;
	x[DISP_DIR_REPLY].win_from = (uint8_t)(c->s_ws > 0 ? c->s_ws : 0);
	x[DISP_DIR_REPLY].win_to = (uint8_t)(c->copts.wscale >= 0 ? SPLICE_WSCALE : 0);
	disp_offload_try(w, c->f, x);
}

/* Feeds in-order server bytes to the TLS parser and tells the router. */
static void learn(struct disp_worker *w, struct splice_conn *c,
		  const struct raw_pkt *p, uint64_t now)
{
	struct disp_svc *s = &w->e->svc[c->f->service];
	uint32_t off = c->s_next - p->seq;
	int r = TLS_MORE;

	if (seq_lt(c->s_next, p->seq)) {
		r = -EAGAIN; /* a gap: the parse cannot go on */
	} else if (off < p->payload_len) {
		r = tls_srv_feed(c->srv, p->buf + p->payload_off + off,
				 p->payload_len - off);
		c->s_next += p->payload_len - off;
	} else {
		return; /* a retransmission */
	}
	sroute_server(splice_route_of(s), &c->rp, tls_srv_result(c->srv), now);
	if (r != TLS_MORE) {
		tls_srv_free(c->srv);
		c->srv = NULL;
	}
}

/* The backend's SACK blocks about the first data [c_isn + 1, edge), which
 * spliced ACKed to the client and sent to the backend itself, are about
 * segments the client never sent it: they go. */
static void replay_sacks(struct splice_conn *c, struct raw_pkt *p,
			 struct raw_tcpopts *o)
{
	uint32_t edge = c->c_isn + 1 + c->blen;

	if (c->phase == SP_REPLAY) {
		/* Until the backend has all the first data, its ack is below
		 * what we ACKed to the client, and if it lost a replayed
		 * segment its blocks reach down into that data: the client,
		 * which has it acknowledged, discards such a block
		 * (TCPSACKDiscard). Only the blocks above it tell it
		 * anything. */
		raw_rw_sack_keep_after(p, o, edge);
		return;
	}
	if (c->blen == 0 || c->replay_far || !(p->tcp_flags & RAW_TCP_ACK))
		return;
	if (!seq_lt(p->ack, edge + SPLICE_WIN_MAX)) {
		/* From here on the range only comes back by wrapping. */
		c->replay_far = true;
		return;
	}
	/* After the ack passed it, a block there is a D-SACK of a replayed
	 * segment that reached the backend twice (a replay retransmission,
	 * or one it had SACKed). The client never sent those segments: it
	 * finds more D-SACKed segments than it retransmitted, takes the
	 * block as an ordinary one below its una and discards it
	 * (TCPDSACKIgnoredDubious, TCPSACKDiscard); and as Linux keeps that
	 * count for the whole connection, each one also turns a later
	 * genuine D-SACK into a discarded block. */
	raw_rw_sack_drop_left_in(p, o, c->c_isn + 1, edge - 1);
}

void splice_xlate_s2c(struct disp_worker *w, struct splice_conn *c,
		      struct raw_pkt *p, struct raw_tcpopts *o)
{
	int from_ws = c->s_ws, to_ws = c->copts.wscale >= 0 ? SPLICE_WSCALE : 0;

	if (c->srv && p->payload_len)
		learn(w, c, p, splice_w(w)->now);
	if ((p->tcp_flags & RAW_TCP_ACK) && c->phase == SP_REPLAY &&
	    seq_lt(c->s_acked, p->ack)) {
		c->s_acked = p->ack;
		if (!seq_lt(c->s_acked, c->c_isn + 1 + c->blen)) {
			/* The backend has all the first data. */
			c->phase = SP_SPLICED;
			splice_timer_disarm(w, c);
			free(c->buf);
			c->buf = NULL;
		}
	}
	if (o->present & RAW_TCPOPT_F_SACK)
		replay_sacks(c, p, o);
	raw_rw_seq_add(p, c->delta);
	if (o->present & RAW_TCPOPT_F_TS) {
		c->s_tsval = o->tsval;
		raw_rw_ts(p, o, o->tsval + c->ts_delta, o->tsecr);
	}
	if (from_ws != to_ws)
		raw_rw_window(p, splice_rescale(p->window, from_ws, to_ws));
	disp_conn_rewrite(w, p, c->f, DISP_DIR_REPLY);
	disp_send_ip(w, p);
}
