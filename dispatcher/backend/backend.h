/* Backends and schedulers: which server gets a new flow.
 *
 * Contract between the control branch (backend set, schedulers, health,
 * control socket) and the engine (which calls pick on a new flow and
 * conn_inc/conn_dec as flows start and end).
 *
 * Threading: every function here may be called from any thread at any time
 * without an external lock. The fast path (pick, conn_inc, conn_dec,
 * backend_addr) takes no lock at all: states and counters are atomics.
 * A reload adds backends to a running set and removes them (they drain),
 * but a backend's memory is never moved or freed before disp_pool_free,
 * so a struct disp_backend pointer, and its index in the set, stay valid
 * (backend_int.h says how).
 */
#ifndef SPLICEKIT_BACKEND_H
#define SPLICEKIT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

/* Effective state of a backend. A backend is DOWN when the operator set it
 * down, its health check failed or the data path holds it (passive health); DRAIN keeps existing flows but gets no
 * new ones; only UP backends are picked. */
enum disp_be_state {
	DISP_BE_UP,
	DISP_BE_DOWN,
	DISP_BE_DRAIN,
};

struct disp_backend; /* one server of one service */
struct disp_bset;    /* the backends and scheduler of one service */
struct disp_pool;    /* one bset per service of a config */

/* Builds one backend set per service of cfg, all backends UP (health checks
 * may mark them DOWN later). Returns 0 and *out (free with disp_pool_free),
 * or -ENOMEM / -EINVAL. The pool copies what it needs; cfg may be freed
 * afterwards. */
int disp_pool_create(const struct disp_config *cfg, struct disp_pool **out);

/* Frees the pool. No other thread may still use it or its backends. */
void disp_pool_free(struct disp_pool *pool);

/* Returns the number of services (bsets) in the pool. */
size_t disp_pool_count(const struct disp_pool *pool);

/* Returns the bset of service i (in config order), or NULL if out of range.
 * Owned by the pool. */
struct disp_bset *disp_pool_bset(struct disp_pool *pool, size_t i);

/* Returns the bset of the service called name, or NULL. */
struct disp_bset *disp_pool_bset_named(struct disp_pool *pool, const char *name);

/* Returns the first backend whose address and port equal *addr, searching
 * every service, or NULL. When svc is not NULL it receives the service
 * index. Owned by the pool. */
struct disp_backend *disp_pool_find(struct disp_pool *pool,
				    const struct disp_addr *addr, size_t *svc);

/* Returns the service name (owned by the bset). */
const char *disp_bset_name(const struct disp_bset *bs);

/* Returns the scheduler of this set. */
enum disp_sched_kind disp_bset_sched(const struct disp_bset *bs);

/* Returns the number of backend slots: the configured backends plus any
 * added at run time, removed ones included (disp_backend_present says
 * which are in the config; disp_backend_listed which to show). It only
 * grows. */
size_t disp_bset_count(const struct disp_bset *bs);

/* Returns how many slots bs can ever have (disp_bset_count's bound):
 * what a module indexing backends sizes its per-backend arrays by. */
size_t disp_bset_capacity(const struct disp_bset *bs);

/* Returns backend slot i, or NULL if out of range. */
struct disp_backend *disp_bset_get(struct disp_bset *bs, size_t i);

/* Returns the present backend of bs at *addr, or NULL. */
struct disp_backend *disp_bset_find(struct disp_bset *bs, const struct disp_addr *addr);

/* True unless a reload or `del backend` removed be from its service. */
bool disp_backend_present(const struct disp_backend *be);

/* True while be should be shown: present, or removed but still
 * forwarding flows (draining). */
bool disp_backend_listed(const struct disp_backend *be);

/* 1 when `add backend` made be (the file lacks it), -1 when `del backend`
 * removed it (the file has it), 0 otherwise: what the state file keeps. */
int disp_backend_runtime(const struct disp_backend *be);

/* What disp_bset_apply changed. */
struct disp_bset_delta {
	unsigned added, removed, reweighted;
	bool sched;   /* scheduler switched */
	bool passive; /* passive-health hold changed */
};

/* 0 when bs has room for the backends sc adds, else -ENOSPC (bs keeps a
 * fixed number of slots, the configured backends plus a few hundred). */
int disp_bset_fits(struct disp_bset *bs, const struct disp_service_conf *sc);

/* Makes the running set bs match sc, the same service in a new config;
 * old is the config it ran before (NULL: none). Backends of sc it lacks
 * are added (UP, the file's weight); present ones sc lacks are removed
 * and drain; weights: the file's weight is applied only where it differs
 * from old's (or old lacks the backend), so a `set weight` the file did
 * not touch stays; admin states stay; the passive-health hold and the
 * scheduler become sc's. Pickers in other threads see each change whole.
 * Returns 0, or -ENOSPC (nothing changed) when bs has no room. */
int disp_bset_apply(struct disp_bset *bs, const struct disp_service_conf *old,
		    const struct disp_service_conf *sc, struct disp_bset_delta *d);

/* Adds one backend at run time (`add backend`, or the state file at
 * start): admin state admin, weight bc->weight (0 means 1), the service's
 * passive hold. The state file records it as added. Returns 0 and *out
 * (may be NULL), -EEXIST when bs already has it, -ENOSPC when bs is full,
 * -EINVAL for a bad weight. In a service with content pools it joins the
 * default pool (bc->pool is not read). */
int disp_bset_add(struct disp_bset *bs, const struct disp_backend_conf *bc,
		  enum disp_be_state admin, struct disp_backend **out);

/* Removes be from bs at run time (`del backend`): it drains, then is no
 * longer listed; the state file records the deletion of a backend the
 * file has. Returns 0, -ENOENT when be is not a present backend of bs, or
 * -EBUSY for the last one (a service keeps at least one). */
int disp_bset_remove(struct disp_bset *bs, struct disp_backend *be);

/* The index in bs of be, which must be one of bs's backends. */
size_t disp_bset_index(const struct disp_bset *bs,
		       const struct disp_backend *be);

/* Picks the backend for a new flow, or returns NULL when no backend is UP.
 * client is the client's address (source-hash uses only the IP, so all
 * connections of one client land on one backend). Does not count the
 * flow: call disp_backend_conn_inc once the flow is committed to the
 * returned backend. */
struct disp_backend *disp_bset_pick(struct disp_bset *bs,
				    const struct disp_addr *client);

/* Content pools (splice mode): subsets of a set's backends, numbered as
 * the config numbers them (0: the backends outside every pool block;
 * i + 1: the config's pools[i]). A service without pools has one pool, 0,
 * of every backend. */

/* Returns the number of pools of bs (1 when the config declares none). */
size_t disp_bset_pools(const struct disp_bset *bs);

/* True when backend i of bs is in pool. */
bool disp_bset_in_pool(const struct disp_bset *bs, unsigned pool, size_t i);

/* As disp_bset_pick, among pool's backends only: the scheduler keeps its
 * shares inside the pool (round-robin walks a schedule of the pool's own).
 * Returns NULL when none of them is UP, or pool does not exist. */
struct disp_backend *disp_bset_pick_pool(struct disp_bset *bs,
					 const struct disp_addr *client,
					 unsigned pool);

/* Returns the backend's address (port set). Owned by the backend. */
const struct disp_addr *disp_backend_addr(const struct disp_backend *be);

/* Returns the weight (1..256): the config's, or the last `set weight`. */
unsigned disp_backend_weight(const struct disp_backend *be);

/* Sets be's weight (1..256; be must belong to bs) and republishes bs's
 * round-robin schedule; pickers in other threads see the new weights from
 * their next pick. Returns 0, -EINVAL, or -ENOMEM (nothing changed). */
int disp_bset_set_weight(struct disp_bset *bs, struct disp_backend *be, unsigned weight);

/* Returns the effective state (see enum disp_be_state). */
enum disp_be_state disp_backend_state(const struct disp_backend *be);

/* True when the backend may receive new flows (state UP). */
bool disp_backend_usable(const struct disp_backend *be);

/* Sets the operator's state (control socket): UP clears an operator DOWN or
 * DRAIN, but a backend whose health check fails stays DOWN. Returns 0 or
 * -EINVAL for an unknown state. */
int disp_backend_set_admin(struct disp_backend *be, enum disp_be_state st);

/* Returns the operator's state (UP when the operator never changed it). */
enum disp_be_state disp_backend_admin(const struct disp_backend *be);

/* Records the health checker's verdict. Returns true when it changed; a
 * change to healthy also ends a passive hold. */
bool disp_backend_set_healthy(struct disp_backend *be, bool healthy);

/* True unless the health checker has marked the backend failed. */
bool disp_backend_healthy(const struct disp_backend *be);

/* Health probe outcome codes beyond positive errno values. */
#define DISP_PROBE_NONE 0          /* no probe finished yet, or the last passed */
#define DISP_PROBE_TIMEOUT (-1)    /* connect or handshake timed out */
#define DISP_PROBE_TLS (-2)        /* TLS handshake failed */

/* Records the last probe's outcome: DISP_PROBE_NONE for a pass, an errno
 * (ECONNREFUSED...) or DISP_PROBE_TIMEOUT/TLS for a failure. */
void disp_backend_set_probe(struct disp_backend *be, int outcome);

/* Returns the last probe outcome (see disp_backend_set_probe). */
int disp_backend_probe(const struct disp_backend *be);

/* Returns a short text for a probe outcome ("ok", "timeout", "TLS
 * handshake failed", or strerror). Static storage. */
const char *disp_probe_name(int outcome);

/* Passive health. The data path calls this when be refused (RST to our
 * SYN) or never answered a real connection at now_ms (disp_now_ms clock):
 * be is DOWN until now_ms plus the service's passive-hold, then UP again so
 * the next new flow retries it. Returns true when it marked be (false when
 * passive health is off for the service). */
bool disp_backend_passive_fail(struct disp_backend *be, uint64_t now_ms);

/* Returns the disp_now_ms time until which be is held DOWN by passive
 * health, or 0 when it is not held. */
uint64_t disp_backend_held_until(const struct disp_backend *be);

/* Returns how many times the data path marked be DOWN. */
uint64_t disp_backend_passive_downs(const struct disp_backend *be);

/* Counts a flow starting / ending on be (active connections, used by wlc
 * and shown by splicectl). Every inc must be matched by one dec. */
void disp_backend_conn_inc(struct disp_backend *be);
void disp_backend_conn_dec(struct disp_backend *be);

/* Returns the number of flows now active on be. */
uint64_t disp_backend_conns(const struct disp_backend *be);

/* Returns the number of flows ever started on be. */
uint64_t disp_backend_total(const struct disp_backend *be);

/* Returns "UP", "DOWN" or "DRAIN". */
const char *disp_be_state_name(enum disp_be_state st);

/* Parses "up", "down", "drain" (any case) into *st. Returns 0 or -EINVAL. */
int disp_be_state_parse(const char *s, enum disp_be_state *st);

#endif
