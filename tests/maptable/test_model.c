/* Randomized model test: the table against a reference written the obvious
 * way (arrays, linear scans, a touch counter for age order). Every call's
 * return value and the whole table content, in age order, must agree after
 * every step. The seed is fixed and printed; MT_SEED=n overrides it to
 * replay or explore. A small cap, few keys and short lifetimes make
 * eviction, full candidate sets, expiry and the guard happen often. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maptable/maptable.h"

#define CAP 12
#define NKEYS 40
#define NB 6
#define LIFETIME 400
#define STEPS 200000

struct rcand {
	uint64_t stamp;
	uint16_t backend;
	uint16_t users;
};

struct rentry {
	bool used;
	uint8_t key[MT_MAX_KEY];
	size_t len;
	uint64_t touched;
	uint64_t seq; /* touch order: smallest is the oldest */
	int n;
	struct rcand c[MT_MAX_CANDS];
};

static struct rentry ref[CAP];
static uint64_t ref_seq, ref_clock;
static uint8_t keys[NKEYS][MT_MAX_KEY];
static size_t key_lens[NKEYS];

static uint64_t rng;

static uint64_t next_rand(void)
{
	/* splitmix64: tiny, seedable, good enough to drive a model test */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
	return (uint32_t)(next_rand() % n);
}

static uint64_t ref_now(uint64_t now)
{
	if (now < ref_clock)
		return ref_clock;
	return ref_clock = now;
}

static struct rentry *ref_find(int k)
{
	for (int i = 0; i < CAP; i++)
		if (ref[i].used && ref[i].len == key_lens[k] &&
		    memcmp(ref[i].key, keys[k], key_lens[k]) == 0)
			return &ref[i];
	return NULL;
}

static void ref_touch(struct rentry *e, uint64_t now)
{
	e->touched = now;
	e->seq = ++ref_seq;
}

static struct rentry *ref_oldest(void)
{
	struct rentry *o = NULL;

	for (int i = 0; i < CAP; i++)
		if (ref[i].used && (!o || ref[i].seq < o->seq))
			o = &ref[i];
	return o;
}

static void ref_cand_del(struct rentry *e, int k)
{
	for (int j = k; j + 1 < e->n; j++)
		e->c[j] = e->c[j + 1];
	e->n--;
}

static int ref_learn(int k, uint16_t b, uint64_t now)
{
	struct rentry *e = ref_find(k);

	now = ref_now(now);
	if (!e) {
		for (int i = 0; i < CAP && !e; i++)
			if (!ref[i].used)
				e = &ref[i];
		if (!e) {
			e = ref_oldest();
			e->used = false;
		}
		memset(e, 0, sizeof(*e));
		e->used = true;
		memcpy(e->key, keys[k], key_lens[k]);
		e->len = key_lens[k];
		ref_touch(e, now);
	}
	for (int j = 0; j < e->n; j++) {
		if (e->c[j].backend == b) {
			if (e->c[j].users == 0)
				e->c[j].stamp = now;
			ref_touch(e, now);
			return 0;
		}
	}
	if (e->n == MT_MAX_CANDS) {
		int v = -1;

		for (int j = 0; j < e->n; j++)
			if (e->c[j].users == 0 && (v < 0 || e->c[j].stamp < e->c[v].stamp))
				v = j;
		if (v < 0)
			return -ENOSPC;
		ref_cand_del(e, v);
	}
	e->c[e->n++] = (struct rcand){ .stamp = now, .backend = b };
	ref_touch(e, now);
	return 0;
}

static int ref_pick(int k, uint64_t now, const struct mt_load *l, uint16_t *out)
{
	struct rentry *e = ref_find(k);
	int best = -1;
	bool guarded = false;

	now = ref_now(now);
	if (!e)
		return -ENOENT;
	for (int j = 0; j < e->n; j++) {
		struct rcand *c = &e->c[j];

		if (c->users || l->down[c->backend] || now - c->stamp >= LIFETIME)
			continue;
		/* The guard as the docs state it: at least 4 connections and
		 * over 1.5 x (total / n_up), i.e. 2 * active * n_up > 3 * total. */
		if (l->n_up && l->active[c->backend] >= MT_DEFAULT_GUARD_MIN &&
		    2ull * l->active[c->backend] * l->n_up > 3ull * l->total_active) {
			guarded = true;
			continue;
		}
		if (best < 0 || c->stamp < e->c[best].stamp)
			best = j;
	}
	if (best < 0)
		return guarded ? -EAGAIN : -EBUSY;
	*out = e->c[best].backend;
	return 0;
}

static int ref_acquire(int k, uint16_t b, uint64_t now)
{
	struct rentry *e = ref_find(k);

	if (!e)
		return -ENOENT;
	for (int j = 0; j < e->n; j++) {
		if (e->c[j].backend == b) {
			e->c[j].users++;
			ref_touch(e, ref_now(now));
			return 0;
		}
	}
	return -ENOENT;
}

static int ref_release(int k, uint16_t b, uint64_t now)
{
	struct rentry *e = ref_find(k);

	if (!e)
		return -ENOENT;
	for (int j = 0; j < e->n; j++) {
		if (e->c[j].backend != b)
			continue;
		if (e->c[j].users == 0)
			return -EALREADY;
		now = ref_now(now);
		if (--e->c[j].users == 0)
			e->c[j].stamp = now;
		ref_touch(e, now);
		return 0;
	}
	return -ENOENT;
}

static int ref_forget(int k)
{
	struct rentry *e = ref_find(k);

	if (!e)
		return -ENOENT;
	e->used = false;
	return 0;
}

static uint32_t ref_expire(uint64_t now)
{
	uint32_t removed = 0;
	struct rentry *e;

	now = ref_now(now);
	while ((e = ref_oldest()) && now - e->touched >= LIFETIME) {
		for (int j = e->n - 1; j >= 0; j--)
			if (e->c[j].users == 0)
				ref_cand_del(e, j);
		if (e->n == 0) {
			e->used = false;
			removed++;
		} else {
			ref_touch(e, now);
		}
	}
	return removed;
}

/* Compares the table, walked oldest first, with the reference sorted by
 * touch order. */
struct cmp {
	struct rentry *order[CAP];
	int n, i;
	char why[160];
};

static int cmp_fn(const struct mt_entry_view *v, void *arg)
{
	struct cmp *c = arg;
	struct rentry *e;

	if (c->i >= c->n) {
		snprintf(c->why, sizeof(c->why), "table has more than %d entries", c->n);
		return 1;
	}
	e = c->order[c->i++];
	if (v->key_len != e->len || memcmp(v->key, e->key, e->len) != 0 ||
	    v->touched_ms != e->touched || (int)v->n_cands != e->n) {
		snprintf(c->why, sizeof(c->why), "entry %d differs (key/touched/n)", c->i - 1);
		return 1;
	}
	for (int j = 0; j < e->n; j++) {
		if (v->cands[j].backend != e->c[j].backend ||
		    v->cands[j].users != e->c[j].users ||
		    v->cands[j].stamp_ms != e->c[j].stamp ||
		    v->cands[j].state != (e->c[j].users ? MT_BUSY : MT_IDLE)) {
			snprintf(c->why, sizeof(c->why), "entry %d cand %d differs", c->i - 1, j);
			return 1;
		}
	}
	return 0;
}

static void compare_all(struct mt_table *t, uint64_t step)
{
	struct cmp c = { .n = 0 };

	for (int i = 0; i < CAP; i++)
		if (ref[i].used)
			c.order[c.n++] = &ref[i];
	for (int i = 1; i < c.n; i++)
		for (int j = i; j > 0 && c.order[j]->seq < c.order[j - 1]->seq; j--) {
			struct rentry *x = c.order[j];
			c.order[j] = c.order[j - 1];
			c.order[j - 1] = x;
		}
	cr_assert_eq(mt_foreach(t, cmp_fn, &c), 0, "step %" PRIu64 ": %s", step, c.why);
	cr_assert_eq(c.i, c.n, "step %" PRIu64 ": table has %d entries, model %d",
		     step, c.i, c.n);
}

Test(model, random_ops_match_reference)
{
	uint64_t seed = 0x5eed2026;
	const char *env = getenv("MT_SEED");
	struct mt_config cfg;
	struct mt_table *t;
	uint32_t active[NB];
	bool down[NB];
	struct mt_load l = { .active = active, .down = down, .n = NB };
	uint64_t now = 0;
	unsigned long counts[7] = { 0 };

	if (env)
		seed = strtoull(env, NULL, 0);
	fprintf(stderr, "# model test seed=0x%" PRIx64 " (replay: MT_SEED=0x%" PRIx64 ")\n",
		seed, seed);
	rng = seed;

	for (int k = 0; k < NKEYS; k++) {
		key_lens[k] = 1 + rnd(MT_MAX_KEY);
		for (size_t j = 0; j < key_lens[k]; j++)
			keys[k][j] = (uint8_t)rnd(4); /* near-identical keys */
	}
	/* Equal bytes and lengths would make two names for one key. */
	for (int k = 0; k < NKEYS; k++)
		keys[k][0] = (uint8_t)k;

	mt_config_default(&cfg, CAP, NB);
	cfg.lifetime_ms = LIFETIME;
	cr_assert_eq(mt_create(&cfg, &t), 0);

	for (uint64_t step = 0; step < STEPS; step++) {
		int k = (int)rnd(NKEYS);
		uint16_t b = (uint16_t)rnd(NB), got = 0xffff, want = 0xffff;
		int op = (int)rnd(100), r1, r2;

		/* Mostly forward, sometimes backward (the clamp), rarely a jump. */
		if (rnd(50) == 0)
			now += rnd(2 * LIFETIME);
		else if (rnd(40) == 0 && now > 5)
			now -= 5;
		else
			now += rnd(8);

		if (op < 30) {
			r1 = mt_learn(t, keys[k], key_lens[k], b, now);
			r2 = ref_learn(k, b, now);
			counts[0]++;
		} else if (op < 55) {
			for (int i = 0; i < NB; i++) {
				active[i] = rnd(4) ? rnd(6) : rnd(40);
				down[i] = rnd(8) == 0;
			}
			mt_load_sum(&l);
			r1 = mt_pick(t, keys[k], key_lens[k], now, &l, &got);
			r2 = ref_pick(k, now, &l, &want);
			if (r1 == 0 && r2 == 0)
				cr_assert_eq(got, want, "step %" PRIu64 ": picked %u, model %u",
					     step, got, want);
			counts[1]++;
		} else if (op < 72) {
			r1 = mt_acquire(t, keys[k], key_lens[k], b, now);
			r2 = ref_acquire(k, b, now);
			counts[2]++;
		} else if (op < 92) {
			r1 = mt_release(t, keys[k], key_lens[k], b, now);
			r2 = ref_release(k, b, now);
			counts[3]++;
		} else if (op < 97) {
			r1 = (int)mt_expire(t, now, 0);
			r2 = (int)ref_expire(now);
			counts[4]++;
		} else {
			r1 = mt_forget(t, keys[k], key_lens[k]);
			r2 = ref_forget(k);
			counts[5]++;
		}
		cr_assert_eq(r1, r2, "step %" PRIu64 " op %d key %d backend %u now %" PRIu64
			     ": table %d, model %d", step, op, k, b, now, r1, r2);
		if (r1 == 0 && op < 92)
			counts[6]++;
		compare_all(t, step);
	}

	struct mt_stats st;
	mt_get_stats(t, &st);
	fprintf(stderr, "# learn %lu pick %lu acquire %lu release %lu expire %lu "
		"forget %lu; hits %" PRIu64 " busy %" PRIu64 " load %" PRIu64
		" evicted %" PRIu64 " expired %" PRIu64 "\n",
		counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
		st.hits, st.refused_busy, st.refused_load, st.evicted, st.expired);
	/* The run must have exercised every path it claims to check. */
	cr_assert_gt(st.hits, 1000);
	cr_assert_gt(st.refused_busy, 100);
	cr_assert_gt(st.refused_load, 100);
	cr_assert_gt(st.evicted, 100);
	cr_assert_gt(st.expired, 100);
	mt_destroy(t);
}
