/* LARD/R: locality-aware request distribution with replication (Pai et
 * al., "Locality-Aware Request Distribution in Cluster-based Network
 * Servers", ASPLOS 1998, §2.3).
 *
 * Each target (a path, or a path prefix: lard_target_len) is served by a
 * set of backends. The first request for a target goes to the least
 * loaded backend, which then holds it in its cache; later requests go to
 * the least loaded backend of the target's set. The set grows by the
 * least loaded backend overall when its best member is overloaded (load
 * above t_high while some backend is below t_low, or at 2 * t_high), and
 * loses its most loaded member when it has not changed for shrink_ms. So
 * a popular target is replicated on as many caches as its load needs and
 * every other target stays on one, and the cluster's caches add up
 * instead of all holding the same hot set (what rr and source-hash do).
 *
 * Load is the caller's count of active connections per backend; a
 * backend's weight is not used (the paper's nodes are equal).
 *
 * State: a fixed table of lard_conf.targets entries, 4-way set
 * associative; a new target evicts the least recently used entry of its
 * set, which costs locality, never correctness. The table hashes targets
 * with a seeded FNV-1a: someone who chooses paths can evict entries, as
 * with any cache. Nothing is allocated after lard_new. One struct lard
 * belongs to one thread (a worker); pure apart from that state.
 */
#ifndef SPLICEKIT_LARD_H
#define SPLICEKIT_LARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LARD_BACKENDS_MAX 64  /* a set is a 64-bit mask */

struct lard_conf {
	unsigned t_low;       /* below: a backend may take a replica */
	unsigned t_high;      /* above: a target's set may grow */
	uint32_t shrink_ms;   /* K: a set unchanged this long loses a member */
	unsigned targets;     /* table entries (rounded up to a multiple of 4) */
	uint64_t seed;        /* hash seed (e.g. random at start) */
};

/* The paper's thresholds (T_low 25, T_high 65 connections, K 20 s) and
 * 65536 targets. */
#define LARD_CONF_DEFAULT {25, 65, 20000, 65536, 0}

struct lard;

/* Allocates a LARD table. Returns NULL with errno EINVAL when t_low >=
 * t_high, t_high is 0, targets is 0 or above 2^24, ENOMEM on failure. */
struct lard *lard_new(const struct lard_conf *c);

/* Frees l (NULL allowed). */
void lard_free(struct lard *l);

/* Picks the backend for a request for target[0..len). loads[i] is
 * backend i's active connections, for i < n (n <= LARD_BACKENDS_MAX);
 * eligible has bit i set when backend i may take new connections (UP,
 * not draining). Members that are no longer eligible leave the target's
 * set. Returns the backend index, or -EAGAIN when no backend is eligible,
 * -EINVAL when n is 0 or above LARD_BACKENDS_MAX. */
int lard_pick(struct lard *l, const void *target, size_t len,
	      const unsigned *loads, unsigned n, uint64_t eligible,
	      uint64_t now_ms);

/* Returns the backends serving target as a mask (0 if it is unknown). */
uint64_t lard_set(const struct lard *l, const void *target, size_t len);

/* Returns the length of path's first depth segments ("/a/b/c", depth 2:
 * "/a/b"), or the whole path when it has fewer; depth 0 means the whole
 * path. Lets one config line choose per-file or per-directory targets. */
size_t lard_target_len(const char *path, size_t len, unsigned depth);

#endif
