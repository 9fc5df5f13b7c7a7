/* A cluster node's lifecycle and the workers' side of it: records go into
 * the outbound queue and the thread is woken only if it sleeps, so a busy
 * thread costs the workers no system call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cl_int.h"

uint64_t cl_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t cl_wall_ms(void)
{
	return cl_wall_us() / 1000;
}

uint64_t cl_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool copy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n == 0 || n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static void node_free(struct cl_node *n)
{
	if (n->in)
		for (uint32_t i = 0; i < n->consumers; i++)
			cl_ring_free(n->in[i]);
	free(n->in);
	cl_ring_free(n->out);
	cl_tab_free(n->mirror);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	free(n);
}

int cl_start(const struct cl_config *cfg, struct cl_node **out)
{
	struct cl_node *n;
	uint32_t qcap = cfg->queue_cap ? cfg->queue_cap : 4096;
	int rc = -ENOMEM;

	if (cfg->consumers == 0 || cfg->consumers > 64)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->wake_fd = -1;
	n->consumers = cfg->consumers;
	if (!copy(n->redis, sizeof(n->redis), cfg->redis) ||
	    !copy(n->instance, sizeof(n->instance), cfg->instance) ||
	    !copy(n->prefix, sizeof(n->prefix), cfg->prefix ? cfg->prefix : "splicekit") ||
	    (cfg->password && !copy(n->password, sizeof(n->password), cfg->password))) {
		rc = -EINVAL;
		goto fail;
	}
	n->has_password = cfg->password != NULL;
	n->lease_ms = cfg->lease_ms ? cfg->lease_ms : 10000;
	n->retry_ms = cfg->retry_ms ? cfg->retry_ms : 2000;
	n->io_timeout_ms = cfg->io_timeout_ms ? cfg->io_timeout_ms : 500;
	if ((rc = cl_ring_new(qcap, &n->out)) != 0)
		goto fail;
	n->in = calloc(n->consumers, sizeof(*n->in));
	if (!n->in) {
		rc = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < n->consumers; i++)
		if ((rc = cl_ring_new(qcap, &n->in[i])) != 0)
			goto fail;
	rc = cl_tab_new(cfg->mirror_cap ? cfg->mirror_cap : 65536,
			sizeof(struct cl_rec), &n->mirror);
	if (rc)
		goto fail;
	n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->wake_fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = -pthread_create(&n->thread, NULL, cl_thread_main, n);
	if (rc)
		goto fail;
	*out = n;
	return 0;
fail:
	node_free(n);
	return rc;
}

void cl_stop(struct cl_node *n)
{
	uint64_t one = 1;

	if (!n)
		return;
	atomic_store(&n->stop, true);
	if (write(n->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow here; poll's timeout ends the wait anyway. */
	}
	pthread_join(n->thread, NULL);
	node_free(n);
}

static int enqueue(struct cl_node *n, struct cl_rec *r)
{
	uint8_t wire[CL_WIRE_MAX];
	uint64_t one = 1;

	r->origin_len = (uint8_t)strlen(n->instance);
	memcpy(r->origin, n->instance, r->origin_len);
	r->sent_us = cl_wall_us();
	/* Encoding checks every rule the receivers will; fail here, not there. */
	if (cl_rec_encode(r, wire, sizeof(wire)) < 0)
		return -EINVAL;
	if (cl_ring_push(n->out, r)) {
		atomic_fetch_add_explicit(&n->out_full, 1, memory_order_relaxed);
		return -ENOBUFS;
	}
	if (atomic_exchange(&n->sleeping, false) &&
	    write(n->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, the thread will wake. */
	}
	return 0;
}

static int fill(struct cl_rec *r, int type, const void *key, size_t klen,
		const struct cl_cand *c, unsigned nc, uint32_t ttl)
{
	if (klen == 0 || klen > CL_KEY_MAX || nc == 0 || nc > CL_CANDS_MAX)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->type = (uint8_t)type;
	r->key_len = (uint8_t)klen;
	memcpy(r->key, key, klen);
	r->n_cands = (uint8_t)nc;
	memcpy(r->cands, c, nc * sizeof(*c));
	r->ttl_ms = ttl;
	return 0;
}

int cl_session(struct cl_node *n, const void *key, size_t klen,
	       const struct cl_cand *cands, unsigned ncands, uint32_t ttl_ms)
{
	struct cl_rec r;
	int rc = fill(&r, CL_REC_SESSION, key, klen, cands, ncands, ttl_ms);

	return rc ? rc : enqueue(n, &r);
}

int cl_busy(struct cl_node *n, const void *key, size_t klen,
	    const struct cl_cand *backend)
{
	struct cl_rec r;
	int rc = fill(&r, CL_REC_BUSY, key, klen, backend, 1, n->lease_ms);

	return rc ? rc : enqueue(n, &r);
}

int cl_idle(struct cl_node *n, const void *key, size_t klen,
	    const struct cl_cand *backend)
{
	struct cl_rec r;
	int rc = fill(&r, CL_REC_IDLE, key, klen, backend, 1, 0);

	return rc ? rc : enqueue(n, &r);
}

int cl_poll(struct cl_node *n, unsigned consumer, struct cl_rec *rec)
{
	if (consumer >= n->consumers)
		return -EINVAL;
	return cl_ring_pop(n->in[consumer], rec);
}

void cl_get_stats(struct cl_node *n, struct cl_stats *st)
{
	st->connected = atomic_load(&n->connected);
	st->published = atomic_load(&n->published);
	st->received = atomic_load(&n->received);
	st->resynced = atomic_load(&n->resynced);
	st->republished = atomic_load(&n->republished);
	st->bad_records = atomic_load(&n->bad_records);
	st->out_full = atomic_load(&n->out_full);
	st->in_full = atomic_load(&n->in_full);
	st->mirror_full = atomic_load(&n->mirror_full);
	st->redis_errors = atomic_load(&n->redis_errors);
	st->outages = atomic_load(&n->outages);
	st->down_ms = atomic_load(&n->down_ms);
}
