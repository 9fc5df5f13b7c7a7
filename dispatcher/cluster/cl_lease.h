/* A worker's view of the other instances' BUSY leases: which instances
 * have a connection on a session's backend, each until its lease runs out.
 * A lease is an expiry time per holder, never a counter, so an instance
 * that dies without saying IDLE stops counting after one lease length.
 * Thread-safety: none; one per worker.
 */
#ifndef CL_LEASE_H
#define CL_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/cl_rec.h"

#define CL_LEASE_HOLDERS 8  /* instances tracked per session backend */

struct cl_leases;

/* Creates a table for cap (session, backend) pairs. Returns 0 and *out,
 * -EINVAL or -ENOMEM. */
int cl_leases_new(uint32_t cap, struct cl_leases **out);

/* Frees it. NULL is allowed. */
void cl_leases_free(struct cl_leases *l);

/* Applies a BUSY (start or renew the origin's lease until sent + ttl) or
 * IDLE (end it) record; sessions are ignored. Returns 0, or -ENOSPC when
 * the table or the holder list is full (the lease is not recorded). */
int cl_leases_apply(struct cl_leases *l, const struct cl_rec *r, uint64_t now_ms);

/* Returns how many instances hold a live lease on key's backend at now_ms. */
unsigned cl_leases_holders(struct cl_leases *l, const void *key, size_t klen,
			   const struct cl_cand *backend, uint64_t now_ms);

#endif
