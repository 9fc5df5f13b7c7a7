/* Flow table: preallocated slots, two hash keys per flow, one LRU list per
 * state so that expiry is O(expired). See dispatcher/flow/flow.h. */
#include "flow/flow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "util/siphash.h"

#define NIL UINT32_MAX
#define MAX_CAPACITY (1u << 24)

/* A hash chain entry names a flow and which of its two keys: idx << 1 | dir. */
#define ENT(idx, dir) ((uint32_t)(idx) << 1 | (uint32_t)(dir))
#define ENT_IDX(e) ((e) >> 1)
#define ENT_DIR(e) ((e) & 1)

struct lru {
	uint32_t head, tail;
};

struct disp_flow_table {
	struct disp_flow *flows;
	uint32_t *buckets;
	uint32_t nbuckets; /* power of two */
	uint32_t capacity;
	uint32_t count;
	uint32_t free_head;
	uint64_t hkey[2];
	/* One LRU list and one timeout per (timeout class, state): within a
	 * list every flow has the same timeout, so the head expires first. */
	struct lru (*lru)[DISP_FLOW_NSTATES];
	uint32_t (*timeout)[DISP_FLOW_NSTATES];
	unsigned nclasses;
	disp_flow_release_fn release;
	void *release_arg;
	disp_flow_alive_fn alive;
	void *alive_arg;
};

/* Defaults: short for half-open and closed flows, so a SYN flood or a
 * crowd of closed connections frees its slots quickly; long for idle
 * established ones (HTTP keep-alive). */
static const uint32_t default_timeout[DISP_FLOW_NSTATES] = {
	[DISP_FLOW_SYN_SENT] = 10000,
	[DISP_FLOW_SYN_RECV] = 10000,
	[DISP_FLOW_ESTABLISHED] = 300000,
	[DISP_FLOW_FIN_WAIT] = 30000,
	[DISP_FLOW_CLOSING] = 10000,
	[DISP_FLOW_CLOSED] = 2000,
};

static const char *const state_names[DISP_FLOW_NSTATES] = {
	[DISP_FLOW_SYN_SENT] = "syn-sent",
	[DISP_FLOW_SYN_RECV] = "syn-recv",
	[DISP_FLOW_ESTABLISHED] = "established",
	[DISP_FLOW_FIN_WAIT] = "fin-wait",
	[DISP_FLOW_CLOSING] = "closing",
	[DISP_FLOW_CLOSED] = "closed",
};

const char *disp_flow_state_name(enum disp_flow_state s)
{
	return (unsigned)s < DISP_FLOW_NSTATES ? state_names[s] : "?";
}

void disp_flow_key_v4(struct disp_flow_key *k, const uint8_t saddr[4],
		      uint16_t sport, const uint8_t daddr[4], uint16_t dport,
		      uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, saddr, 4);
	memcpy(k->daddr, daddr, 4);
	k->sport = sport;
	k->dport = dport;
	k->family = AF_INET;
	k->proto = proto;
}

void disp_flow_key_v6(struct disp_flow_key *k, const uint8_t saddr[16],
		      uint16_t sport, const uint8_t daddr[16], uint16_t dport,
		      uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, saddr, 16);
	memcpy(k->daddr, daddr, 16);
	k->sport = sport;
	k->dport = dport;
	k->family = AF_INET6;
	k->proto = proto;
}

uint32_t disp_flow_key_hash(const struct disp_flow_key *k, uint32_t seed)
{
	const uint64_t key[2] = { seed, (uint64_t)seed << 32 | 0x5eed };

	return (uint32_t)disp_siphash(key, k, sizeof(*k));
}

static uint32_t bucket_of(const struct disp_flow_table *t,
			  const struct disp_flow_key *k)
{
	return (uint32_t)disp_siphash(t->hkey, k, sizeof(*k)) & (t->nbuckets - 1);
}

static uint32_t idx_of(const struct disp_flow_table *t, const struct disp_flow *f)
{
	return (uint32_t)(f - t->flows);
}

static void lru_unlink(struct disp_flow_table *t, struct disp_flow *f)
{
	struct lru *l = &t->lru[f->tclass][f->state];

	if (f->lru_prev != NIL)
		t->flows[f->lru_prev].lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next != NIL)
		t->flows[f->lru_next].lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NIL;
}

static void lru_append(struct disp_flow_table *t, struct disp_flow *f)
{
	struct lru *l = &t->lru[f->tclass][f->state];
	uint32_t i = idx_of(t, f);

	f->lru_next = NIL;
	f->lru_prev = l->tail;
	if (l->tail != NIL)
		t->flows[l->tail].lru_next = i;
	else
		l->head = i;
	l->tail = i;
}

static void hash_add(struct disp_flow_table *t, struct disp_flow *f, int dir)
{
	uint32_t b = bucket_of(t, &f->key[dir]);

	f->next[dir] = t->buckets[b];
	t->buckets[b] = ENT(idx_of(t, f), dir);
	f->hashed |= (uint8_t)(1u << dir);
}

static void hash_del(struct disp_flow_table *t, struct disp_flow *f, int dir)
{
	uint32_t want = ENT(idx_of(t, f), dir);
	uint32_t *link = &t->buckets[bucket_of(t, &f->key[dir])];

	if (!(f->hashed & (1u << dir)))
		return;
	while (*link != NIL) {
		if (*link == want) {
			*link = f->next[dir];
			break;
		}
		link = &t->flows[ENT_IDX(*link)].next[ENT_DIR(*link)];
	}
	f->hashed &= (uint8_t)~(1u << dir);
}

int disp_flow_table_create(struct disp_flow_table **out, uint32_t capacity,
			   const struct disp_flow_timeouts *to,
			   disp_flow_release_fn release, void *release_arg)
{
	return disp_flow_table_create_classes(out, capacity, to, to ? 1 : 0,
					      release, release_arg);
}

int disp_flow_table_create_classes(struct disp_flow_table **out,
				   uint32_t capacity,
				   const struct disp_flow_timeouts *to,
				   unsigned nclasses, disp_flow_release_fn release,
				   void *release_arg)
{
	struct disp_flow_table *t;
	uint32_t nb = 16;
	unsigned nc = nclasses ? nclasses : 1;

	if (!out || capacity == 0 || capacity > MAX_CAPACITY ||
	    nclasses > DISP_FLOW_CLASSES_MAX || (nclasses && !to))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->nclasses = nc;
	t->lru = calloc(nc, sizeof(*t->lru));
	t->timeout = calloc(nc, sizeof(*t->timeout));
	if (!t->lru || !t->timeout) {
		free(t->lru);
		free(t->timeout);
		free(t);
		return -ENOMEM;
	}
	/* Two keys per flow; keep the load factor at or below one. */
	while (nb < 2 * capacity)
		nb <<= 1;
	t->flows = calloc(capacity, sizeof(*t->flows));
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	if (!t->flows || !t->buckets) {
		free(t->flows);
		free(t->buckets);
		free(t->lru);
		free(t->timeout);
		free(t);
		return -ENOMEM;
	}
	t->nbuckets = nb;
	t->capacity = capacity;
	memset(t->buckets, 0xff, (size_t)nb * sizeof(*t->buckets));
	for (uint32_t i = 0; i < capacity; i++)
		t->flows[i].lru_next = i + 1 < capacity ? i + 1 : NIL;
	t->free_head = 0;
	for (unsigned c = 0; c < nc; c++) {
		for (int s = 0; s < DISP_FLOW_NSTATES; s++) {
			t->lru[c][s].head = t->lru[c][s].tail = NIL;
			t->timeout[c][s] = nclasses && to[c].ms[s] ? to[c].ms[s]
								  : default_timeout[s];
		}
	}
	/* A secret hash key; without entropy fall back to the address of the
	 * table, which still differs between runs under ASLR. */
	if (getrandom(t->hkey, sizeof(t->hkey), GRND_NONBLOCK) != sizeof(t->hkey)) {
		t->hkey[0] = (uint64_t)(uintptr_t)t;
		t->hkey[1] = (uint64_t)(uintptr_t)t->flows;
	}
	t->release = release;
	t->release_arg = release_arg;
	*out = t;
	return 0;
}

void disp_flow_table_destroy(struct disp_flow_table *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->capacity; i++)
		if (t->flows[i].in_use)
			disp_flow_remove(t, &t->flows[i], DISP_FLOW_END_REMOVED);
	free(t->flows);
	free(t->buckets);
	free(t->lru);
	free(t->timeout);
	free(t);
}

static struct disp_flow *find(struct disp_flow_table *t,
			      const struct disp_flow_key *k, int *dir)
{
	uint32_t e = t->buckets[bucket_of(t, k)];

	while (e != NIL) {
		struct disp_flow *f = &t->flows[ENT_IDX(e)];

		if (memcmp(&f->key[ENT_DIR(e)], k, sizeof(*k)) == 0) {
			*dir = (int)ENT_DIR(e);
			return f;
		}
		e = f->next[ENT_DIR(e)];
	}
	return NULL;
}

struct disp_flow *disp_flow_lookup(struct disp_flow_table *t,
				   const struct disp_flow_key *k,
				   enum disp_flow_dir *dir)
{
	int d = 0;
	struct disp_flow *f = find(t, k, &d);

	if (f && dir)
		*dir = (enum disp_flow_dir)d;
	return f;
}

int disp_flow_insert(struct disp_flow_table *t, const struct disp_flow_key *orig,
		     const struct disp_flow_key *reply, uint64_t now_ms,
		     struct disp_flow **out)
{
	struct disp_flow *f;
	uint32_t i;
	int d;

	if (find(t, orig, &d) || (reply && find(t, reply, &d)))
		return -EEXIST;
	if (reply && memcmp(orig, reply, sizeof(*orig)) == 0)
		return -EEXIST;
	if (t->free_head == NIL)
		return -ENOSPC;
	i = t->free_head;
	f = &t->flows[i];
	t->free_head = f->lru_next;
	memset(f, 0, sizeof(*f));
	f->key[DISP_DIR_ORIG] = *orig;
	f->created_ms = f->last_ms = now_ms;
	f->state = DISP_FLOW_SYN_SENT;
	f->in_use = 1;
	hash_add(t, f, DISP_DIR_ORIG);
	if (reply) {
		f->key[DISP_DIR_REPLY] = *reply;
		hash_add(t, f, DISP_DIR_REPLY);
	}
	lru_append(t, f);
	t->count++;
	*out = f;
	return 0;
}

int disp_flow_set_reply(struct disp_flow_table *t, struct disp_flow *f,
			const struct disp_flow_key *reply)
{
	struct disp_flow *o;
	int d;

	o = find(t, reply, &d);
	if (o == f && d == DISP_DIR_REPLY)
		return 0;
	if (o)
		return -EEXIST;
	hash_del(t, f, DISP_DIR_REPLY);
	f->key[DISP_DIR_REPLY] = *reply;
	hash_add(t, f, DISP_DIR_REPLY);
	return 0;
}

void disp_flow_remove(struct disp_flow_table *t, struct disp_flow *f,
		      enum disp_flow_end why)
{
	if (!f->in_use)
		return;
	if (t->release)
		t->release(f, why, t->release_arg);
	hash_del(t, f, DISP_DIR_ORIG);
	hash_del(t, f, DISP_DIR_REPLY);
	lru_unlink(t, f);
	f->in_use = 0;
	f->lru_next = t->free_head;
	t->free_head = idx_of(t, f);
	t->count--;
}

void disp_flow_touch(struct disp_flow_table *t, struct disp_flow *f,
		     uint64_t now_ms)
{
	f->last_ms = now_ms;
	if (f->lru_next != NIL) { /* already the tail: nothing to move */
		lru_unlink(t, f);
		lru_append(t, f);
	}
}

void disp_flow_set_state(struct disp_flow_table *t, struct disp_flow *f,
			 enum disp_flow_state s, uint64_t now_ms)
{
	if ((unsigned)s >= DISP_FLOW_NSTATES)
		return;
	lru_unlink(t, f);
	f->state = (uint8_t)s;
	f->last_ms = now_ms;
	lru_append(t, f);
}

unsigned disp_flow_expire(struct disp_flow_table *t, uint64_t now_ms,
			  unsigned max)
{
	unsigned n = 0;

	for (unsigned c = 0; c < t->nclasses; c++) {
		for (int s = 0; s < DISP_FLOW_NSTATES; s++) {
			struct lru *l = &t->lru[c][s];

			while (l->head != NIL && (max == 0 || n < max)) {
				struct disp_flow *f = &t->flows[l->head];

				uint64_t seen;

				if (f->last_ms + t->timeout[c][s] > now_ms)
					break;
				/* Seen elsewhere since (the kernel fast path):
				 * back to the tail with that time. The list
				 * may then be out of order by that much, which
				 * only delays other expiries, never hastens. */
				if (t->alive &&
				    (seen = t->alive(f, t->alive_arg)) > f->last_ms &&
				    seen + t->timeout[c][s] > now_ms) {
					disp_flow_touch(t, f, seen);
					if (l->head == (uint32_t)(f - t->flows))
						break; /* alone in its list */
					continue;
				}
				/* A closed flow that lingered for stray ACKs ends
				 * for the reason it closed, not as a timeout. */
				disp_flow_remove(t, f, s == DISP_FLOW_CLOSED &&
						       f->closed_reason
						       ? (enum disp_flow_end)f->closed_reason
						       : DISP_FLOW_END_TIMEOUT);
				n++;
			}
		}
	}
	return n;
}

void disp_flow_table_set_alive(struct disp_flow_table *t,
			       disp_flow_alive_fn fn, void *arg)
{
	t->alive = fn;
	t->alive_arg = arg;
}

uint32_t disp_flow_count(const struct disp_flow_table *t)
{
	return t->count;
}

uint32_t disp_flow_capacity(const struct disp_flow_table *t)
{
	return t->capacity;
}

uint32_t disp_flow_timeout(const struct disp_flow_table *t,
			   enum disp_flow_state s)
{
	return (unsigned)s < DISP_FLOW_NSTATES ? t->timeout[0][s] : 0;
}

uint32_t disp_flow_timeout_class(const struct disp_flow_table *t, unsigned cls,
				 enum disp_flow_state s)
{
	return cls < t->nclasses && (unsigned)s < DISP_FLOW_NSTATES
	       ? t->timeout[cls][s] : 0;
}

int disp_flow_set_class(struct disp_flow_table *t, struct disp_flow *f,
			unsigned cls)
{
	if (cls >= t->nclasses)
		return -EINVAL;
	lru_unlink(t, f);
	f->tclass = (uint8_t)cls;
	lru_append(t, f);
	return 0;
}

int disp_flow_foreach(struct disp_flow_table *t,
		      int (*fn)(const struct disp_flow *f, void *arg), void *arg)
{
	for (uint32_t i = 0; i < t->capacity; i++) {
		if (t->flows[i].in_use) {
			int r = fn(&t->flows[i], arg);

			if (r)
				return r;
		}
	}
	return 0;
}

size_t disp_flow_bytes_per_flow(const struct disp_flow_table *t)
{
	return sizeof(struct disp_flow) +
	       ((size_t)t->nbuckets * sizeof(uint32_t) + t->capacity - 1) / t->capacity;
}
