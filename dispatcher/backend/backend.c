/* Backend sets: states, counters and the pool of all services. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend/backend_int.h"
#include "util/clock.h"

static bool equal_weights(const struct disp_bset *bs)
{
	size_t n = disp_bset_count(bs);
	unsigned w0 = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned w = disp_backend_weight(&bs->be[i]);

		if (!disp_backend_present(&bs->be[i]))
			continue;
		if (w0 && w != w0)
			return false;
		w0 = w;
	}
	return true;
}

const struct disp_sched_ops *disp_sched_ops_of(enum disp_sched_kind k)
{
	switch (k) {
	case DISP_SCHED_RR: return &disp_sched_rr;
	case DISP_SCHED_WLC: return &disp_sched_wlc;
	case DISP_SCHED_SOURCE_HASH: return &disp_sched_hash;
	/* LARD needs the request's path, which only splice/route sees; the
	 * set's own pick (connections without a path) is least-connections,
	 * LARD's rule for a target it has not seen. */
	case DISP_SCHED_LARD: return &disp_sched_wlc;
	}
	return NULL;
}

/* Room for backends added at run time: enough for any hand-made change,
 * small next to a flow table (about 128 bytes a slot); never past the
 * config's own bound per service, which splice mode's router is sized by. */
#define BSET_SPARE 256
#define BSET_MAX 1024

void disp_backend_fill(struct disp_backend *be, const struct disp_backend_conf *bc,
		       unsigned hold_ms, enum disp_be_state admin)
{
	be->addr = bc->addr;
	atomic_store(&be->weight, bc->weight ? bc->weight : 1);
	/* The seed depends only on the address, so a backend keeps its
	 * clients across restarts and config reorderings. */
	be->hash_seed = disp_addr_hash(&be->addr, true, 0x5ca1ab1e5eedull);
	atomic_store(&be->admin, (int)admin);
	atomic_store(&be->healthy, true);
	atomic_store(&be->runtime_added, false);
	atomic_store(&be->runtime_deleted, false);
	atomic_store(&be->probe, DISP_PROBE_NONE);
	atomic_store(&be->hold_ms, hold_ms);
	atomic_store(&be->down_until, 0);
	atomic_store(&be->removed, false);
}

/* The service's content pools as member masks (config pool numbers:
 * 0 the backends outside every pool block, i + 1 the config's pools[i]).
 * Nothing without pools: then the whole set is the only pool. */
static int pools_init(struct disp_bset *bs, const struct disp_service_conf *sc)
{
	size_t words = (bs->cap + 63) / 64;

	if (sc->n_pools == 0)
		return 0;
	bs->pools = calloc(sc->n_pools + 1, sizeof(*bs->pools));
	if (!bs->pools)
		return -ENOMEM;
	bs->npools = sc->n_pools + 1;
	bs->default_pool = sc->default_pool;
	for (size_t p = 0; p < bs->npools; p++) {
		bs->pools[p].mask = calloc(words, sizeof(*bs->pools[p].mask));
		if (!bs->pools[p].mask)
			return -ENOMEM;
		atomic_init(&bs->pools[p].count, 0);
		atomic_init(&bs->pools[p].rr, NULL);
		atomic_init(&bs->pools[p].rr_next, 0);
	}
	for (size_t i = 0; i < sc->n_backends; i++)
		disp_bset_pool_join(bs, i, sc->backends[i].pool);
	return 0;
}

void disp_bset_pool_join(struct disp_bset *bs, size_t i, unsigned p)
{
	uint64_t bit = 1ull << (i % 64);

	for (size_t q = 0; q < bs->npools; q++) {
		struct disp_bpool *pool = &bs->pools[q];
		bool in = disp_bpool_has(pool, i);

		if (q == p && !in) {
			atomic_fetch_or(&pool->mask[i / 64], bit);
			atomic_fetch_add(&pool->count, 1);
		} else if (q != p && in) {
			atomic_fetch_and(&pool->mask[i / 64], ~bit);
			atomic_fetch_sub(&pool->count, 1);
		}
	}
}

static int bset_init(struct disp_bset *bs, const struct disp_service_conf *sc)
{
	const struct disp_sched_ops *ops = disp_sched_ops_of(sc->sched);
	unsigned hold = sc->passive_health ? sc->passive_hold_ms : 0;

	if (sc->n_backends == 0 || sc->n_backends > UINT16_MAX || !ops)
		return -EINVAL;
	snprintf(bs->name, sizeof(bs->name), "%s", sc->name);
	atomic_init(&bs->sched, (int)sc->sched);
	atomic_init(&bs->ops, ops);
	bs->cap = sc->n_backends + BSET_SPARE;
	if (bs->cap > BSET_MAX)
		bs->cap = sc->n_backends > BSET_MAX ? sc->n_backends : BSET_MAX;
	bs->be = calloc(bs->cap, sizeof(*bs->be));
	if (!bs->be)
		return -ENOMEM;
	for (size_t i = 0; i < sc->n_backends; i++)
		disp_backend_fill(&bs->be[i], &sc->backends[i], hold, DISP_BE_UP);
	atomic_init(&bs->n, sc->n_backends);
	atomic_init(&bs->rr_next, 0);
	atomic_init(&bs->hold_ms, hold);
	atomic_init(&bs->rr, NULL);
	atomic_init(&bs->equal_weights, equal_weights(bs));
	if (pools_init(bs, sc) < 0)
		return -ENOMEM;
	/* Every set keeps a round-robin schedule, whatever its scheduler, so
	 * a reload can switch to rr with one pointer store. */
	return disp_sched_rr.init(bs);
}

int disp_pool_create(const struct disp_config *cfg, struct disp_pool **out)
{
	struct disp_pool *pool;
	int r;

	if (!cfg || cfg->n_services == 0)
		return -EINVAL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->sets = calloc(cfg->n_services, sizeof(*pool->sets));
	if (!pool->sets) {
		free(pool);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_services; i++) {
		pool->n = i + 1; /* so free() releases what was built */
		r = bset_init(&pool->sets[i], &cfg->services[i]);
		if (r < 0) {
			disp_pool_free(pool);
			return r;
		}
	}
	*out = pool;
	return 0;
}

void disp_pool_free(struct disp_pool *pool)
{
	if (!pool)
		return;
	for (size_t i = 0; i < pool->n; i++) {
		struct disp_bset *bs = &pool->sets[i];

		disp_sched_rr.fini(bs);
		for (size_t p = 0; p < bs->npools; p++)
			free((void *)bs->pools[p].mask);
		free(bs->pools);
		free(bs->be);
	}
	free(pool->sets);
	free(pool);
}

size_t disp_pool_count(const struct disp_pool *pool)
{
	return pool->n;
}

struct disp_bset *disp_pool_bset(struct disp_pool *pool, size_t i)
{
	return i < pool->n ? &pool->sets[i] : NULL;
}

struct disp_bset *disp_pool_bset_named(struct disp_pool *pool, const char *name)
{
	for (size_t s = 0; s < pool->n; s++)
		if (strcmp(pool->sets[s].name, name) == 0)
			return &pool->sets[s];
	return NULL;
}

struct disp_backend *disp_pool_find(struct disp_pool *pool,
				    const struct disp_addr *addr, size_t *svc)
{
	for (size_t s = 0; s < pool->n; s++) {
		size_t n = disp_bset_count(&pool->sets[s]);

		for (size_t i = 0; i < n; i++) {
			if (disp_backend_present(&pool->sets[s].be[i]) &&
			    disp_addr_equal(&pool->sets[s].be[i].addr, addr)) {
				if (svc)
					*svc = s;
				return &pool->sets[s].be[i];
			}
		}
	}
	return NULL;
}

const char *disp_bset_name(const struct disp_bset *bs)
{
	return bs->name;
}

enum disp_sched_kind disp_bset_sched(const struct disp_bset *bs)
{
	return (enum disp_sched_kind)atomic_load_explicit(&bs->sched, memory_order_relaxed);
}

const struct disp_sched_ops *disp_bset_ops(const struct disp_bset *bs)
{
	return atomic_load_explicit(&bs->ops, memory_order_acquire);
}

size_t disp_bset_count(const struct disp_bset *bs)
{
	return atomic_load_explicit(&bs->n, memory_order_acquire);
}

size_t disp_bset_capacity(const struct disp_bset *bs)
{
	return bs->cap;
}

struct disp_backend *disp_bset_get(struct disp_bset *bs, size_t i)
{
	return i < disp_bset_count(bs) ? &bs->be[i] : NULL;
}

struct disp_backend *disp_bset_find(struct disp_bset *bs, const struct disp_addr *addr)
{
	size_t n = disp_bset_count(bs);

	for (size_t i = 0; i < n; i++)
		if (disp_backend_present(&bs->be[i]) && disp_addr_equal(&bs->be[i].addr, addr))
			return &bs->be[i];
	return NULL;
}

struct disp_backend *disp_bset_pick(struct disp_bset *bs,
				    const struct disp_addr *client)
{
	return disp_bset_ops(bs)->pick(bs, client, NULL);
}

size_t disp_bset_pools(const struct disp_bset *bs)
{
	return bs->npools ? bs->npools : 1;
}

bool disp_bset_in_pool(const struct disp_bset *bs, unsigned pool, size_t i)
{
	if (i >= disp_bset_count(bs))
		return false;
	return bs->npools == 0 || (pool < bs->npools && disp_bpool_has(&bs->pools[pool], i));
}

struct disp_backend *disp_bset_pick_pool(struct disp_bset *bs,
					 const struct disp_addr *client,
					 unsigned pool)
{
	if (bs->npools == 0)
		return disp_bset_ops(bs)->pick(bs, client, NULL);
	if (pool >= bs->npools)
		return NULL;
	return disp_bset_ops(bs)->pick(bs, client, &bs->pools[pool]);
}

bool disp_backend_present(const struct disp_backend *be)
{
	return !atomic_load_explicit(&be->removed, memory_order_relaxed);
}

int disp_backend_runtime(const struct disp_backend *be)
{
	if (atomic_load(&be->runtime_added))
		return 1;
	return atomic_load(&be->runtime_deleted) ? -1 : 0;
}

bool disp_backend_listed(const struct disp_backend *be)
{
	return disp_backend_present(be) || disp_backend_conns(be) > 0;
}

const struct disp_addr *disp_backend_addr(const struct disp_backend *be)
{
	return &be->addr;
}

unsigned disp_backend_weight(const struct disp_backend *be)
{
	return atomic_load_explicit(&be->weight, memory_order_relaxed);
}

enum disp_be_state disp_backend_state(const struct disp_backend *be)
{
	int admin = atomic_load_explicit(&be->admin, memory_order_relaxed);

	uint64_t until = atomic_load_explicit(&be->down_until, memory_order_relaxed);

	if (admin == DISP_BE_DOWN ||
	    !atomic_load_explicit(&be->healthy, memory_order_relaxed))
		return DISP_BE_DOWN;
	/* The clock is read only while a hold is set, so picks on a healthy
	 * pool stay free of it. */
	if (until && disp_now_ms() < until)
		return DISP_BE_DOWN;
	/* Removed from the config: its flows finish, it gets no new ones. */
	if (admin == DISP_BE_DRAIN || !disp_backend_present(be))
		return DISP_BE_DRAIN;
	return DISP_BE_UP;
}

bool disp_backend_usable(const struct disp_backend *be)
{
	return disp_backend_state(be) == DISP_BE_UP;
}

int disp_backend_set_admin(struct disp_backend *be, enum disp_be_state st)
{
	if (st != DISP_BE_UP && st != DISP_BE_DOWN && st != DISP_BE_DRAIN)
		return -EINVAL;
	atomic_store(&be->admin, (int)st);
	return 0;
}

enum disp_be_state disp_backend_admin(const struct disp_backend *be)
{
	return (enum disp_be_state)atomic_load(&be->admin);
}

bool disp_backend_set_healthy(struct disp_backend *be, bool healthy)
{
	bool changed = atomic_exchange(&be->healthy, healthy) != healthy;

	/* A backend the probes bring back UP is back: a passive hold taken
	 * while it was down would only delay it. */
	if (changed && healthy)
		atomic_store_explicit(&be->down_until, 0, memory_order_relaxed);
	return changed;
}

bool disp_backend_passive_fail(struct disp_backend *be, uint64_t now_ms)
{
	unsigned hold = atomic_load_explicit(&be->hold_ms, memory_order_relaxed);

	if (!hold)
		return false;
	atomic_store_explicit(&be->down_until, now_ms + hold, memory_order_relaxed);
	atomic_fetch_add_explicit(&be->passive_downs, 1, memory_order_relaxed);
	return true;
}

uint64_t disp_backend_held_until(const struct disp_backend *be)
{
	uint64_t until = atomic_load_explicit(&be->down_until, memory_order_relaxed);

	return until && disp_now_ms() < until ? until : 0;
}

uint64_t disp_backend_passive_downs(const struct disp_backend *be)
{
	return atomic_load_explicit(&be->passive_downs, memory_order_relaxed);
}

bool disp_backend_healthy(const struct disp_backend *be)
{
	return atomic_load(&be->healthy);
}

void disp_backend_set_probe(struct disp_backend *be, int outcome)
{
	atomic_store_explicit(&be->probe, outcome, memory_order_relaxed);
}

int disp_backend_probe(const struct disp_backend *be)
{
	return atomic_load_explicit(&be->probe, memory_order_relaxed);
}

const char *disp_probe_name(int outcome)
{
	switch (outcome) {
	case DISP_PROBE_NONE: return "ok";
	case DISP_PROBE_TIMEOUT: return "timeout";
	case DISP_PROBE_TLS: return "TLS handshake failed";
	}
	/* strerror's table is static in glibc; the pointer stays valid. */
	return outcome > 0 ? strerror(outcome) : "?";
}

void disp_backend_conn_inc(struct disp_backend *be)
{
	atomic_fetch_add_explicit(&be->conns, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&be->total, 1, memory_order_relaxed);
}

void disp_backend_conn_dec(struct disp_backend *be)
{
	/* An unmatched dec is an engine bug; saturate rather than wrap to
	 * 2^64, which would starve the backend under wlc forever. */
	uint64_t cur = atomic_load_explicit(&be->conns, memory_order_relaxed);

	while (cur > 0 &&
	       !atomic_compare_exchange_weak_explicit(&be->conns, &cur, cur - 1,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
}

uint64_t disp_backend_conns(const struct disp_backend *be)
{
	return atomic_load_explicit(&be->conns, memory_order_relaxed);
}

uint64_t disp_backend_total(const struct disp_backend *be)
{
	return atomic_load_explicit(&be->total, memory_order_relaxed);
}

const char *disp_be_state_name(enum disp_be_state st)
{
	switch (st) {
	case DISP_BE_UP: return "UP";
	case DISP_BE_DOWN: return "DOWN";
	case DISP_BE_DRAIN: return "DRAIN";
	}
	return "?";
}

int disp_be_state_parse(const char *s, enum disp_be_state *st)
{
	if (strcasecmp(s, "up") == 0)
		*st = DISP_BE_UP;
	else if (strcasecmp(s, "down") == 0)
		*st = DISP_BE_DOWN;
	else if (strcasecmp(s, "drain") == 0)
		*st = DISP_BE_DRAIN;
	else
		return -EINVAL;
	return 0;
}

size_t disp_bset_index(const struct disp_bset *bs,
		       const struct disp_backend *be)
{
	return (size_t)(be - bs->be);
}

/* Changes come from the control thread and from a reload (the main
 * thread); the lock only orders them (each rebuilds the scheduler's state
 * from all weights), pickers never take it. */
static pthread_mutex_t change_lock = PTHREAD_MUTEX_INITIALIZER;

void disp_pool_change_lock(void)
{
	pthread_mutex_lock(&change_lock);
}

void disp_pool_change_unlock(void)
{
	pthread_mutex_unlock(&change_lock);
}

int disp_bset_resched(struct disp_bset *bs)
{
	int r = disp_sched_rr.init(bs);

	atomic_store(&bs->equal_weights, equal_weights(bs));
	return r;
}

int disp_bset_set_weight(struct disp_bset *bs, struct disp_backend *be, unsigned weight)
{
	unsigned old;
	int r;

	if (weight < 1 || weight > 256 || be < bs->be || be >= bs->be + disp_bset_count(bs))
		return -EINVAL;
	disp_pool_change_lock();
	old = atomic_exchange(&be->weight, weight);
	r = disp_bset_resched(bs);
	if (r < 0) {
		atomic_store(&be->weight, old);
		atomic_store(&bs->equal_weights, equal_weights(bs));
	}
	disp_pool_change_unlock();
	return r;
}
