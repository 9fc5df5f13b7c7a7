/* Splice mode, TLS session routing: which backend a spliced connection
 * goes to, and what the server's first bytes teach.
 *
 * One router per splice service, shared by every worker of the engine
 * (a resumption may land on any worker). It owns the service's server
 * mapping table (maptable.h) and its routing-key configuration (tls.h),
 * and serialises them with one mutex held for O(1) work per call, so the
 * control socket (`show table`, `flush`) may call it from its own thread.
 *
 * A connection's life, as the engine drives it:
 *
 *   sroute_pick(r, hello, client, hash, now, tried, pool, &p)  hello (or
 *                       NULL: not TLS / gave up waiting). Chooses: a
 *                       configured prefix (ticket key_name, session-ID
 *                       prefix) -> that backend; else a mapping-table hit
 *                       (not BUSY, oldest timestamp, load guard) -> marks
 *                       the candidate BUSY; else the service's scheduler.
 *                       Backends set in tried[] (refused earlier) are
 *                       skipped.
 *   sroute_server(r, &p, srv, now)   each time the server-stream parser
 *                       learns something (and once at its end): counts a
 *                       resumption or a full handshake, learns the TLS
 *                       <= 1.2 session ID and a TLS 1.2 ticket for
 *                       p.backend, and marks that key BUSY for this
 *                       connection (so release frees it).
 *   sroute_release(r, &p, now)       the connection ended (or the backend
 *                       refused it): every BUSY mark it holds turns IDLE,
 *                       stamped now. Idempotent.
 *
 * Table keys are the routing key bytes behind one kind byte, so kinds
 * never collide: 's' + session ID (<= 32 bytes), 't' + the first 47 bytes
 * of a TLS 1.2 ticket (key_name and IV: unique per ticket, and what the
 * client sends back).
 */
#ifndef SPLICEKIT_SPLICE_ROUTE_H
#define SPLICEKIT_SPLICE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maptable/maptable.h"
#include "splice/route/splice_route_counters.h"
#include "splicekit/tls.h"

struct disp_addr;
struct disp_backend;
struct disp_bset;
struct disp_ctl_out;
struct disp_service_conf;
struct sroute;

/* How a connection's backend was chosen. */
enum sroute_how {
	SROUTE_SCHED = 0,  /* the scheduler (no key, miss, or refused) */
	SROUTE_PREFIX,     /* a configured ticket / session-ID prefix */
	SROUTE_TABLE,      /* a mapping-table candidate */
};

/* Most keys one connection may hold BUSY (offered + learned). */
#define SROUTE_HELD_MAX 3

struct sroute_held {
	uint8_t len;                 /* 0: unused slot */
	uint8_t key[MT_MAX_KEY];
};

/* One connection's routing state; the engine keeps it with the flow. */
struct sroute_pick {
	struct disp_backend *be;     /* NULL until picked */
	uint16_t backend;            /* index of be in the service's bset */
	uint8_t how;                 /* enum sroute_how */
	uint8_t offered;             /* the hello offered a session: 1 */
	bool counted;                /* resumption/full already counted */
	uint8_t sid_len;             /* TLS <= 1.2 session ID offered */
	uint8_t sid[32];
	struct sroute_held held[SROUTE_HELD_MAX]; /* BUSY marks to release */
};

/* Counters since create (relaxed atomics inside; a snapshot here). */
struct sroute_stats {
#define SROUTE_FIELD(name, doc) uint64_t name;
	SROUTE_COUNTERS(SROUTE_FIELD) /* splice_route_counters.h */
#undef SROUTE_FIELD
	struct mt_stats table;
};

/* Per-backend counts (for `show stats`). */
struct sroute_be_stats {
	uint64_t full;               /* full handshakes on this backend */
	uint64_t resumed;            /* resumptions on this backend */
};

/* Builds the router of splice service sc over its backend set bs: reads
 * every backend's ticket key file prefix and session-ID prefix from sc,
 * sizes the mapping table (session_table_size, session_lifetime_s,
 * load_guard_*). Returns 0 and *out, or -errno with a message naming the
 * service in err. */
int sroute_create(struct sroute **out, const struct disp_service_conf *sc,
		  struct disp_bset *bs, char *err, size_t errlen);

/* Frees r (NULL is a no-op). */
void sroute_destroy(struct sroute *r);

/* Chooses the backend for a connection whose ClientHello is ch (NULL: not
 * TLS, malformed, or the hello timed out), among the backends of content
 * pool (backend.h's pool numbers; 0 for a service without pools): the
 * prefixes, the mapping table, the load guard's mean and the scheduler
 * all stay inside it. tried[i] true skips backend i (a retry after a
 * refusal; may be NULL). Fills *p (zeroed first) and returns 0, or
 * -EHOSTUNREACH when no usable backend of the pool is left. */
int sroute_pick(struct sroute *r, const struct tls_client_hello *ch,
		const struct disp_addr *client, uint32_t flow_hash,
		uint64_t now_ms, const bool *tried, unsigned pool,
		struct sroute_pick *p);

/* For a service with `scheduler lard`: chooses the backend for an HTTP
 * request for path[0..len) among pool's usable, untried backends by
 * LARD/R (lard.h; loads are their active connections), shared by every
 * worker. Fills *p (zeroed first) and returns 0, -EHOSTUNREACH when no
 * backend of the pool is usable, or -ENOENT when the service does not use
 * LARD (then call sroute_pick). */
int sroute_pick_path(struct sroute *r, const char *path, size_t len,
		     uint64_t now_ms, const bool *tried, unsigned pool,
		     struct sroute_pick *p);

/* Feeds what the server stream of p's connection has shown so far. */
void sroute_server(struct sroute *r, struct sroute_pick *p,
		   const struct tls_server_stream *s, uint64_t now_ms);

/* Releases p's BUSY marks (IDLE, stamped now_ms). Idempotent. */
void sroute_release(struct sroute *r, struct sroute_pick *p, uint64_t now_ms);

/* Removes table entries not touched for older_than_ms (0: all). Returns
 * the number removed. */
uint32_t sroute_flush(struct sroute *r, uint64_t older_than_ms,
		      uint64_t now_ms);

/* Expires entries past the session lifetime, at most budget per call. */
uint32_t sroute_expire(struct sroute *r, uint64_t now_ms, uint32_t budget);

/* Writes the mapping table (mt_show.h's columns) into a reply. */
int sroute_show(struct sroute *r, struct disp_ctl_out *o, bool json,
		uint64_t now_ms);

/* Counts a connection sent to content pool (once per connection, when
 * its pool is chosen). */
void sroute_pool_chosen(struct sroute *r, unsigned pool);

/* Copies up to n per-pool connection counts into conns (pool numbers as
 * backend.h's). Returns the number of pools (1 without pools). */
size_t sroute_pool_stats(struct sroute *r, uint64_t *conns, size_t n);

/* Snapshots the counters; be (may be NULL) gets n per-backend entries. */
void sroute_get_stats(struct sroute *r, struct sroute_stats *st,
		      struct sroute_be_stats *be, size_t n);

#endif
