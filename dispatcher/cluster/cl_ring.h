/* A bounded lock-free queue of cluster records between packet workers and
 * the Redis thread. Any number of producers and consumers; no call blocks,
 * allocates or takes a lock, so a worker never waits for Redis: a full
 * queue refuses (the caller counts it), an empty one says so.
 *
 * The algorithm is D. Vyukov's bounded MPMC queue: each cell carries a
 * sequence number that says whose turn it is, and producers/consumers
 * claim positions with one compare-and-swap each.
 */
#ifndef CL_RING_H
#define CL_RING_H

#include <stdint.h>

#include "cluster/cl_rec.h"

struct cl_ring;

/* Creates a ring of cap records (a power of two, 2..2^20). Returns 0 and
 * *out (free with cl_ring_free), -EINVAL, or -ENOMEM. */
int cl_ring_new(uint32_t cap, struct cl_ring **out);

/* Frees the ring. NULL is allowed. */
void cl_ring_free(struct cl_ring *q);

/* Copies *rec in. Returns 0, or -ENOBUFS when the ring is full. */
int cl_ring_push(struct cl_ring *q, const struct cl_rec *rec);

/* Copies the oldest record out. Returns 0, or -EAGAIN when empty. */
int cl_ring_pop(struct cl_ring *q, struct cl_rec *rec);

#endif
