/* Bounded half-open table for splice mode.
 *
 * All memory is taken in ssyn_ho_new(): an entry array of `capacity`
 * slots and an open-addressing index of twice that (a power of two, load
 * <= 1/2, linear probing with backward-shift deletion, so no tombstones
 * accumulate under churn). Each index slot holds the entry number and the
 * low 32 bits of its hash, so probing past other entries and finding
 * their home slots during a backward shift never touches the entry array:
 * with a million entries each such touch is a cache miss (ssyn_bench). Entries all share one TTL, so insertion order
 * is expiry order: a doubly linked FIFO over the entry array makes expiry
 * O(1) per entry. The index hash is SipHash under a per-table random key,
 * so a flood of chosen 4-tuples cannot build long probe runs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/siphash.h"
#include "splice/syn/splice_syn.h"

#define NIL UINT32_MAX

struct node {
	struct ssyn_ho_entry e;
	uint64_t hash;
	uint32_t prev, next;     /* FIFO when used, free list (next) else */
};

struct ssyn_ho {
	struct node *n;
	uint64_t *idx;           /* hash << 32 | (entry number + 1); 0 = empty */
	uint32_t cap, mask;      /* mask = index size - 1 */
	uint32_t ttl_ms;
	uint32_t head, tail;     /* oldest, newest */
	uint32_t free;
	uint64_t key[2];
	struct ssyn_ho_stats st;
};

uint64_t ssyn_tuple_hash(const uint64_t key[2], const struct ssyn_tuple *t)
{
	uint8_t m[37];

	memcpy(m, t->caddr, 16);
	memcpy(m + 16, t->vaddr, 16);
	m[32] = (uint8_t)(t->cport >> 8);
	m[33] = (uint8_t)t->cport;
	m[34] = (uint8_t)(t->vport >> 8);
	m[35] = (uint8_t)t->vport;
	m[36] = t->family;
	return disp_siphash(key, m, sizeof m);
}

bool ssyn_tuple_eq(const struct ssyn_tuple *a, const struct ssyn_tuple *b)
{
	return a->family == b->family && a->cport == b->cport &&
	       a->vport == b->vport && !memcmp(a->caddr, b->caddr, 16) &&
	       !memcmp(a->vaddr, b->vaddr, 16);
}

struct ssyn_ho *ssyn_ho_new(uint32_t capacity, uint32_t ttl_ms)
{
	struct ssyn_ho *h;
	uint32_t isz = 2;

	if (capacity == 0 || capacity > (1u << 24) || ttl_ms == 0) {
		errno = EINVAL;
		return NULL;
	}
	while (isz < 2 * capacity)
		isz <<= 1;
	h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->n = calloc(capacity, sizeof *h->n);
	h->idx = calloc(isz, sizeof *h->idx);
	if (!h->n || !h->idx) {
		ssyn_ho_free(h);
		errno = ENOMEM;
		return NULL;
	}
	/* A failed getrandom() is reported as itself (ENOSYS, EINTR...),
	 * not as ENOMEM: the fix is not more memory. 16 bytes are never
	 * returned short once the pool is initialised. */
	if (getrandom(h->key, sizeof h->key, 0) != (ssize_t)sizeof h->key) {
		int e = errno ? errno : EIO;

		ssyn_ho_free(h);
		errno = e;
		return NULL;
	}
	h->cap = capacity;
	h->mask = isz - 1;
	h->ttl_ms = ttl_ms;
	h->head = h->tail = NIL;
	for (uint32_t i = 0; i < capacity; i++)
		h->n[i].next = i + 1 < capacity ? i + 1 : NIL;
	h->free = 0;
	h->st.capacity = capacity;
	return h;
}

void ssyn_ho_free(struct ssyn_ho *h)
{
	if (!h)
		return;
	free(h->n);
	free(h->idx);
	free(h);
}

#define SLOT_ENT(v)  ((uint32_t)(v))          /* entry number + 1 */
#define SLOT_HASH(v) ((uint32_t)((v) >> 32))

static uint64_t slot_val(uint64_t hash, uint32_t e)
{
	return (uint64_t)(uint32_t)hash << 32 | (e + 1);
}

/* Returns the index slot holding t, or the empty slot ending its run. */
static uint32_t probe(const struct ssyn_ho *h, const struct ssyn_tuple *t,
		      uint64_t hash)
{
	uint32_t i = (uint32_t)hash & h->mask;

	/* Terminates: the index is never more than half full. */
	while (h->idx[i]) {
		uint64_t v = h->idx[i];

		/* The tag filters; the tuple decides. n->hash is not read: it
		 * sits in another cache line than the tuple. */
		if (SLOT_HASH(v) == (uint32_t)hash &&
		    ssyn_tuple_eq(&h->n[SLOT_ENT(v) - 1].e.t, t))
			break;
		i = (i + 1) & h->mask;
	}
	return i;
}

static void unlink_node(struct ssyn_ho *h, uint32_t e)
{
	struct node *n = &h->n[e];
	uint32_t i = probe(h, &n->e.t, n->hash), j;

	/* Backward-shift deletion: pull later members of the run into the
	 * hole unless their home slot lies cyclically in (hole, j]. */
	h->idx[i] = 0;
	for (j = (i + 1) & h->mask; h->idx[j]; j = (j + 1) & h->mask) {
		uint32_t home = SLOT_HASH(h->idx[j]) & h->mask;

		if (((j - home) & h->mask) >= ((j - i) & h->mask)) {
			h->idx[i] = h->idx[j];
			h->idx[j] = 0;
			i = j;
		}
	}
	if (n->prev != NIL)
		h->n[n->prev].next = n->next;
	else
		h->head = n->next;
	if (n->next != NIL)
		h->n[n->next].prev = n->prev;
	else
		h->tail = n->prev;
	n->next = h->free;
	h->free = e;
	h->st.used--;
}

static bool expired(const struct ssyn_ho *h, const struct node *n,
		    uint64_t now_ms)
{
	return now_ms - n->e.born_ms >= h->ttl_ms && now_ms >= n->e.born_ms;
}

uint32_t ssyn_ho_expire(struct ssyn_ho *h, uint64_t now_ms)
{
	uint32_t k = 0;

	while (h->head != NIL && expired(h, &h->n[h->head], now_ms)) {
		unlink_node(h, h->head);
		k++;
	}
	h->st.expired += k;
	return k;
}

int ssyn_ho_insert(struct ssyn_ho *h, const struct ssyn_ho_entry *e,
		   uint64_t now_ms, const struct ssyn_ho_entry **out)
{
	uint64_t hash = ssyn_tuple_hash(h->key, &e->t);
	uint32_t i, k;
	struct node *n;

	ssyn_ho_expire(h, now_ms);
	i = probe(h, &e->t, hash);
	if (h->idx[i]) {
		h->st.dups++;
		if (out)
			*out = &h->n[SLOT_ENT(h->idx[i]) - 1].e;
		return -EEXIST;
	}
	if (h->free == NIL) {
		h->st.full++;
		return -ENOSPC;
	}
	k = h->free;
	n = &h->n[k];
	h->free = n->next;
	n->e = *e;
	n->e.born_ms = now_ms;
	n->hash = hash;
	n->next = NIL;
	n->prev = h->tail;
	if (h->tail != NIL)
		h->n[h->tail].next = k;
	else
		h->head = k;
	h->tail = k;
	h->idx[i] = slot_val(hash, k);
	h->st.used++;
	h->st.inserts++;
	if (out)
		*out = &n->e;
	return 0;
}

const struct ssyn_ho_entry *ssyn_ho_lookup(struct ssyn_ho *h,
					   const struct ssyn_tuple *t,
					   uint64_t now_ms)
{
	uint32_t i = probe(h, t, ssyn_tuple_hash(h->key, t));
	uint32_t e = SLOT_ENT(h->idx[i]);

	if (!e)
		return NULL;
	if (expired(h, &h->n[e - 1], now_ms)) {
		unlink_node(h, e - 1);
		h->st.expired++;
		return NULL;
	}
	return &h->n[e - 1].e;
}

int ssyn_ho_remove(struct ssyn_ho *h, const struct ssyn_tuple *t)
{
	uint32_t i = probe(h, t, ssyn_tuple_hash(h->key, t));

	if (!h->idx[i])
		return -ENOENT;
	unlink_node(h, SLOT_ENT(h->idx[i]) - 1);
	h->st.removed++;
	return 0;
}

void ssyn_ho_stats(const struct ssyn_ho *h, struct ssyn_ho_stats *st)
{
	*st = h->st;
}
