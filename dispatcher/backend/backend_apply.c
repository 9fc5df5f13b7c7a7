/* Changing a running backend set: what a reload (and `add backend` /
 * `del backend`) does to it while workers pick from it. The layout rules
 * that make this safe without a lock on the pick path are in
 * backend_int.h (struct disp_bset). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend_int.h"

static const struct disp_backend_conf *conf_find(const struct disp_service_conf *sc,
						 const struct disp_addr *a)
{
	for (size_t i = 0; sc && i < sc->n_backends; i++)
		if (disp_addr_equal(&sc->backends[i].addr, a))
			return &sc->backends[i];
	return NULL;
}

/* The slot a backend at addr would take: its own old slot if it was
 * removed, else a fresh one, else a removed slot no flow uses any more
 * (not one in keep, which the same change still needs). NULL: full. */
static struct disp_backend *slot_for(struct disp_bset *bs, const struct disp_addr *addr,
				     const struct disp_service_conf *keep, size_t *fresh)
{
	size_t n = disp_bset_count(bs);

	for (size_t i = 0; i < n; i++)
		if (!disp_backend_present(&bs->be[i]) && disp_addr_equal(&bs->be[i].addr, addr))
			return &bs->be[i];
	if (n + *fresh < bs->cap)
		return &bs->be[n + (*fresh)++];
	for (size_t i = 0; i < n; i++) {
		struct disp_backend *be = &bs->be[i];

		if (!disp_backend_listed(be) && !conf_find(keep, &be->addr))
			return be;
	}
	return NULL;
}

int disp_bset_fits(struct disp_bset *bs, const struct disp_service_conf *sc)
{
	size_t n = disp_bset_count(bs), need = 0, dead = 0;

	for (size_t i = 0; i < sc->n_backends; i++) {
		const struct disp_addr *a = &sc->backends[i].addr;
		bool have = false;

		for (size_t k = 0; k < n && !have; k++)
			have = disp_addr_equal(&bs->be[k].addr, a);
		need += !have;
	}
	for (size_t k = 0; k < n; k++)
		dead += !disp_backend_listed(&bs->be[k]) && !conf_find(sc, &bs->be[k].addr);
	return need <= bs->cap - n + dead ? 0 : -ENOSPC;
}

/* Puts bc into slot be (fresh, its own old slot, or a dead one) and makes
 * it visible. With the change lock held. */
static void place(struct disp_bset *bs, struct disp_backend *be,
		  const struct disp_backend_conf *bc, unsigned hold_ms,
		  enum disp_be_state admin)
{
	size_t idx = (size_t)(be - bs->be);

	if (idx < disp_bset_count(bs) && !disp_addr_equal(&be->addr, &bc->addr)) {
		/* A dead slot of another address: its history is not ours. */
		atomic_store(&be->total, 0);
		atomic_store(&be->passive_downs, 0);
	}
	/* Its content pool first, then removed=false last: a picker that sees
	 * the slot present sees its pool, address and seed too. */
	disp_bset_pool_join(bs, idx, bc->pool);
	disp_backend_fill(be, bc, hold_ms, admin);
	if (idx >= disp_bset_count(bs))
		atomic_store_explicit(&bs->n, idx + 1, memory_order_release);
}

int disp_bset_add(struct disp_bset *bs, const struct disp_backend_conf *bc,
		  enum disp_be_state admin, struct disp_backend **out)
{
	struct disp_backend *be;
	size_t fresh = 0;
	int r = 0;

	if (bc->weight > 256)
		return -EINVAL;
	disp_pool_change_lock();
	if (disp_bset_find(bs, &bc->addr)) {
		r = -EEXIST;
	} else if (!(be = slot_for(bs, &bc->addr, NULL, &fresh))) {
		r = -ENOSPC;
	} else {
		struct disp_backend_conf in_pool = *bc;

		/* Added by hand, not in a pool block: the default pool. */
		in_pool.pool = bs->default_pool;
		place(bs, be, &in_pool, atomic_load(&bs->hold_ms), admin);
		atomic_store(&be->runtime_added, true);
		(void)disp_bset_resched(bs);
		if (out)
			*out = be;
	}
	disp_pool_change_unlock();
	return r;
}

int disp_bset_remove(struct disp_bset *bs, struct disp_backend *be)
{
	size_t present = 0, n;
	int r = 0;

	disp_pool_change_lock();
	n = disp_bset_count(bs);
	for (size_t i = 0; i < n; i++)
		present += disp_backend_present(&bs->be[i]);
	if (be < bs->be || be >= bs->be + n || !disp_backend_present(be)) {
		r = -ENOENT;
	} else if (present == 1) {
		r = -EBUSY; /* a service keeps at least one backend */
	} else {
		atomic_store(&be->runtime_deleted, !atomic_load(&be->runtime_added));
		atomic_store(&be->removed, true);
		(void)disp_bset_resched(bs);
	}
	disp_pool_change_unlock();
	return r;
}

int disp_bset_apply(struct disp_bset *bs, const struct disp_service_conf *old,
		    const struct disp_service_conf *sc, struct disp_bset_delta *d)
{
	unsigned hold = sc->passive_health ? sc->passive_hold_ms : 0;
	size_t n, fresh = 0;
	int r = 0;

	memset(d, 0, sizeof(*d));
	disp_pool_change_lock();
	if (disp_bset_fits(bs, sc) < 0) {
		disp_pool_change_unlock();
		return -ENOSPC;
	}
	for (size_t i = 0; i < sc->n_backends; i++) {
		const struct disp_backend_conf *bc = &sc->backends[i];
		const struct disp_backend_conf *was = conf_find(old, &bc->addr);
		struct disp_backend *be = disp_bset_find(bs, &bc->addr);

		if (!be) {
			be = slot_for(bs, &bc->addr, sc, &fresh);
			fresh = 0; /* place() publishes it: n moved on */
			if (!be) { /* cannot happen after fits; be safe */
				r = -ENOSPC;
				break;
			}
			place(bs, be, bc, hold, DISP_BE_UP);
			d->added++;
			continue;
		}
		/* The rule (spliced.conf(5)): the file's weight wins only
		 * where the file changed it, or for a backend the last file
		 * did not have; else a `set weight` made at run time stays. */
		/* Now the file's: a reload no longer records it as added. */
		atomic_store(&be->runtime_added, false);
		if ((!was || was->weight != bc->weight) &&
		    disp_backend_weight(be) != (bc->weight ? bc->weight : 1)) {
			atomic_store(&be->weight, bc->weight ? bc->weight : 1);
			d->reweighted++;
		}
	}
	n = disp_bset_count(bs);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct disp_backend *be = &bs->be[i];

		if (disp_backend_present(be) && !conf_find(sc, &be->addr)) {
			atomic_store(&be->runtime_added, false);
			atomic_store(&be->removed, true);
			d->removed++;
		}
		if (atomic_exchange(&be->hold_ms, hold) != hold && disp_backend_present(be))
			d->passive = true;
	}
	atomic_store(&bs->hold_ms, hold);
	(void)disp_bset_resched(bs);
	if (disp_bset_sched(bs) != sc->sched) {
		/* The rr schedule is always current (resched above), so every
		 * scheduler has what it needs before pickers can reach it. */
		atomic_store_explicit(&bs->ops, disp_sched_ops_of(sc->sched),
				      memory_order_release);
		atomic_store(&bs->sched, (int)sc->sched);
		d->sched = true;
	}
	disp_pool_change_unlock();
	return r;
}
