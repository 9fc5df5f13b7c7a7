/* Internal layout of backends and backend sets, shared by backend.c,
 * sched*.c and health.c. Nothing outside dispatcher/ sees these. */
#ifndef DISP_BACKEND_INT_H
#define DISP_BACKEND_INT_H

#include <stdatomic.h>

#include "backend/backend.h"

struct disp_backend {
	struct disp_addr addr;
	unsigned weight;
	uint64_t hash_seed;         /* per-backend seed for source-hash */
	_Atomic int admin;          /* enum disp_be_state set by the operator */
	atomic_bool healthy;        /* health checker's verdict */
	atomic_int probe;           /* last probe outcome */
	_Atomic uint64_t conns;     /* active flows */
	_Atomic uint64_t total;     /* flows ever started */
};

struct disp_bset {
	char name[64];
	enum disp_sched_kind sched;
	size_t n;
	struct disp_backend *be;    /* n entries, fixed */
	/* Weighted round-robin: a precomputed interleaved schedule of backend
	 * indices (each appears weight/gcd times) walked by one atomic
	 * counter, so no lock is needed to pick. */
	uint16_t *rr_seq;
	size_t rr_len;
	bool equal_weights;         /* source-hash can skip the logarithm */
	_Atomic uint64_t rr_next;
};

struct disp_pool {
	size_t n;
	struct disp_bset *sets;
};

/* Builds the weighted round-robin schedule of bs: 0 or -ENOMEM. */
int disp_sched_rr_init(struct disp_bset *bs);

/* Scheduler bodies; each returns a usable backend or NULL. */
struct disp_backend *disp_sched_rr_pick(struct disp_bset *bs);
struct disp_backend *disp_sched_wlc_pick(struct disp_bset *bs);
struct disp_backend *disp_sched_hash_pick(struct disp_bset *bs,
					  const struct disp_addr *client);

/* 64-bit hash of an address's bytes (and port) under seed. */
uint64_t disp_addr_hash(const struct disp_addr *a, bool with_port,
			uint64_t seed);

#endif
