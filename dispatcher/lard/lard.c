/* LARD/R target table and the choice of a backend; see lard.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lard.h"

#define WAYS 4

struct entry {
	uint64_t hash;      /* 0: free (real hashes have the low bit set) */
	uint64_t set;       /* backends serving the target */
	uint64_t last_mod;  /* when set last changed (ms) */
	uint64_t last_use;  /* for eviction within a bucket */
};

struct lard {
	struct lard_conf c;
	unsigned buckets;
	struct entry *e;    /* buckets * WAYS */
};

struct lard *lard_new(const struct lard_conf *c)
{
	struct lard *l;

	if (c->t_high == 0 || c->t_low >= c->t_high || c->targets == 0 ||
	    c->targets > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->c = *c;
	l->buckets = (c->targets + WAYS - 1) / WAYS;
	l->e = calloc((size_t)l->buckets * WAYS, sizeof(*l->e));
	if (!l->e) {
		free(l);
		errno = ENOMEM;
		return NULL;
	}
	return l;
}

void lard_free(struct lard *l)
{
	if (!l)
		return;
	free(l->e);
	free(l);
}

static uint64_t hash(const struct lard *l, const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ l->c.seed;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	/* FNV's low bits are weak: mix before the bucket index takes them. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h | 1;
}

static struct entry *find(const struct lard *l, uint64_t h)
{
	struct entry *b = &l->e[(size_t)(h >> 1) % l->buckets * WAYS];

	for (unsigned i = 0; i < WAYS; i++)
		if (b[i].hash == h)
			return &b[i];
	return NULL;
}

/* Returns a free entry of h's bucket, else its least recently used. */
static struct entry *claim(struct lard *l, uint64_t h)
{
	struct entry *b = &l->e[(size_t)(h >> 1) % l->buckets * WAYS], *v = b;

	for (unsigned i = 0; i < WAYS; i++) {
		if (b[i].hash == 0) {
			v = &b[i];
			break;
		}
		if (b[i].last_use < v->last_use)
			v = &b[i];
	}
	memset(v, 0, sizeof(*v));
	v->hash = h;
	return v;
}

/* The least loaded backend of mask; ties go to the first at or after
 * start, so that equally idle backends share new targets by hash instead
 * of all going to backend 0. mask must not be 0. */
static unsigned least(const unsigned *loads, unsigned n, uint64_t mask,
		      unsigned start)
{
	unsigned best = n;

	for (unsigned k = 0; k < n; k++) {
		unsigned i = (start + k) % n;

		if ((mask >> i & 1) && (best == n || loads[i] < loads[best]))
			best = i;
	}
	return best;
}

static unsigned most(const unsigned *loads, unsigned n, uint64_t mask)
{
	unsigned best = n;

	for (unsigned i = 0; i < n; i++)
		if ((mask >> i & 1) && (best == n || loads[i] > loads[best]))
			best = i;
	return best;
}

static bool any_below(const unsigned *loads, unsigned n, uint64_t mask,
		      unsigned t)
{
	for (unsigned i = 0; i < n; i++)
		if ((mask >> i & 1) && loads[i] < t)
			return true;
	return false;
}

int lard_pick(struct lard *l, const void *target, size_t len,
	      const unsigned *loads, unsigned n, uint64_t eligible,
	      uint64_t now_ms)
{
	uint64_t h, all;
	struct entry *e;
	unsigned b, start;

	if (n == 0 || n > LARD_BACKENDS_MAX)
		return -EINVAL;
	all = n == 64 ? ~0ull : (1ull << n) - 1;
	eligible &= all;
	if (!eligible)
		return -EAGAIN;
	h = hash(l, target, len);
	start = (unsigned)(h >> 40) % n;
	e = find(l, h);
	if (!e)
		e = claim(l, h);
	e->last_use = now_ms;
	/* A member that went DOWN or is draining leaves the set. */
	e->set &= eligible;
	if (!e->set) {
		b = least(loads, n, eligible, start);
		e->set = 1ull << b;
		e->last_mod = now_ms;
		return (int)b;
	}
	b = least(loads, n, e->set, start);
	if ((loads[b] > l->c.t_high && any_below(loads, n, eligible, l->c.t_low)) ||
	    loads[b] >= 2 * l->c.t_high) {
		uint64_t others = eligible & ~e->set;

		/* The paper adds the least loaded node overall; one already in
		 * the set would be b itself, so look outside it. */
		if (others) {
			b = least(loads, n, others, start);
			e->set |= 1ull << b;
			e->last_mod = now_ms;
		}
	}
	if ((e->set & (e->set - 1)) && now_ms - e->last_mod > l->c.shrink_ms) {
		unsigned m = most(loads, n, e->set & ~(1ull << b));

		e->set &= ~(1ull << m);
		e->last_mod = now_ms;
	}
	return (int)b;
}

uint64_t lard_set(const struct lard *l, const void *target, size_t len)
{
	const struct entry *e = find(l, hash(l, target, len));

	return e ? e->set : 0;
}

size_t lard_target_len(const char *path, size_t len, unsigned depth)
{
	unsigned segs = 0;

	if (depth == 0)
		return len;
	for (size_t i = 0; i < len; i++) {
		if (path[i] != '/')
			continue;
		if (segs == depth && i > 0)
			return i;
		segs++;
	}
	return len;
}
