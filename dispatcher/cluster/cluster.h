/* Several spliced instances behind one VIP share what they learn through
 * Redis: TLS sessions (routing key -> backends that hold it, with the
 * session lifetime as the Redis TTL) and BUSY leases (an instance has a
 * connection on a session's backend; the lease expires by itself if the
 * instance dies, so BUSY never leaks).
 *
 * Redis is never on the packet path. A node owns one thread that talks to
 * Redis; workers hand it records through a lock-free bounded queue
 * (cl_session/cl_busy/cl_idle never block) and drain the other instances'
 * records from a queue of their own (cl_poll). The channel is pub/sub (the
 * lowest propagation latency measured; see README.md in this folder); the
 * keys with TTLs are there for instances that (re)connect: they SCAN them.
 *
 * When Redis is unreachable the node counts and logs it, keeps what this
 * instance publishes in a bounded table of its own, retries with back-off,
 * and when Redis is back, re-subscribes, reads every live key and
 * republishes its own live records (Redis may have restarted empty).
 */
#ifndef CL_CLUSTER_H
#define CL_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/cl_rec.h"

struct cl_node;

struct cl_config {
	const char *redis;        /* "unix:/path" or "HOST:PORT" ("[V6]:PORT") */
	const char *password;     /* NULL: no AUTH */
	const char *instance;     /* this instance's name, 1..CL_ORIGIN_MAX bytes */
	const char *prefix;       /* key and channel prefix; NULL: "splicekit" */
	uint32_t consumers;       /* inbound queues (one per worker), 1..64 */
	uint32_t queue_cap;       /* records per queue, power of 2; 0: 4096 */
	uint32_t mirror_cap;      /* own live records kept; 0: 65536 */
	uint32_t lease_ms;        /* BUSY lease length; 0: 10000 */
	uint32_t retry_ms;        /* reconnect back-off cap; 0: 2000 */
	uint32_t io_timeout_ms;   /* limit on one Redis exchange; 0: 500 */
};

struct cl_stats {
	bool connected;
	uint64_t published;      /* records sent to Redis */
	uint64_t received;       /* other instances' records queued to workers */
	uint64_t resynced;       /* of which read back from keys at (re)connect */
	uint64_t republished;    /* own records sent again after a reconnect */
	uint64_t bad_records;    /* undecodable messages or keys (ignored) */
	uint64_t out_full;       /* records refused: worker->thread queue full */
	uint64_t in_full;        /* records dropped: a worker's queue full */
	uint64_t mirror_full;    /* own records not kept: mirror table full */
	uint64_t redis_errors;   /* failed connects and exchanges */
	uint64_t outages;        /* times Redis went from reachable to not */
	uint64_t down_ms;        /* total time without Redis */
};

/* Checks cfg, allocates everything and starts the thread (which connects
 * in the background: an unreachable Redis is not an error here). Returns 0
 * and *out (stop with cl_stop), -EINVAL naming nothing (cfg is checked by
 * the config parser, which names the problem), -ENOMEM, or a thread error. */
int cl_start(const struct cl_config *cfg, struct cl_node **out);

/* Stops the thread and frees the node. Leases this instance holds are left
 * to expire. NULL is allowed. */
void cl_stop(struct cl_node *n);

/* Worker side. None of these block, allocate or touch the network; each
 * returns 0, -EINVAL (bad key, candidate count, family or port) or
 * -ENOBUFS (the queue to the thread is full: counted in out_full). */

/* Publishes that key's session is held by the n backends in cands, and
 * lives ttl_ms. */
int cl_session(struct cl_node *n, const void *key, size_t klen,
	       const struct cl_cand *cands, unsigned ncands, uint32_t ttl_ms);

/* This instance now has (cl_busy) or no longer has (cl_idle) a connection
 * using key on backend. The thread renews the lease while it is held. */
int cl_busy(struct cl_node *n, const void *key, size_t klen,
	    const struct cl_cand *backend);
int cl_idle(struct cl_node *n, const void *key, size_t klen,
	    const struct cl_cand *backend);

/* Takes the oldest record from another instance for worker consumer.
 * Returns 0, or -EAGAIN when there is none. */
int cl_poll(struct cl_node *n, unsigned consumer, struct cl_rec *rec);

/* Copies the counters (any thread). */
void cl_get_stats(struct cl_node *n, struct cl_stats *st);

/* Wall-clock milliseconds, the time base of leases, and microseconds, that
 * of a record's sent_us (so a receiver on a host with the same clock can
 * time the propagation). */
uint64_t cl_wall_ms(void);
uint64_t cl_wall_us(void);

#endif
