/* Worker liveness, for the systemd watchdog: each worker stamps the time
 * at the top of its loop (worker.c), which turns at least every poll
 * timeout even without traffic; a stamp that stops moving is a worker
 * stuck in a loop or a lock, and spliced then stops feeding the watchdog
 * so systemd restarts it. */
#include "engine/worker.h"

int disp_engine_stalled(struct disp_engine *e, uint64_t max_ms)
{
	uint64_t now = disp_now_ms();

	for (unsigned i = 0; i < e->nw; i++) {
		uint64_t seen = __atomic_load_n(&e->w[i].alive_ms, __ATOMIC_RELAXED);

		/* seen 0: not through its first loop yet. */
		if (e->w[i].running && seen && now > seen + max_ms)
			return (int)i;
	}
	return -1;
}
