/* `scheduler lard`: LARD/R (dispatcher/lard) on the HTTP path, inside the
 * connection's content pool. One table per service, shared by the
 * workers under the router's lock, so a target keeps its backends
 * whichever worker the next request lands on. See sroute_pick_path. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "backend/backend.h"

#include "splice/route/splice_route_int.h"

/* Targets the table remembers: a few MiB, far more paths than a cache
 * tier's hot set. */
#define LARD_TARGETS 16384

int sroute_lard_init(struct sroute *r)
{
	struct lard_conf c = LARD_CONF_DEFAULT;

	/* A seed of our own per process, so no one can aim paths at one
	 * table set from outside (lard.h). Without entropy yet, the
	 * address is a poor but harmless seed. */
	if (getrandom(&c.seed, sizeof(c.seed), GRND_NONBLOCK) != sizeof(c.seed))
		c.seed = (uint64_t)(uintptr_t)r;
	c.targets = LARD_TARGETS;
	r->lard = lard_new(&c);
	return r->lard ? 0 : -errno;
}

int sroute_pick_path(struct sroute *r, const char *path, size_t len,
		     uint64_t now_ms, const bool *tried, unsigned pool,
		     struct sroute_pick *p)
{
	uint16_t slot[LARD_BACKENDS_MAX];
	unsigned loads[LARD_BACKENDS_MAX], n = 0;
	uint64_t eligible = 0;
	size_t count = disp_bset_count(r->bs);
	int b;

	memset(p, 0, sizeof(*p));
	if (!r->lard)
		return -ENOENT;
	/* LARD's indices are the pool's members in slot order (the config
	 * holds a pool to 64; members a reload adds past that are left
	 * out). */
	for (size_t i = 0; i < count && i < r->n && n < LARD_BACKENDS_MAX; i++) {
		struct disp_backend *be = disp_bset_get(r->bs, i);
		uint64_t c;

		if (!be || !disp_bset_in_pool(r->bs, pool, i))
			continue;
		c = disp_backend_conns(be);
		slot[n] = (uint16_t)i;
		loads[n] = c > UINT32_MAX ? UINT32_MAX : (unsigned)c;
		if (disp_backend_usable(be) && !(tried && tried[i]))
			eligible |= 1ull << n;
		n++;
	}
	if (!eligible)
		return -EHOSTUNREACH;
	pthread_mutex_lock(&r->lock);
	b = lard_pick(r->lard, path, len, loads, n, eligible, now_ms);
	pthread_mutex_unlock(&r->lock);
	if (b < 0)
		return -EHOSTUNREACH;
	p->backend = slot[b];
	p->be = disp_bset_get(r->bs, p->backend);
	p->how = SROUTE_SCHED;
	SROUTE_INC(r->lard_routed);
	return 0;
}
