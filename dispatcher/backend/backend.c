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
	for (size_t i = 1; i < bs->n; i++)
		if (disp_backend_weight(&bs->be[i]) != disp_backend_weight(&bs->be[0]))
			return false;
	return true;
}

static int bset_init(struct disp_bset *bs, const struct disp_service_conf *sc)
{
	if (sc->n_backends == 0 || sc->n_backends > UINT16_MAX)
		return -EINVAL;
	snprintf(bs->name, sizeof(bs->name), "%s", sc->name);
	bs->sched = sc->sched;
	switch (sc->sched) {
	case DISP_SCHED_RR:
		bs->ops = &disp_sched_rr;
		break;
	case DISP_SCHED_WLC:
		bs->ops = &disp_sched_wlc;
		break;
	case DISP_SCHED_SOURCE_HASH:
		bs->ops = &disp_sched_hash;
		break;
	default:
		return -EINVAL;
	}
	bs->n = sc->n_backends;
	bs->be = calloc(bs->n, sizeof(*bs->be));
	if (!bs->be)
		return -ENOMEM;
	for (size_t i = 0; i < bs->n; i++) {
		struct disp_backend *be = &bs->be[i];

		be->addr = sc->backends[i].addr;
		atomic_init(&be->weight, sc->backends[i].weight ? sc->backends[i].weight : 1);
		/* The seed depends only on the address, so a backend keeps its
		 * clients across restarts and config reorderings. */
		be->hash_seed = disp_addr_hash(&be->addr, true, 0x5ca1ab1e5eedull);
		atomic_init(&be->admin, DISP_BE_UP);
		atomic_init(&be->healthy, true);
		atomic_init(&be->probe, DISP_PROBE_NONE);
		atomic_init(&be->conns, 0);
		atomic_init(&be->total, 0);
		be->hold_ms = sc->passive_health ? sc->passive_hold_ms : 0;
		atomic_init(&be->down_until, 0);
		atomic_init(&be->passive_downs, 0);
	}
	atomic_init(&bs->rr_next, 0);
	atomic_init(&bs->rr, NULL);
	atomic_init(&bs->equal_weights, equal_weights(bs));
	return bs->ops->init ? bs->ops->init(bs) : 0;
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

		if (bs->ops && bs->ops->fini)
			bs->ops->fini(bs);
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

struct disp_backend *disp_pool_find(struct disp_pool *pool,
				    const struct disp_addr *addr, size_t *svc)
{
	for (size_t s = 0; s < pool->n; s++) {
		for (size_t i = 0; i < pool->sets[s].n; i++) {
			if (disp_addr_equal(&pool->sets[s].be[i].addr, addr)) {
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
	return bs->sched;
}

size_t disp_bset_count(const struct disp_bset *bs)
{
	return bs->n;
}

struct disp_backend *disp_bset_get(struct disp_bset *bs, size_t i)
{
	return i < bs->n ? &bs->be[i] : NULL;
}

struct disp_backend *disp_bset_pick(struct disp_bset *bs,
				    const struct disp_addr *client)
{
	return bs->ops->pick(bs, client);
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
	return admin == DISP_BE_DRAIN ? DISP_BE_DRAIN : DISP_BE_UP;
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
	if (!be->hold_ms)
		return false;
	atomic_store_explicit(&be->down_until, now_ms + be->hold_ms,
			      memory_order_relaxed);
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

/* Weight changes come from the control thread; the lock only orders two
 * of them (each rebuilds the scheduler's state from all weights), pickers
 * never take it. */
static pthread_mutex_t weight_lock = PTHREAD_MUTEX_INITIALIZER;

int disp_bset_set_weight(struct disp_bset *bs, struct disp_backend *be, unsigned weight)
{
	unsigned old;
	int r = 0;

	if (weight < 1 || weight > 256 || be < bs->be || be >= bs->be + bs->n)
		return -EINVAL;
	pthread_mutex_lock(&weight_lock);
	old = atomic_exchange(&be->weight, weight);
	if (bs->ops && bs->ops->init)
		r = bs->ops->init(bs);
	if (r < 0)
		atomic_store(&be->weight, old);
	atomic_store(&bs->equal_weights, equal_weights(bs));
	pthread_mutex_unlock(&weight_lock);
	return r;
}
