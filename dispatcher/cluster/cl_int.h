/* Internals shared by the node's files: the worker API (cl_node.c) and the
 * Redis thread (cl_redis.c). */
#ifndef CL_INT_H
#define CL_INT_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>

#include "cluster/cl_ring.h"
#include "cluster/cl_tab.h"
#include "cluster/cluster.h"

#define CL_PREFIX_MAX 64

struct cl_node {
	/* Set at start, read-only after. */
	char redis[256];
	char password[256];
	bool has_password;
	char instance[CL_ORIGIN_MAX + 1];
	char prefix[CL_PREFIX_MAX + 1];
	uint32_t consumers, lease_ms, retry_ms, io_timeout_ms;
	struct cl_ring *out;       /* workers -> thread */
	struct cl_ring **in;       /* thread -> worker i */
	int wake_fd;               /* eventfd: records waiting in out */
	atomic_bool sleeping;      /* the thread is (about to be) in poll */
	atomic_bool stop;
	pthread_t thread;

	/* The thread's own. */
	redisContext *cmd, *sub;
	unsigned pending;          /* replies owed on cmd */
	bool up;
	uint64_t down_since, next_try, backoff, next_renew;
	struct cl_tab *mirror;     /* this instance's live records */
	char dial_err[128];        /* why the last connect failed */

	/* Counters: written by the thread (out_full by workers), read by anyone. */
	_Atomic uint64_t published, received, resynced, republished, bad_records,
		out_full, in_full, mirror_full, redis_errors, outages, down_ms;
	atomic_bool connected;
};

/* The thread's body (cl_redis.c). */
void *cl_thread_main(void *arg);

/* Monotonic milliseconds (timers inside the thread). */
uint64_t cl_mono_ms(void);

#endif
