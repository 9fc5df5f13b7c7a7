/* Splice mode timers: only connections in setup (waiting for their hello,
 * for the backend's SYN-ACK, or for the backend to ACK the replayed data)
 * are on the list, so a pass costs O(connections in setup), and a spliced
 * connection costs nothing here. */
#include "splice/splice_int.h"

void splice_timer_arm(struct disp_worker *w, struct splice_conn *c, uint64_t at)
{
	struct splice_worker *sp = splice_w(w);

	c->deadline_ms = at;
	if (c->on_timer)
		return;
	c->tprev = NULL;
	c->tnext = sp->timers;
	if (sp->timers)
		sp->timers->tprev = c;
	sp->timers = c;
	c->on_timer = true;
}

void splice_timer_disarm(struct disp_worker *w, struct splice_conn *c)
{
	struct splice_worker *sp = splice_w(w);

	if (!c->on_timer)
		return;
	if (c->tprev)
		c->tprev->tnext = c->tnext;
	else
		sp->timers = c->tnext;
	if (c->tnext)
		c->tnext->tprev = c->tprev;
	c->tprev = c->tnext = NULL;
	c->on_timer = false;
}

void splice_timer(struct disp_worker *w, uint64_t now)
{
	struct splice_conn *c, *next;

	if (!splice_w(w))
		return;
	splice_w(w)->now = now;
	/* An action may free c or re-arm it (it stays in place), never
	 * another connection, so holding the successor is safe. */
	for (c = splice_w(w)->timers; c; c = next) {
		next = c->tnext;
		if (c->deadline_ms > now)
			continue;
		switch (c->phase) {
		case SP_HELLO:
			WSTAT_INC(w, splice_hello_timeout);
			splice_bind(w, c, NULL, now);
			break;
		case SP_BINDING:
			splice_bind_retry(w, c, now);
			break;
		case SP_REPLAY:
			splice_replay_timeout(w, c, now);
			break;
		default:
			splice_timer_disarm(w, c);
			break;
		}
	}
	ssyn_ho_expire(splice_w(w)->ho, now);
	splice_rekey(w, splice_secs(splice_w(w), now));
	/* The session tables are shared by the workers: one of them ages
	 * them, about once a second, a bounded slice each time. */
	if (w->id == 0 && now - splice_w(w)->route_expired_ms >= 1000) {
		for (size_t i = 0; i < w->e->nsvc; i++)
			if (w->e->svc[i].mode->kind == DISP_MODE_SPLICE)
				sroute_expire(splice_route_of(&w->e->svc[i]), now,
					      1024);
		splice_w(w)->route_expired_ms = now;
	}
}
