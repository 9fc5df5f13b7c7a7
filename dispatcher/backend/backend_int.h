/* Internal layout of backends and backend sets, shared by backend.c,
 * sched*.c and health.c. Nothing outside dispatcher/ sees these. */
#ifndef DISP_BACKEND_INT_H
#define DISP_BACKEND_INT_H

#include <stdatomic.h>

#include "backend/backend.h"

struct disp_backend {
	struct disp_addr addr;
	_Atomic unsigned weight;    /* 1..256; `set weight` changes it live */
	uint64_t hash_seed;         /* per-backend seed for source-hash */
	_Atomic int admin;          /* enum disp_be_state set by the operator */
	atomic_bool healthy;        /* health checker's verdict */
	atomic_int probe;           /* last probe outcome */
	_Atomic uint64_t conns;     /* active flows */
	_Atomic uint64_t total;     /* flows ever started */
	/* Passive health: the data path saw this backend refuse or stay
	 * silent; it is DOWN until down_until (disp_now_ms clock, 0 = not
	 * held), then gets new flows again, so the next real connection is
	 * the retry. hold_ms 0: passive health off for this service. */
	unsigned hold_ms;
	_Atomic uint64_t down_until;
	_Atomic uint64_t passive_downs; /* times the data path marked it */
};

struct disp_rr_sched {
	struct disp_rr_sched *older; /* the schedule this one replaced */
	size_t len;
	uint16_t seq[];
};

struct disp_bset {
	char name[64];
	enum disp_sched_kind sched;
	const struct disp_sched_ops *ops;
	size_t n;
	struct disp_backend *be;    /* n entries, fixed */
	/* sched_rr.c: a precomputed interleaved schedule of backend indices
	 * (each appears weight/gcd times) walked by rr_next, so no lock is
	 * needed to pick. sched_wlc.c rotates its scan start with rr_next.
	 * A weight change publishes a new schedule; the old ones stay
	 * allocated (chained) until fini, as a picker may still read one. */
	_Atomic(struct disp_rr_sched *) rr;
	atomic_bool equal_weights;  /* sched_hash.c can skip the logarithm */
	_Atomic uint64_t rr_next;
};

struct disp_pool {
	size_t n;
	struct disp_bset *sets;
};

/* One scheduler, one file (sched_rr.c, sched_wlc.c, sched_hash.c):
 * backend.c calls init once the set's backends are filled in, pick for
 * every new flow (from any worker, without a lock: a scheduler's state
 * is atomics or read-only after init), fini when the set is freed. */
struct disp_sched_ops {
	/* NULL: nothing to build; 0/-errno. Called again after a weight
	 * change, with pickers running: it must publish atomically. */
	int (*init)(struct disp_bset *bs);
	void (*fini)(struct disp_bset *bs); /* NULL: nothing to free */
	/* Returns a usable backend or NULL. client: the client's address. */
	struct disp_backend *(*pick)(struct disp_bset *bs,
				     const struct disp_addr *client);
};

extern const struct disp_sched_ops disp_sched_rr, disp_sched_wlc, disp_sched_hash;

/* 64-bit hash of an address's bytes (and port) under seed. */
uint64_t disp_addr_hash(const struct disp_addr *a, bool with_port,
			uint64_t seed);

#endif
