/* Server mapping table: slab + chained hash + age list. See maptable.h.
 *
 * Layout: entries live in one preallocated slab and are named by 32-bit
 * slot indices, so links cost 4 bytes and the slab can be a single calloc.
 * A slot is on exactly one of: the free list (linked through 'next'), or a
 * hash chain (through 'next') and the age list (through older/newer).
 *
 * Invariants the age list depends on: 'touched' never decreases along the
 * list from head (oldest) to tail, because every touch moves the entry to
 * the tail and the table's clock never runs backwards (see clamp_now).
 * Every candidate's stamp is <= its entry's touched, so an entry untouched
 * for a lifetime holds no live IDLE candidate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "splicekit/maptable.h"
#include "mt_hash.h"

#define NIL UINT32_MAX
#define MAX_CAP (1u << 28) /* keeps cap * entry size far from overflow */
#define MAX_GUARD_PCT 10000u /* 100x the mean is already "no guard" */

/* The guard compares products of caller-supplied 32/64-bit counts. */
__extension__ typedef unsigned __int128 u128;

struct cand {
	uint64_t stamp;
	uint16_t backend;
	uint16_t users;
	uint32_t unused;
};

struct entry {
	uint64_t touched;
	uint32_t hash;
	uint32_t next;   /* hash chain, or free list */
	uint32_t older;  /* age list */
	uint32_t newer;
	uint8_t key_len;
	uint8_t n_cands;
	uint8_t key[MT_MAX_KEY];
	struct cand c[MT_MAX_CANDS];
};

struct mt_table {
	struct entry *slab;
	uint32_t *buckets;
	uint32_t mask;
	uint32_t cap;
	uint32_t count;
	uint32_t free_head;
	uint32_t oldest;
	uint32_t newest;
	uint64_t clock;
	uint64_t lifetime;
	uint32_t guard_pct;
	uint32_t guard_min;
	uint16_t n_backends;
	uint8_t secret[16];
	struct mt_stats st;
};

static uint32_t bucket_count(uint32_t cap)
{
	uint32_t n = 1;

	while (n < cap)
		n <<= 1;
	return n;
}

size_t mt_mem_bytes(uint32_t cap)
{
	if (cap == 0 || cap > MAX_CAP)
		return 0;
	return sizeof(struct mt_table) + (size_t)cap * sizeof(struct entry) +
	       (size_t)bucket_count(cap) * sizeof(uint32_t);
}

void mt_config_default(struct mt_config *cfg, uint32_t cap, uint16_t n_backends)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cap = cap;
	cfg->n_backends = n_backends;
	cfg->lifetime_ms = MT_DEFAULT_LIFETIME_MS;
	cfg->guard_pct = MT_DEFAULT_GUARD_PCT;
	cfg->guard_min = MT_DEFAULT_GUARD_MIN;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int mt_create(const struct mt_config *cfg, struct mt_table **out)
{
	struct mt_table *t;
	uint32_t nb;

	if (!cfg || !out)
		return -EINVAL;
	/* A zero cap or backend count is a config error, not an empty table. */
	if (cfg->cap == 0 || cfg->cap > MAX_CAP || cfg->n_backends == 0)
		return -EINVAL;
	if (cfg->guard_pct > MAX_GUARD_PCT)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	nb = bucket_count(cfg->cap);
	t->slab = calloc(cfg->cap, sizeof(*t->slab));
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	if (!t->slab || !t->buckets) {
		mt_destroy(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nb; i++)
		t->buckets[i] = NIL;
	for (uint32_t i = 0; i < cfg->cap; i++)
		t->slab[i].next = i + 1 < cfg->cap ? i + 1 : NIL;
	t->mask = nb - 1;
	t->cap = cfg->cap;
	t->free_head = 0;
	t->oldest = t->newest = NIL;
	t->lifetime = cfg->lifetime_ms ? cfg->lifetime_ms : MT_DEFAULT_LIFETIME_MS;
	t->guard_pct = cfg->guard_pct;
	t->guard_min = cfg->guard_min;
	t->n_backends = cfg->n_backends;
	if (all_zero(cfg->secret, sizeof(cfg->secret))) {
		if (getrandom(t->secret, sizeof(t->secret), 0) !=
		    (ssize_t)sizeof(t->secret)) {
			mt_destroy(t);
			return -EIO;
		}
	} else {
		memcpy(t->secret, cfg->secret, sizeof(t->secret));
	}
	t->st.cap = cfg->cap;
	*out = t;
	return 0;
}

void mt_destroy(struct mt_table *t)
{
	if (!t)
		return;
	free(t->slab);
	free(t->buckets);
	free(t);
}

/* Time as the table sees it never runs backwards, so a caller whose clock
 * steps back cannot break the age list's order. */
static uint64_t clamp_now(struct mt_table *t, uint64_t now)
{
	if (now < t->clock)
		return t->clock;
	t->clock = now;
	return now;
}

static uint32_t hash_key(const struct mt_table *t, const void *key, size_t len)
{
	return (uint32_t)mt_siphash24(t->secret, key, len);
}

static bool key_ok(const void *key, size_t len)
{
	return key && len > 0 && len <= MT_MAX_KEY;
}

static uint32_t find(const struct mt_table *t, const void *key, size_t len,
		     uint32_t h)
{
	for (uint32_t i = t->buckets[h & t->mask]; i != NIL; i = t->slab[i].next) {
		const struct entry *e = &t->slab[i];

		if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0)
			return i;
	}
	return NIL;
}

static void age_unlink(struct mt_table *t, uint32_t i)
{
	struct entry *e = &t->slab[i];

	if (e->older != NIL)
		t->slab[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NIL)
		t->slab[e->newer].older = e->older;
	else
		t->newest = e->older;
}

static void age_append(struct mt_table *t, uint32_t i)
{
	struct entry *e = &t->slab[i];

	e->older = t->newest;
	e->newer = NIL;
	if (t->newest != NIL)
		t->slab[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
}

static void touch(struct mt_table *t, uint32_t i, uint64_t now)
{
	t->slab[i].touched = now;
	if (t->newest != i) {
		age_unlink(t, i);
		age_append(t, i);
	}
}

static void remove_entry(struct mt_table *t, uint32_t i)
{
	struct entry *e = &t->slab[i];
	uint32_t *link = &t->buckets[e->hash & t->mask];

	while (*link != i)
		link = &t->slab[*link].next;
	*link = e->next;
	age_unlink(t, i);
	e->next = t->free_head;
	t->free_head = i;
	t->count--;
}

static uint32_t insert_entry(struct mt_table *t, const void *key, size_t len,
			     uint32_t h, uint64_t now)
{
	uint32_t i;
	struct entry *e;

	if (t->free_head == NIL) {
		remove_entry(t, t->oldest);
		t->st.evicted++;
	}
	i = t->free_head;
	e = &t->slab[i];
	t->free_head = e->next;
	e->hash = h;
	e->key_len = (uint8_t)len;
	memcpy(e->key, key, len);
	e->n_cands = 0;
	e->touched = now;
	e->next = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = i;
	age_append(t, i);
	t->count++;
	return i;
}

static int cand_index(const struct entry *e, uint16_t backend)
{
	for (int k = 0; k < e->n_cands; k++)
		if (e->c[k].backend == backend)
			return k;
	return -1;
}

/* Removes candidate k keeping the others in learn order, which is the
 * tie-break of mt_pick. */
static void cand_remove(struct entry *e, int k)
{
	memmove(&e->c[k], &e->c[k + 1],
		(size_t)(e->n_cands - k - 1) * sizeof(e->c[0]));
	e->n_cands--;
}

int mt_learn(struct mt_table *t, const void *key, size_t key_len,
	     uint16_t backend, uint64_t now)
{
	uint32_t h, i;
	struct entry *e;
	int k;

	if (!key_ok(key, key_len) || backend >= t->n_backends)
		return -EINVAL;
	now = clamp_now(t, now);
	h = hash_key(t, key, key_len);
	i = find(t, key, key_len, h);
	if (i == NIL)
		i = insert_entry(t, key, key_len, h, now);
	e = &t->slab[i];
	k = cand_index(e, backend);
	if (k >= 0) {
		/* A BUSY candidate gets its stamp when the last user leaves. */
		if (e->c[k].users == 0)
			e->c[k].stamp = now;
		touch(t, i, now);
		return 0;
	}
	if (e->n_cands == MT_MAX_CANDS) {
		int victim = -1;

		for (k = 0; k < e->n_cands; k++)
			if (e->c[k].users == 0 &&
			    (victim < 0 || e->c[k].stamp < e->c[victim].stamp))
				victim = k;
		if (victim < 0)
			return -ENOSPC;
		cand_remove(e, victim);
	}
	e->c[e->n_cands++] = (struct cand){ .stamp = now, .backend = backend };
	t->st.learned++;
	touch(t, i, now);
	return 0;
}

static bool over_guard(const struct mt_table *t, const struct mt_load *load,
		       uint16_t b)
{
	uint64_t active;

	if (t->guard_pct == 0 || !load || !load->active || load->n_up == 0 ||
	    b >= load->n)
		return false;
	active = load->active[b];
	if (active < t->guard_min)
		return false;
	/* active > pct/100 * total/n_up, in integers wide enough that no
	 * caller-supplied count can overflow them. */
	return (u128)active * 100 * load->n_up >
	       (u128)t->guard_pct * load->total_active;
}

static bool is_down(const struct mt_load *load, uint16_t b)
{
	return load && load->down && b < load->n && load->down[b];
}

int mt_pick(struct mt_table *t, const void *key, size_t key_len, uint64_t now,
	    const struct mt_load *load, uint16_t *backend)
{
	const struct entry *e;
	uint32_t i;
	int best = -1;
	bool guarded = false;

	if (!key_ok(key, key_len) || !backend)
		return -EINVAL;
	now = clamp_now(t, now);
	i = find(t, key, key_len, hash_key(t, key, key_len));
	if (i == NIL) {
		t->st.misses++;
		return -ENOENT;
	}
	e = &t->slab[i];
	for (int k = 0; k < e->n_cands; k++) {
		const struct cand *c = &e->c[k];

		if (c->users > 0 || is_down(load, c->backend) ||
		    now - c->stamp >= t->lifetime)
			continue;
		if (over_guard(t, load, c->backend)) {
			guarded = true;
			continue;
		}
		/* Strictly older wins, so equal stamps keep learn order. */
		if (best < 0 || c->stamp < e->c[best].stamp)
			best = k;
	}
	if (best < 0) {
		if (guarded) {
			t->st.refused_load++;
			return -EAGAIN;
		}
		t->st.refused_busy++;
		return -EBUSY;
	}
	t->st.hits++;
	*backend = e->c[best].backend;
	return 0;
}

static int lookup_cand(struct mt_table *t, const void *key, size_t key_len,
		       uint16_t backend, uint32_t *slot)
{
	uint32_t i;

	if (!key_ok(key, key_len))
		return -EINVAL;
	i = find(t, key, key_len, hash_key(t, key, key_len));
	if (i == NIL)
		return -ENOENT;
	*slot = i;
	return cand_index(&t->slab[i], backend);
}

int mt_acquire(struct mt_table *t, const void *key, size_t key_len,
	       uint16_t backend, uint64_t now)
{
	uint32_t i;
	int k = lookup_cand(t, key, key_len, backend, &i);

	if (k == -EINVAL)
		return k;
	if (k < 0)
		return -ENOENT;
	/* 65535 concurrent resumptions of one session is not a real client;
	 * saturate rather than wrap to IDLE. */
	if (t->slab[i].c[k].users == UINT16_MAX)
		return -EOVERFLOW;
	t->slab[i].c[k].users++;
	touch(t, i, clamp_now(t, now));
	return 0;
}

int mt_release(struct mt_table *t, const void *key, size_t key_len,
	       uint16_t backend, uint64_t now)
{
	uint32_t i;
	int k = lookup_cand(t, key, key_len, backend, &i);
	struct cand *c;

	if (k == -EINVAL)
		return k;
	if (k < 0)
		return -ENOENT;
	c = &t->slab[i].c[k];
	if (c->users == 0)
		return -EALREADY;
	now = clamp_now(t, now);
	if (--c->users == 0)
		c->stamp = now;
	touch(t, i, now);
	return 0;
}

int mt_forget(struct mt_table *t, const void *key, size_t key_len)
{
	uint32_t i;

	if (!key_ok(key, key_len))
		return -EINVAL;
	i = find(t, key, key_len, hash_key(t, key, key_len));
	if (i == NIL)
		return -ENOENT;
	remove_entry(t, i);
	return 0;
}

uint32_t mt_expire(struct mt_table *t, uint64_t now, uint32_t budget)
{
	uint32_t removed = 0, visited = 0;

	now = clamp_now(t, now);
	while (t->oldest != NIL && (budget == 0 || visited < budget)) {
		uint32_t i = t->oldest;
		struct entry *e = &t->slab[i];

		if (now - e->touched < t->lifetime)
			break;
		visited++;
		for (int k = e->n_cands - 1; k >= 0; k--)
			if (e->c[k].users == 0)
				cand_remove(e, k);
		if (e->n_cands == 0) {
			remove_entry(t, i);
			removed++;
		} else {
			/* Still in use: keep it, and move it out of the way so
			 * one long connection cannot stall expiry behind it. */
			touch(t, i, now);
		}
	}
	t->st.expired += removed;
	return removed;
}

int mt_foreach(const struct mt_table *t,
	       int (*fn)(const struct mt_entry_view *e, void *arg), void *arg)
{
	for (uint32_t i = t->oldest; i != NIL; i = t->slab[i].newer) {
		const struct entry *e = &t->slab[i];
		struct mt_entry_view v = {
			.key = e->key,
			.key_len = e->key_len,
			.touched_ms = e->touched,
			.n_cands = e->n_cands,
		};
		int r;

		for (int k = 0; k < e->n_cands; k++) {
			v.cands[k].backend = e->c[k].backend;
			v.cands[k].users = e->c[k].users;
			v.cands[k].state = e->c[k].users ? MT_BUSY : MT_IDLE;
			v.cands[k].stamp_ms = e->c[k].stamp;
		}
		r = fn(&v, arg);
		if (r != 0)
			return r;
	}
	return 0;
}

void mt_get_stats(const struct mt_table *t, struct mt_stats *st)
{
	*st = t->st;
	st->entries = t->count;
}

void mt_load_sum(struct mt_load *load)
{
	load->total_active = 0;
	load->n_up = 0;
	for (uint32_t b = 0; b < load->n; b++) {
		if (load->down && load->down[b])
			continue;
		load->n_up++;
		load->total_active += load->active ? load->active[b] : 0;
	}
}
