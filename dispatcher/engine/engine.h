/* The data-plane engine of spliced: the contract between dispatcher/main.c
 * and the packet path. The engine runs the captures, flow tables and
 * senders; the modes it is built with (engine/mode.h; spliced's list is
 * dispatcher/modes.c) decide what each service's packets mean.
 *
 * Life cycle, as main.c drives it:
 *
 *   disp_engine_create(&e, cfg, pool, ...) opens every packet socket (needs
 *                                          CAP_NET_RAW/CAP_NET_ADMIN), sizes
 *                                          the flow tables, starts nothing
 *   ... drop privileges ...
 *   disp_engine_start(e)                   starts the worker threads
 *   disp_engine_stop(e)                    from any thread (signal handler
 *                                          thread included): asks workers to
 *                                          finish; returns at once
 *   disp_engine_join(e)                    waits for the workers
 *   disp_engine_destroy(e)                 closes sockets, frees tables,
 *                                          releases backend connection counts
 *
 * The engine never owns the config or the backend pool; both must
 * outlive it. It reads backend states and calls the scheduler through backend.h
 * for every new flow, so a backend marked DOWN by health checks or by
 * `splicectl backend ... down` gets no new flows from the next SYN on.
 *
 * Statistics and the connection list are read from other threads (the
 * control socket) while workers run: counters are relaxed atomics, and
 * disp_engine_foreach_conn takes a short per-worker lock that the fast path
 * only tries (never waits on) between receive bursts.
 */
#ifndef SPLICEKIT_ENGINE_H
#define SPLICEKIT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine_counters.h"

struct disp_config;   /* conf/config.h */
struct disp_pool;     /* backend/backend.h */
struct disp_mode_ops; /* engine/mode.h */
struct disp_engine;

/* Engine counters since create, summed over workers. */
struct disp_engine_stats {
	DISP_ENGINE_COUNTERS(DISP_COUNTER_FIELD) /* engine_counters.h */
	uint32_t workers;
	uint32_t flow_capacity;  /* sum of per-worker table sizes */
	uint32_t bytes_per_flow; /* memory per tracked flow */
};

/* One connection, as `splicectl show conns` prints it. Addresses are text
 * so the control socket can print them without knowing the family. */
struct disp_conn_info {
	char client[64];     /* "ip:port" or "[ip6]:port" */
	char vip[64];
	char backend[64];
	char snat[64];       /* source address the backend sees; "" if none */
	const char *state;   /* disp_flow_state_name() */
	uint64_t pkts_in, pkts_out;   /* client->backend, backend->client */
	uint64_t bytes_in, bytes_out; /* TCP payload (seen in user space) */
	bool offloaded;               /* forwarded by the kernel fast path */
	uint64_t fp_bytes[2];         /* IP bytes the kernel forwarded: in, out */
	uint64_t age_ms, idle_ms;
	uint32_t service;    /* index of the service in the config */
	uint32_t worker;
};

/* Flow bounds: each service's max-flows is split evenly over the workers
 * (rounded up), and each worker's table holds the sum of its shares, so one
 * service filling up never refuses another's flows. A full share refuses
 * new flows with an RST to the client, counted as refused_full.
 *
 * Builds an engine for every service in cfg over the backend pool (service
 * i of cfg is bset i of pool), with the modes in the NULL-terminated list
 * modes (a service whose mode is not in it: -ENOTSUP): opens the packet
 * sockets on
 * each service's client-side and server-side interfaces and preallocates
 * the flow tables. Returns 0 and *out, or a negative errno (-EPERM without
 * CAP_NET_RAW, -ENODEV for a missing interface, -ENOTSUP for a mode not
 * built yet) with a message naming the service and cause written to
 * err (errlen bytes, may be NULL). The caller owns *out. */
int disp_engine_create(struct disp_engine **out, const struct disp_config *cfg,
		       struct disp_pool *pool,
		       const struct disp_mode_ops *const *modes, char *err,
		       size_t errlen);

/* Starts the worker threads (config `workers`; several only when every
 * service uses `io packet`, whose fanout steers both directions of a flow
 * to one worker; with libpcap one worker). Returns 0 or a negative errno. */
int disp_engine_start(struct disp_engine *e);

/* Asks the workers to stop; safe from any thread, returns at once. */
void disp_engine_stop(struct disp_engine *e);

/* Waits for the workers started by disp_engine_start. Returns 0 or the
 * first worker's negative errno. */
int disp_engine_join(struct disp_engine *e);

/* Frees the engine (stopping and joining it first if needed). NULL is
 * accepted. */
void disp_engine_destroy(struct disp_engine *e);

/* Fills *out with a snapshot of the counters. Thread-safe. */
void disp_engine_stats(struct disp_engine *e, struct disp_engine_stats *out);

/* Fills *out with worker i's counters alone (workers = total count).
 * Returns 0, or -ENOENT when there is no worker i. Thread-safe. */
int disp_engine_worker_stats(struct disp_engine *e, unsigned i,
			     struct disp_engine_stats *out);

/* Calls fn for each tracked connection (at most max, 0 = all) until fn
 * returns non-zero. Thread-safe; returns fn's non-zero value or 0. */
int disp_engine_foreach_conn(struct disp_engine *e, unsigned max,
			     int (*fn)(const struct disp_conn_info *c, void *arg),
			     void *arg);

/* Rebuilds the capture filter from the backend pool (backends present or
 * draining) plus the backends of extra (a config a reload is about to
 * apply; may be NULL), and has every worker install it. Returns once all
 * have, so a backend added afterwards has its replies captured: 0, or a
 * negative errno with the reason in err (the old filter stays where it
 * could not be installed). Call it from one thread at a time. */
int disp_engine_refilter(struct disp_engine *e, const struct disp_config *extra,
			 char *err, size_t errlen);

/* Returns the index of a running worker whose loop has not turned for
 * more than max_ms (stuck: the watchdog should not be fed), or -1 when
 * every worker is alive. Thread-safe. */
int disp_engine_stalled(struct disp_engine *e, uint64_t max_ms);

/* Returns how many services the engine runs (config order). */
size_t disp_engine_nservices(const struct disp_engine *e);

#endif
