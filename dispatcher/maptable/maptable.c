/* Server mapping table: slab + open-addressed index + age list. See
 * maptable.h.
 *
 * Layout: entries live in one preallocated slab and are named by 32-bit
 * indices, so links cost 4 bytes. A slab entry is either free (on the free
 * list, linked through 'newer') or live (in the index and on the age list).
 *
 * The index is a linear-probing array of {entry, 32-bit hash} at most half
 * full. Keeping the hash in the index means a miss, or a probe past another
 * key, never touches the slab: a lookup costs about one cache line of
 * index plus, on a hit, one of slab. Deletion shifts later probes back
 * (no tombstones), so probe lengths never degrade with churn.
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
#include <sys/mman.h>
#include <sys/random.h>

#include "maptable/maptable.h"
#include "maptable/mt_hash.h"

#define NIL UINT32_MAX
#define MAX_CAP (1u << 28) /* keeps cap * entry size far from overflow */
#define MAX_GUARD_PCT 10000u /* 100x the mean is already "no guard" */

/* The guard compares products of caller-supplied 32/64-bit counts. */
__extension__ typedef unsigned __int128 u128;

/* One slab entry: exactly two cache lines. The first holds what a probe
 * compares (hash, key), the second what a pick reads (candidates, kept as
 * parallel arrays so they pack without padding) and the age stamp. A hit
 * therefore reads one aligned 128-byte pair, which the adjacent-line
 * prefetcher usually fetches as one. */
struct entry {
	/* line 1 */
	uint32_t hash;
	uint8_t key_len;
	uint8_t n_cands;
	uint16_t unused;
	uint32_t older;  /* age list */
	uint32_t newer;  /* age list, or free list */
	uint8_t key[MT_MAX_KEY];
	/* line 2 */
	uint64_t touched;
	uint64_t stamp[MT_MAX_CANDS];   /* learn time or last release */
	uint16_t backend[MT_MAX_CANDS];
	uint16_t users[MT_MAX_CANDS];   /* BUSY while > 0 */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct entry) == 128, "entry must stay two cache lines");

struct slot {
	uint32_t idx;    /* slab index, NIL when empty */
	uint32_t hash;
};

struct mt_table {
	struct entry *slab;
	struct slot *index;
	uint32_t mask;
	uint32_t n_slots;
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

/* Index slots: a power of two at least twice the cap, so probes stay
 * short (load factor <= 1/2). */
static uint32_t slot_count(uint32_t cap)
{
	uint32_t n = 2;

	while (n < 2 * cap)
		n <<= 1;
	return n;
}

size_t mt_mem_bytes(uint32_t cap)
{
	if (cap == 0 || cap > MAX_CAP)
		return 0;
	return sizeof(struct mt_table) + (size_t)cap * sizeof(struct entry) +
	       (size_t)slot_count(cap) * sizeof(struct slot);
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

/* Large tables are looked up at random, so every lookup would otherwise
 * pay a TLB miss (a costly one under virtualization). Anonymous mappings
 * come zeroed, and ask for transparent huge pages; if the kernel declines,
 * the table still works on small pages. */
static void *map_zeroed(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, len, MADV_HUGEPAGE);
	return p;
}

static void unmap(void *p, size_t len)
{
	if (p)
		munmap(p, len);
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
	nb = slot_count(cfg->cap);
	t->n_slots = nb;
	t->cap = cfg->cap;
	t->slab = map_zeroed((size_t)cfg->cap * sizeof(*t->slab));
	t->index = map_zeroed((size_t)nb * sizeof(*t->index));
	if (!t->slab || !t->index) {
		mt_destroy(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < nb; i++)
		t->index[i].idx = NIL;
	for (uint32_t i = 0; i < cfg->cap; i++)
		t->slab[i].newer = i + 1 < cfg->cap ? i + 1 : NIL;
	t->mask = nb - 1;
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
	unmap(t->slab, (size_t)t->cap * sizeof(*t->slab));
	unmap(t->index, (size_t)t->n_slots * sizeof(*t->index));
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
	for (uint32_t p = h & t->mask;; p = (p + 1) & t->mask) {
		const struct slot *s = &t->index[p];
		const struct entry *e;

		if (s->idx == NIL)
			return NIL;
		if (s->hash != h)
			continue;
		e = &t->slab[s->idx];
		/* Callers read the candidates next: start that second line's
		 * miss now so it overlaps the key compare's. */
		__builtin_prefetch(&e->touched);
		if (e->key_len == len && memcmp(e->key, key, len) == 0)
			return s->idx;
	}
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
	uint32_t p = e->hash & t->mask;

	while (t->index[p].idx != i)
		p = (p + 1) & t->mask;
	/* Backward-shift deletion: pull each later member of the probe run
	 * into the hole unless that would move it before its home slot. */
	for (uint32_t j = (p + 1) & t->mask; t->index[j].idx != NIL;
	     j = (j + 1) & t->mask) {
		uint32_t home = t->index[j].hash & t->mask;

		if (((j - home) & t->mask) >= ((j - p) & t->mask)) {
			t->index[p] = t->index[j];
			p = j;
		}
	}
	t->index[p].idx = NIL;
	age_unlink(t, i);
	e->newer = t->free_head;
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
	t->free_head = e->newer;
	e->hash = h;
	e->key_len = (uint8_t)len;
	memcpy(e->key, key, len);
	e->n_cands = 0;
	e->touched = now;
	for (uint32_t p = h & t->mask;; p = (p + 1) & t->mask) {
		if (t->index[p].idx == NIL) {
			t->index[p] = (struct slot){ .idx = i, .hash = h };
			break;
		}
	}
	age_append(t, i);
	t->count++;
	return i;
}

static int cand_index(const struct entry *e, uint16_t backend)
{
	for (int k = 0; k < e->n_cands; k++)
		if (e->backend[k] == backend)
			return k;
	return -1;
}

/* Removes candidate k keeping the others in learn order, which is the
 * tie-break of mt_pick. */
static void cand_remove(struct entry *e, int k)
{
	size_t after = (size_t)(e->n_cands - k - 1);

	memmove(&e->stamp[k], &e->stamp[k + 1], after * sizeof(e->stamp[0]));
	memmove(&e->backend[k], &e->backend[k + 1], after * sizeof(e->backend[0]));
	memmove(&e->users[k], &e->users[k + 1], after * sizeof(e->users[0]));
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
		if (e->users[k] == 0)
			e->stamp[k] = now;
		touch(t, i, now);
		return 0;
	}
	if (e->n_cands == MT_MAX_CANDS) {
		int victim = -1;

		for (k = 0; k < e->n_cands; k++)
			if (e->users[k] == 0 &&
			    (victim < 0 || e->stamp[k] < e->stamp[victim]))
				victim = k;
		if (victim < 0)
			return -ENOSPC;
		cand_remove(e, victim);
	}
	e->stamp[e->n_cands] = now;
	e->backend[e->n_cands] = backend;
	e->users[e->n_cands] = 0;
	e->n_cands++;
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
		if (e->users[k] > 0 || is_down(load, e->backend[k]) ||
		    now - e->stamp[k] >= t->lifetime)
			continue;
		if (over_guard(t, load, e->backend[k])) {
			guarded = true;
			continue;
		}
		/* Strictly older wins, so equal stamps keep learn order. */
		if (best < 0 || e->stamp[k] < e->stamp[best])
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
	*backend = e->backend[best];
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
	if (t->slab[i].users[k] == UINT16_MAX)
		return -EOVERFLOW;
	t->slab[i].users[k]++;
	touch(t, i, clamp_now(t, now));
	return 0;
}

int mt_release(struct mt_table *t, const void *key, size_t key_len,
	       uint16_t backend, uint64_t now)
{
	uint32_t i;
	int k = lookup_cand(t, key, key_len, backend, &i);
	struct entry *e;

	if (k == -EINVAL)
		return k;
	if (k < 0)
		return -ENOENT;
	e = &t->slab[i];
	if (e->users[k] == 0)
		return -EALREADY;
	now = clamp_now(t, now);
	if (--e->users[k] == 0)
		e->stamp[k] = now;
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
			if (e->users[k] == 0)
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

uint32_t mt_flush(struct mt_table *t, uint64_t cutoff, uint32_t budget)
{
	uint32_t removed = 0;

	/* The age list is ordered by touched, so the first entry younger
	 * than the cutoff ends the walk. */
	while (t->oldest != NIL && (budget == 0 || removed < budget) &&
	       t->slab[t->oldest].touched <= cutoff) {
		remove_entry(t, t->oldest);
		removed++;
	}
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
			v.cands[k].backend = e->backend[k];
			v.cands[k].users = e->users[k];
			v.cands[k].state = e->users[k] ? MT_BUSY : MT_IDLE;
			v.cands[k].stamp_ms = e->stamp[k];
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
