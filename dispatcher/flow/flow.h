/* Flow (connection) table: the one flow layer that nat mode, splice mode,
 * statistics and health checks share.
 *
 * One table per worker thread, so the fast path takes no lock: a worker
 * only ever touches its own table, and the packet steering (fanout) keeps
 * both directions of a flow on one worker.
 *
 * Every flow is reachable under two keys: the key of the packets arriving
 * from the client (client -> VIP) and the key of the packets coming back
 * (backend -> client, or backend -> source-NAT address). Lookup, insert and
 * remove are O(1): open hashing with chains of indices into a preallocated
 * flow array, a free list, and one LRU list per timeout class so expiry
 * only looks at list heads. Nothing is allocated after
 * disp_flow_table_create.
 *
 * Time is a caller-supplied monotonic count of milliseconds, so the table
 * is deterministic under test and makes no system calls.
 */
#ifndef SPLICEKIT_FLOW_H
#define SPLICEKIT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A 5-tuple. IPv4 addresses live in the first 4 bytes of addr (the rest
 * zero) so one key type covers both families; keys are compared as bytes,
 * so always build them with disp_flow_key_v4/v6. */
struct disp_flow_key {
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t sport; /* host order */
	uint16_t dport; /* host order */
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t proto;  /* IPPROTO_TCP */
	uint8_t pad[2]; /* always zero: keys are hashed and compared as bytes */
};

/* TCP state of a flow as the middlebox sees it (both directions). */
enum disp_flow_state {
	DISP_FLOW_SYN_SENT = 0,  /* client SYN seen */
	DISP_FLOW_SYN_RECV,      /* server SYN-ACK seen */
	DISP_FLOW_ESTABLISHED,   /* client ACK of the SYN-ACK seen */
	DISP_FLOW_FIN_WAIT,      /* FIN seen from one side */
	DISP_FLOW_CLOSING,       /* FIN seen from both sides */
	DISP_FLOW_CLOSED,        /* RST seen, or both FINs acknowledged */
	DISP_FLOW_NSTATES
};

/* Which way a packet travels relative to the flow. */
enum disp_flow_dir {
	DISP_DIR_ORIG = 0,  /* from the client (the side that sent the SYN) */
	DISP_DIR_REPLY = 1, /* from the backend */
};

/* Per-state idle timeouts in milliseconds; 0 takes the default. */
struct disp_flow_timeouts {
	uint32_t ms[DISP_FLOW_NSTATES];
};

/* Per-direction TCP tracking, used to tell retransmissions from new data. */
struct disp_flow_half {
	uint32_t seq_next;   /* highest seq + len seen (valid if seq_valid) */
	uint32_t fin_seq;    /* seq number of the FIN (valid if fin) */
	uint64_t pkts;
	uint64_t bytes;      /* TCP payload bytes */
	bool seq_valid;
	bool fin;
	bool fin_acked;
};

/* One tracked flow. Owned by its table; valid until it is removed or
 * expired, which happens only inside disp_flow_* calls on that table. */
struct disp_flow {
	struct disp_flow_key key[2];      /* indexed by enum disp_flow_dir */
	struct disp_flow_half half[2];
	uint64_t created_ms;
	uint64_t last_ms;
	uint8_t state;                    /* enum disp_flow_state */
	uint8_t closed_reason;            /* enum disp_flow_end */
	uint16_t service;                 /* index of the virtual service */
	uint32_t fp_since;                /* engine: when it went to the kernel
					   * fast path (wall-clock ms, low 32
					   * bits; in what was padding) */
	void *backend;                    /* chosen backend (owned by caller) */
	void *user;                       /* module data, e.g. splice state */
	uint16_t nat_port;                /* source-NAT port the backend sees */
	uint8_t mod_flags;                /* free for the owning module */
	uint8_t tclass;                   /* timeout class (disp_flow_set_class) */
	/* table internals */
	uint32_t next[2];                 /* hash chain per key */
	uint32_t lru_prev, lru_next;
	uint8_t in_use;
	uint8_t hashed;                   /* bit per dir: key is in the hash */
};

/* Why a flow left the table (passed to the removal callback). */
enum disp_flow_end {
	DISP_FLOW_END_NONE = 0,
	DISP_FLOW_END_FIN,      /* orderly close, both FINs acked */
	DISP_FLOW_END_RST,      /* reset by either side */
	DISP_FLOW_END_TIMEOUT,  /* idle longer than its state allows */
	DISP_FLOW_END_REMOVED,  /* removed by the owner (e.g. shutdown) */
};

struct disp_flow_table;

/* Called with a flow just before its slot is freed (expiry or removal), so
 * the owner can release what it holds (backend connection counts). The
 * flow must not be re-inserted from the callback. */
typedef void (*disp_flow_release_fn)(struct disp_flow *f, enum disp_flow_end why,
				     void *arg);

/* Fills *k with an IPv4 5-tuple; addresses are in network byte order as
 * they appear on the wire, ports in host order. */
void disp_flow_key_v4(struct disp_flow_key *k, const uint8_t saddr[4],
		      uint16_t sport, const uint8_t daddr[4], uint16_t dport,
		      uint8_t proto);

/* Fills *k with an IPv6 5-tuple (same conventions as disp_flow_key_v4). */
void disp_flow_key_v6(struct disp_flow_key *k, const uint8_t saddr[16],
		      uint16_t sport, const uint8_t daddr[16], uint16_t dport,
		      uint8_t proto);

/* Returns a 32-bit hash of the key (keyed by seed), for fanout and tests. */
uint32_t disp_flow_key_hash(const struct disp_flow_key *k, uint32_t seed);

/* Creates a table holding at most capacity flows (1 .. 1<<24), with
 * timeouts t (NULL for defaults) and an optional release callback. All
 * memory is allocated here. Returns 0 and *out (caller frees with
 * disp_flow_table_destroy), -EINVAL for a bad capacity, -ENOMEM. */
int disp_flow_table_create(struct disp_flow_table **out, uint32_t capacity,
			   const struct disp_flow_timeouts *t,
			   disp_flow_release_fn release, void *release_arg);

/* Most timeout classes a table can have. */
#define DISP_FLOW_CLASSES_MAX 64

/* As disp_flow_table_create, with nclasses (1..DISP_FLOW_CLASSES_MAX) sets
 * of timeouts t[0..nclasses); a flow starts in class 0 and follows its
 * class's timeouts (nat mode: one class per service). nclasses 0 with t
 * NULL takes the defaults. Returns 0, -EINVAL, -ENOMEM. */
int disp_flow_table_create_classes(struct disp_flow_table **out,
				   uint32_t capacity,
				   const struct disp_flow_timeouts *t,
				   unsigned nclasses, disp_flow_release_fn release,
				   void *release_arg);

/* Moves f to timeout class cls. Returns 0, or -EINVAL for no such class. */
int disp_flow_set_class(struct disp_flow_table *t, struct disp_flow *f,
			unsigned cls);

/* Returns the idle timeout (ms) of class cls in state s, 0 if none. */
uint32_t disp_flow_timeout_class(const struct disp_flow_table *t, unsigned cls,
				 enum disp_flow_state s);

/* Frees the table; calls the release callback (DISP_FLOW_END_REMOVED) for
 * every flow still present. NULL is accepted. */
void disp_flow_table_destroy(struct disp_flow_table *t);

/* Looks a packet's key up in both directions. Returns the flow (owned by
 * the table) and sets *dir, or NULL if no flow has this key. */
struct disp_flow *disp_flow_lookup(struct disp_flow_table *t,
				   const struct disp_flow_key *k,
				   enum disp_flow_dir *dir);

/* Creates a flow in state SYN_SENT under orig (the client's key) and reply
 * (the key of the backend's answers; pass NULL to add it later with
 * disp_flow_set_reply). Returns 0 and *out, -ENOSPC when the table is full
 * (nothing changed; the caller refuses the connection and counts it),
 * -EEXIST if either key is already present. */
int disp_flow_insert(struct disp_flow_table *t, const struct disp_flow_key *orig,
		     const struct disp_flow_key *reply, uint64_t now_ms,
		     struct disp_flow **out);

/* Sets or replaces the reply key of f (splice mode learns it late).
 * Returns 0, or -EEXIST if another flow already owns that key. */
int disp_flow_set_reply(struct disp_flow_table *t, struct disp_flow *f,
			const struct disp_flow_key *reply);

/* Removes f now and calls the release callback with why. */
void disp_flow_remove(struct disp_flow_table *t, struct disp_flow *f,
		      enum disp_flow_end why);

/* Marks f as seen at now_ms in its current state (moves it to the tail of
 * its timeout list). disp_flow_track calls this itself. */
void disp_flow_touch(struct disp_flow_table *t, struct disp_flow *f,
		     uint64_t now_ms);

/* Moves f to state s and refreshes its timeout. */
void disp_flow_set_state(struct disp_flow_table *t, struct disp_flow *f,
			 enum disp_flow_state s, uint64_t now_ms);

/* Asked about a flow about to expire: the last time (ms, the table's
 * clock) its packets were seen somewhere the table cannot see (forwarded
 * by the kernel), or 0. A later time keeps the flow. */
typedef uint64_t (*disp_flow_alive_fn)(struct disp_flow *f, void *arg);

/* Sets (or with NULL clears) the table's alive callback. */
void disp_flow_table_set_alive(struct disp_flow_table *t,
			       disp_flow_alive_fn fn, void *arg);

/* Removes every flow idle longer than its state's timeout, at most max
 * (0 = no limit) per call so one call cannot stall a worker. Returns how
 * many were removed. */
unsigned disp_flow_expire(struct disp_flow_table *t, uint64_t now_ms,
			  unsigned max);

/* Returns the number of flows in the table. */
uint32_t disp_flow_count(const struct disp_flow_table *t);

/* Returns the table's capacity. */
uint32_t disp_flow_capacity(const struct disp_flow_table *t);

/* Returns the idle timeout (ms) that applies in state s (class 0). */
uint32_t disp_flow_timeout(const struct disp_flow_table *t,
			   enum disp_flow_state s);

/* Calls fn for every flow until fn returns non-zero; returns that value
 * or 0. fn must not insert or remove flows. */
int disp_flow_foreach(struct disp_flow_table *t,
		      int (*fn)(const struct disp_flow *f, void *arg), void *arg);

/* Returns a short lowercase name for a state ("established"...). */
const char *disp_flow_state_name(enum disp_flow_state s);

/* Returns the bytes of memory the table uses per tracked flow (flow slot
 * plus its share of the hash buckets). */
size_t disp_flow_bytes_per_flow(const struct disp_flow_table *t);

#endif
