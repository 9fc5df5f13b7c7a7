/* Weighted round-robin: picks without a lock by walking a precomputed
 * schedule with one atomic counter. Two workers may pick the same backend
 * at the same instant; that costs one connection of imbalance, never
 * correctness. */
#include <errno.h>
#include <stdlib.h>

#include "backend/backend_int.h"

static unsigned gcd(unsigned a, unsigned b)
{
	while (b) {
		unsigned t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Smooth weighted round-robin (the nginx interleave), computed once: with
 * weights 5,1,1 the schedule is a a b a c a a rather than a a a a a b c,
 * so a heavy backend never gets a burst of consecutive new flows. Over
 * pool's members only (NULL: every backend); published into *slot. */
static int build(struct disp_bset *bs, const struct disp_bpool *pool,
		 _Atomic(struct disp_rr_sched *) *slot)
{
	unsigned g = 0, total = 0, *w;
	struct disp_rr_sched *rs;
	size_t n = disp_bset_count(bs);
	long *cur;

	/* One snapshot of the weights, so the schedule's length and its
	 * contents agree even if another weight changes meanwhile. A removed
	 * backend, or one outside the pool, has weight 0 here: no slot. */
	w = calloc(n ? n : 1, sizeof(*w));
	cur = calloc(n ? n : 1, sizeof(*cur));
	if (!w || !cur)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		w[i] = disp_backend_present(&bs->be[i]) && disp_bpool_has(pool, i)
			       ? disp_backend_weight(&bs->be[i]) : 0;
		g = gcd(g, w[i]);
	}
	for (size_t i = 0; g && i < n; i++)
		total += w[i] / g;
	rs = malloc(sizeof(*rs) + total * sizeof(rs->seq[0]));
	if (!rs)
		goto nomem;
	for (unsigned k = 0; k < total; k++) {
		size_t best = 0;

		for (size_t i = 0; i < n; i++) {
			cur[i] += w[i] / g;
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= (long)total;
		rs->seq[k] = (uint16_t)best;
	}
	rs->len = total;
	rs->older = atomic_load_explicit(slot, memory_order_relaxed);
	atomic_store_explicit(slot, rs, memory_order_release);
	free(w);
	free(cur);
	return 0;
nomem:
	free(w);
	free(cur);
	return -ENOMEM;
}

/* The whole set's schedule and every pool's. */
static int rr_init(struct disp_bset *bs)
{
	int r = build(bs, NULL, &bs->rr);

	for (size_t p = 0; r == 0 && p < bs->npools; p++)
		r = build(bs, &bs->pools[p], &bs->pools[p].rr);
	return r;
}

static struct disp_backend *rr_pick(struct disp_bset *bs,
				   const struct disp_addr *client,
				   struct disp_bpool *pool)
{
	/* An unusable backend's slot is consumed from the shared counter, not
	 * probed past: that removes its slots from the cycle, so the others
	 * keep their weighted shares. (Taking "the next slot" instead would
	 * hand all of a DOWN backend's turns to its successor.) */
	const struct disp_rr_sched *rs =
		atomic_load_explicit(pool ? &pool->rr : &bs->rr, memory_order_acquire);
	_Atomic uint64_t *next = pool ? &pool->rr_next : &bs->rr_next;
	size_t n;

	(void)client;
	for (size_t k = 0; rs && k < rs->len; k++) {
		uint64_t slot = atomic_fetch_add_explicit(next, 1, memory_order_relaxed);
		struct disp_backend *be = &bs->be[rs->seq[slot % rs->len]];

		if (disp_backend_usable(be))
			return be;
	}
	/* Other workers advance the counter too, so these tries may all have
	 * hit unusable slots while a usable one exists: scan to be sure. */
	n = disp_bset_count(bs);
	for (size_t i = 0; i < n; i++)
		if (disp_bpool_has(pool, i) && disp_backend_usable(&bs->be[i]))
			return &bs->be[i];
	return NULL;
}

static void free_chain(_Atomic(struct disp_rr_sched *) *slot)
{
	struct disp_rr_sched *rs = atomic_exchange(slot, NULL);

	while (rs) {
		struct disp_rr_sched *older = rs->older;

		free(rs);
		rs = older;
	}
}

static void rr_fini(struct disp_bset *bs)
{
	free_chain(&bs->rr);
	for (size_t p = 0; p < bs->npools; p++)
		free_chain(&bs->pools[p].rr);
}

const struct disp_sched_ops disp_sched_rr = {
	.init = rr_init, .fini = rr_fini, .pick = rr_pick,
};
