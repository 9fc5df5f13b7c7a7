/* Weighted least-connections: the usable backend with the fewest active
 * connections per unit of weight. Picks without a lock by reading every
 * backend's atomic connection count; two workers may pick the same backend
 * at the same instant, which costs one connection of imbalance. */
#include "backend/backend_int.h"

/* The slot of pool's member number k (k < pool->count), of n slots. */
static size_t member(const struct disp_bpool *pool, size_t n, size_t k)
{
	for (size_t i = 0; i < n; i++)
		if (disp_bpool_has(pool, i) && k-- == 0)
			return i;
	return 0;
}

static struct disp_backend *wlc_pick(struct disp_bset *bs,
				    const struct disp_addr *client,
				    struct disp_bpool *pool)
{
	/* Start the scan at a rotating offset so that ties (typically all
	 * idle) are broken round-robin instead of always to the first. In a
	 * pool the offset rotates over its members, or the member after the
	 * longest run of non-members would win most ties. */
	size_t n = disp_bset_count(bs);
	_Atomic uint64_t *ctr = pool ? &pool->rr_next : &bs->rr_next;
	uint64_t turn = atomic_fetch_add_explicit(ctr, 1, memory_order_relaxed);
	size_t members = pool ? atomic_load_explicit(&pool->count, memory_order_relaxed) : 0;
	size_t off = pool ? (members ? member(pool, n, turn % members) : 0)
			  : (size_t)(turn % n);
	struct disp_backend *best = NULL;
	uint64_t best_load = 0;

	(void)client;
	for (size_t k = 0; k < n; k++) {
		struct disp_backend *be = &bs->be[(off + k) % n];
		uint64_t c;

		if (!disp_bpool_has(pool, (off + k) % n) || !disp_backend_usable(be))
			continue;
		c = disp_backend_conns(be) + 1;
		/* (c+1)/w < (best_c+1)/best_w, cross-multiplied: weights are
		 * <= 256 and counts far below 2^55, so no overflow. */
		if (!best || c * disp_backend_weight(best) < best_load * disp_backend_weight(be)) {
			best = be;
			best_load = c;
		}
	}
	return best;
}

const struct disp_sched_ops disp_sched_wlc = { .pick = wlc_pick };
