/* Statistics as a module on the flow layer: a batched subscriber to the
 * flow events, so counting what the tracker sees (retransmissions, resets)
 * costs the fast path one queued event, and nothing when no one cares.
 * The worker flushes the batch after each receive burst. */
#include "engine/worker.h"

static void on_batch(const struct disp_event *ev, unsigned n, void *arg)
{
	struct disp_worker *w = arg;
	uint64_t retrans = 0, resets = 0;

	for (unsigned i = 0; i < n; i++) {
		if (ev[i].ev == DISP_EV_RETRANSMIT)
			retrans++;
		else if (ev[i].ev == DISP_EV_RST)
			resets++;
	}
	WSTAT_ADD(w, retransmits, retrans);
	WSTAT_ADD(w, resets, resets);
}

int disp_stats_attach(struct disp_worker *w)
{
	return disp_ev_subscribe_batch(w->bus, DISP_EV_RETRANSMIT | DISP_EV_RST,
				       on_batch, w);
}
