/* Bounded MPMC ring (see cl_ring.h). Cell i's seq equals the position a
 * producer may write next (pos), or pos + 1 once written, which is the
 * value the consumer at pos waits for; the consumer then sets it to
 * pos + cap, handing the cell to the producer one lap later. */
#include "cluster/cl_ring.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>

struct cell {
	_Atomic uint64_t seq;
	struct cl_rec rec;
};

struct cl_ring {
	alignas(64) _Atomic uint64_t head;  /* next position to pop */
	alignas(64) _Atomic uint64_t tail;  /* next position to push */
	alignas(64) uint64_t mask;
	struct cell *cells;
};

int cl_ring_new(uint32_t cap, struct cl_ring **out)
{
	struct cl_ring *q;

	if (cap < 2 || cap > (1u << 20) || (cap & (cap - 1)))
		return -EINVAL;
	q = aligned_alloc(64, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->cells = calloc(cap, sizeof(*q->cells));
	if (!q->cells) {
		free(q);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cap; i++)
		atomic_init(&q->cells[i].seq, i);
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	q->mask = cap - 1;
	*out = q;
	return 0;
}

void cl_ring_free(struct cl_ring *q)
{
	if (!q)
		return;
	free(q->cells);
	free(q);
}

int cl_ring_push(struct cl_ring *q, const struct cl_rec *rec)
{
	uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
	struct cell *c;

	for (;;) {
		c = &q->cells[pos & q->mask];
		uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
		int64_t d = (int64_t)(seq - pos);

		if (d == 0) {
			if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1,
					memory_order_relaxed, memory_order_relaxed))
				break;
		} else if (d < 0) {
			return -ENOBUFS;  /* the consumer a lap behind has not freed it */
		} else {
			pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
		}
	}
	c->rec = *rec;
	atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
	return 0;
}

int cl_ring_pop(struct cl_ring *q, struct cl_rec *rec)
{
	uint64_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
	struct cell *c;

	for (;;) {
		c = &q->cells[pos & q->mask];
		uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
		int64_t d = (int64_t)(seq - (pos + 1));

		if (d == 0) {
			if (atomic_compare_exchange_weak_explicit(&q->head, &pos, pos + 1,
					memory_order_relaxed, memory_order_relaxed))
				break;
		} else if (d < 0) {
			return -EAGAIN;
		} else {
			pos = atomic_load_explicit(&q->head, memory_order_relaxed);
		}
	}
	*rec = c->rec;
	atomic_store_explicit(&c->seq, pos + q->mask + 1, memory_order_release);
	return 0;
}
