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
	_Atomic unsigned hold_ms;   /* a reload may change it */
	_Atomic uint64_t down_until;
	_Atomic uint64_t passive_downs; /* times the data path marked it */
	/* A reload dropped it from the config: no new flows (as DRAIN), its
	 * flows keep forwarding, and once none is left it is no longer
	 * listed. The slot itself stays (see struct disp_bset). */
	atomic_bool removed;
	/* `add backend` / `del backend` made it so (not the file): the
	 * state file records these, so they survive a restart. */
	atomic_bool runtime_added, runtime_deleted;
};

struct disp_rr_sched {
	struct disp_rr_sched *older; /* the schedule this one replaced */
	size_t len;
	uint16_t seq[];
};

/* A content pool (splice mode): a subset of its set's backends (config
 * pool number = index in bset.pools). The pools themselves are fixed for
 * the set's life (changing them needs a restart); a backend a reload adds
 * joins its pool before it turns present, so no picker sees it in another
 * pool. sched_rr.c walks a schedule of its own, with its own counter, so
 * the pool's members keep their weighted shares. */
struct disp_bpool {
	_Atomic uint64_t *mask;     /* bit i: slot i is a member */
	_Atomic size_t count;       /* members */
	_Atomic(struct disp_rr_sched *) rr;
	_Atomic uint64_t rr_next;
};

/* Backends added at run time (reload, `add backend`) and pickers running
 * at the same time, without a lock on the pick path:
 *
 * - be is allocated once with room for cap backends and never moves, so
 *   a struct disp_backend pointer held by a flow, or an index held by
 *   the mapping table, stays valid for the pool's life;
 * - a new backend is written into slot n first, then n is stored with
 *   release; pickers load n with acquire, so they see either the old
 *   count or the new count and a fully written slot;
 * - a removed backend is only flagged (removed): the slot keeps its
 *   address and counters while its flows drain. A later add of the same
 *   address takes its slot back; a new address takes a fresh slot, or,
 *   when all cap are used, a removed slot with no flow left (the mapping
 *   table may still name that index: such a session then goes to the new
 *   backend, which misses it and does a full handshake -- a miss, never a
 *   wrong connection);
 * - the scheduler is one atomic pointer (ops), published after what it
 *   needs (the round-robin schedule) is built.
 * Nothing is freed until disp_pool_free, so no reader can hold freed
 * memory. */
struct disp_bset {
	char name[64];
	_Atomic int sched;          /* enum disp_sched_kind */
	_Atomic(const struct disp_sched_ops *) ops;
	_Atomic size_t n;           /* slots in use (grows only) */
	size_t cap;                 /* slots allocated */
	struct disp_backend *be;    /* cap entries, never moved */
	/* sched_rr.c: a precomputed interleaved schedule of backend indices
	 * (each appears weight/gcd times) walked by rr_next, so no lock is
	 * needed to pick. sched_wlc.c rotates its scan start with rr_next.
	 * A weight change publishes a new schedule; the old ones stay
	 * allocated (chained) until fini, as a picker may still read one.
	 * Removed backends have no place in it. The chain grows by one
	 * schedule (a few hundred bytes) per change, which operators make
	 * by hand: not worth a grace-period scheme. */
	_Atomic(struct disp_rr_sched *) rr;
	atomic_bool equal_weights;  /* sched_hash.c can skip the logarithm */
	_Atomic uint64_t rr_next;
	_Atomic unsigned hold_ms;   /* passive-hold for backends added now */
	/* Content pools (config pool numbers); 0 when the service has none,
	 * then every backend is in pool 0. Masks cover cap slots. */
	size_t npools;
	struct disp_bpool *pools;
	unsigned default_pool;      /* the config's: `add backend` joins it */
};

/* True when slot i is in pool (NULL: the whole set). */
static inline bool disp_bpool_has(const struct disp_bpool *pool, size_t i)
{
	return !pool ||
	       (atomic_load_explicit(&pool->mask[i / 64], memory_order_relaxed) >> (i % 64)) & 1;
}

/* Puts slot i in pool p only (config pool number; none when the set has
 * no pools or p is out of range). With the change lock held, or before
 * the set is published. */
void disp_bset_pool_join(struct disp_bset *bs, size_t i, unsigned p);

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
	/* Returns a usable backend of pool (NULL: of the whole set) or
	 * NULL. client: the client's address. */
	struct disp_backend *(*pick)(struct disp_bset *bs,
				     const struct disp_addr *client,
				     struct disp_bpool *pool);
};

extern const struct disp_sched_ops disp_sched_rr, disp_sched_wlc, disp_sched_hash;

/* The set's current scheduler ops and backend count (acquire loads: see
 * struct disp_bset). */
const struct disp_sched_ops *disp_bset_ops(const struct disp_bset *bs);

/* True when be is in the config (not removed by a reload or `del
 * backend`). */
bool disp_backend_present(const struct disp_backend *be);

/* Serialises changes to sets (weights, schedulers, adding and removing
 * backends): two reloads or a reload and `set weight`. Pickers never take
 * it. */
void disp_pool_change_lock(void);
void disp_pool_change_unlock(void);

/* Rebuilds what the current scheduler precomputes from weights and
 * presence (the round-robin schedule). Call with the change lock held.
 * Returns 0 or -ENOMEM (the old schedule stays in use). */
int disp_bset_resched(struct disp_bset *bs);

/* The ops of a scheduler kind, or NULL for an unknown one. */
const struct disp_sched_ops *disp_sched_ops_of(enum disp_sched_kind k);

/* Writes bc's address and weight into be with a fresh state (UP, healthy,
 * not held) and marks it present, last. Counters are left alone. */
void disp_backend_fill(struct disp_backend *be, const struct disp_backend_conf *bc,
		       unsigned hold_ms, enum disp_be_state admin);

/* 64-bit hash of an address's bytes (and port) under seed. */
uint64_t disp_addr_hash(const struct disp_addr *a, bool with_port,
			uint64_t seed);

#endif
