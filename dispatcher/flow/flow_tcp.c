/* TCP state tracking for the flow layer: turns each packet of a flow into
 * state changes and built-in events. It only observes; it never judges a
 * packet's validity (the endpoints do), so a middlebox that misses a packet
 * still forwards the rest. */
#include "flow/event.h"

/* Sequence-space comparisons (RFC 793 arithmetic modulo 2^32). */
static bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* Records that this half has sent up to end (exclusive); returns true when
 * nothing new was sent (a retransmission). */
static bool advance(struct disp_flow_half *h, uint32_t end)
{
	if (h->seq_valid && seq_leq(end, h->seq_next))
		return true;
	h->seq_next = end;
	h->seq_valid = true;
	return false;
}

uint64_t disp_flow_track(struct disp_flow_table *t, struct disp_flow *f,
			 const struct disp_pkt_meta *p, uint64_t now_ms)
{
	int dir = p->dir ? DISP_DIR_REPLY : DISP_DIR_ORIG;
	struct disp_flow_half *h = &f->half[dir];
	struct disp_flow_half *o = &f->half[!dir];
	enum disp_flow_state st = (enum disp_flow_state)f->state;
	uint64_t ev = 0;
	uint8_t fl = p->tcp_flags;

	h->pkts++;
	h->bytes += p->payload_len;

	if (fl & DISP_TCP_RST) {
		if (st != DISP_FLOW_CLOSED) {
			f->closed_reason = DISP_FLOW_END_RST;
			disp_flow_set_state(t, f, DISP_FLOW_CLOSED, now_ms);
		}
		return DISP_EV_RST;
	}

	if (fl & DISP_TCP_SYN) {
		/* SYN consumes one sequence number; a second one with the same
		 * seq is the peer retransmitting its handshake. */
		bool again = advance(h, p->seq + 1);

		if (dir == DISP_DIR_ORIG && !(fl & DISP_TCP_ACK))
			ev |= again ? DISP_EV_RETRANSMIT : DISP_EV_SYN;
		else if (dir == DISP_DIR_REPLY && (fl & DISP_TCP_ACK)) {
			ev |= again ? DISP_EV_RETRANSMIT : DISP_EV_SYNACK;
			if (st == DISP_FLOW_SYN_SENT)
				st = DISP_FLOW_SYN_RECV;
		}
	} else if (dir == DISP_DIR_ORIG && (fl & DISP_TCP_ACK) &&
		   st == DISP_FLOW_SYN_RECV) {
		st = DISP_FLOW_ESTABLISHED;
		ev |= DISP_EV_ESTABLISHED;
	}

	if (p->payload_len && !(fl & DISP_TCP_SYN))
		ev |= advance(h, p->seq + p->payload_len) ? DISP_EV_RETRANSMIT
							  : DISP_EV_DATA;

	if (fl & DISP_TCP_FIN) {
		uint32_t fseq = p->seq + p->payload_len;

		if (!h->fin) {
			h->fin = true;
			h->fin_seq = fseq;
			ev |= DISP_EV_FIN;
			st = o->fin ? DISP_FLOW_CLOSING : DISP_FLOW_FIN_WAIT;
		} else if (!p->payload_len) {
			ev |= DISP_EV_RETRANSMIT;
		}
		if (!h->seq_valid || seq_after(fseq + 1, h->seq_next)) {
			h->seq_next = fseq + 1;
			h->seq_valid = true;
		}
	}

	/* An ACK covering the other side's FIN completes its half-close. */
	if ((fl & DISP_TCP_ACK) && o->fin && !o->fin_acked &&
	    seq_leq(o->fin_seq + 1, p->ack))
		o->fin_acked = true;
	if (h->fin_acked && o->fin_acked && st != DISP_FLOW_CLOSED) {
		f->closed_reason = DISP_FLOW_END_FIN;
		st = DISP_FLOW_CLOSED;
	}

	if (st != f->state)
		disp_flow_set_state(t, f, st, now_ms);
	else
		disp_flow_touch(t, f, now_ms);
	return ev;
}
