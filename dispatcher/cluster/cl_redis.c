/* The cluster node's Redis thread: the only code that talks to Redis.
 *
 * Two connections: cmd (SET/DEL/PUBLISH pipelined, SCAN/GET at resync;
 * blocking with a timeout, so a hung Redis stalls this thread for at most
 * io_timeout_ms and never a worker) and sub (SUBSCRIBE, read only when
 * poll() says it is readable). Keys:
 *
 *   PREFIX:s:<hex key>:<instance>              a session, PX = lifetime
 *   PREFIX:b:<hex key>:<hex backend>:<instance> a BUSY lease, PX = lease
 *   PREFIX:ev                                   the pub/sub channel
 *
 * One key per instance, so two instances learning the same session on
 * different backends do not overwrite each other.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cl_int.h"
#include "util/log.h"

#define HEXKEY_MAX (2 * (CL_KEY_MAX + CL_CAND_KEY))

static void add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The Redis key of a record (session or lease). */
static void rec_key(const struct cl_node *n, const struct cl_rec *r, char *out,
		    size_t cap)
{
	char k[HEXKEY_MAX + 1], b[2 * CL_CAND_KEY + 1];
	uint8_t raw[CL_CAND_KEY];

	hex(k, r->key, r->key_len);
	if (r->type == CL_REC_SESSION) {
		snprintf(out, cap, "%s:s:%s:%s", n->prefix, k, n->instance);
		return;
	}
	cl_cand_key(&r->cands[0], raw);
	hex(b, raw, sizeof(raw));
	snprintf(out, cap, "%s:b:%s:%s:%s", n->prefix, k, b, n->instance);
}

/* The mirror's key: a record class byte and the Redis key's tail. */
static size_t mirror_key(const struct cl_rec *r, uint8_t *out)
{
	size_t len = 0;

	out[len++] = r->type == CL_REC_SESSION ? 's' : 'b';
	memcpy(out + len, r->key, r->key_len);
	len += r->key_len;
	if (r->type != CL_REC_SESSION) {
		cl_cand_key(&r->cands[0], out + len);
		len += CL_CAND_KEY;
	}
	return len;
}

/* Drops both connections and schedules a retry. The first failure of a
 * down period (Redis lost, or not reachable at start) is logged and
 * counted once; retries back off up to retry_ms. */
static void go_down(struct cl_node *n, const char *why)
{
	const char *err = n->cmd && n->cmd->err ? n->cmd->errstr :
			  n->sub && n->sub->err ? n->sub->errstr : n->dial_err;

	add(&n->redis_errors, 1);
	if (!n->down_since) {
		disp_log(LOG_WARNING, "cluster: redis %s unreachable (%s%s%s); serving from local tables",
			 n->redis, why, *err ? ": " : "", err);
		add(&n->outages, 1);
		n->down_since = cl_mono_ms();
		n->backoff = 100;
	} else {
		n->backoff = n->backoff ? n->backoff * 2 : 100;
		if (n->backoff > n->retry_ms)
			n->backoff = n->retry_ms;
	}
	if (n->cmd)
		redisFree(n->cmd);
	if (n->sub)
		redisFree(n->sub);
	n->cmd = n->sub = NULL;
	n->pending = 0;
	n->up = false;
	atomic_store(&n->connected, false);
	n->next_try = cl_mono_ms() + n->backoff;
}

/* Appends the commands that store and announce r on cmd. */
static void send_rec(struct cl_node *n, const struct cl_rec *r)
{
	uint8_t wire[CL_WIRE_MAX];
	char key[CL_PREFIX_MAX + 2 * HEXKEY_MAX + CL_ORIGIN_MAX + 16];
	int len = cl_rec_encode(r, wire, sizeof(wire));

	if (len < 0 || !n->up)
		return;
	rec_key(n, r, key, sizeof(key));
	if (r->type == CL_REC_IDLE)
		redisAppendCommand(n->cmd, "DEL %s", key);
	else
		redisAppendCommand(n->cmd, "SET %s %b PX %u", key, wire, (size_t)len,
				   r->ttl_ms ? r->ttl_ms : 1);
	redisAppendCommand(n->cmd, "PUBLISH %s:ev %b", n->prefix, wire, (size_t)len);
	n->pending += 2;
	add(&n->published, 1);
}

/* Reads the replies owed on cmd; false (and down) on a failed exchange. */
static bool flush(struct cl_node *n)
{
	while (n->up && n->pending) {
		redisReply *r;

		if (redisGetReply(n->cmd, (void **)&r) != REDIS_OK) {
			go_down(n, "reply");
			return false;
		}
		n->pending--;
		if (r->type == REDIS_REPLY_ERROR) {
			disp_log(LOG_WARNING, "cluster: redis refused a write: %s", r->str);
			add(&n->redis_errors, 1);
		}
		freeReplyObject(r);
	}
	return n->up;
}

/* Hands another instance's record to every worker. */
static void deliver(struct cl_node *n, const void *buf, size_t len, bool resync)
{
	struct cl_rec r;
	const char *why;

	if (cl_rec_decode(buf, len, &r, &why)) {
		if (atomic_fetch_add(&n->bad_records, 1) < 10)
			disp_log(LOG_WARNING, "cluster: ignoring a bad record (%s)", why);
		return;
	}
	if (r.origin_len == strlen(n->instance) &&
	    memcmp(r.origin, n->instance, r.origin_len) == 0)
		return;  /* our own, echoed by the channel or read back */
	for (uint32_t i = 0; i < n->consumers; i++)
		if (cl_ring_push(n->in[i], &r))
			add(&n->in_full, 1);
	add(&n->received, 1);
	if (resync)
		add(&n->resynced, 1);
}

static redisContext *dial(struct cl_node *n)
{
	struct timeval tv = {n->io_timeout_ms / 1000, (n->io_timeout_ms % 1000) * 1000};
	redisContext *c;

	if (strncmp(n->redis, "unix:", 5) == 0) {
		c = redisConnectUnixWithTimeout(n->redis + 5, tv);
	} else {
		char host[256];
		const char *colon = strrchr(n->redis, ':');
		size_t hl = colon ? (size_t)(colon - n->redis) : 0;
		const char *h = n->redis;

		if (!colon || hl >= sizeof(host)) {
			snprintf(n->dial_err, sizeof(n->dial_err), "want HOST:PORT");
			return NULL;
		}
		if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']')
			h++, hl -= 2;
		memcpy(host, h, hl);
		host[hl] = '\0';
		c = redisConnectWithTimeout(host, atoi(colon + 1), tv);
	}
	if (!c) {
		snprintf(n->dial_err, sizeof(n->dial_err), "out of memory");
		return NULL;
	}
	if (c->err || redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(n->dial_err, sizeof(n->dial_err), "%s", c->errstr);
		redisFree(c);
		return NULL;
	}
	if (n->has_password) {
		redisReply *r = redisCommand(c, "AUTH %s", n->password);
		bool ok = r && r->type == REDIS_REPLY_STATUS;

		/* Said once per outage by go_down, not at every retry. */
		if (!ok)
			snprintf(n->dial_err, sizeof(n->dial_err), "AUTH refused: %s",
				 r && r->type == REDIS_REPLY_ERROR ? r->str : "no reply");
		freeReplyObject(r);
		if (!ok)
			redisFree(c);
		return ok ? c : NULL;
	}
	return c;
}

struct resend {
	struct cl_node *n;
	uint64_t now;
	bool sessions;  /* false: held leases only (a renewal) */
};

/* Sends a mirrored record again: sessions keep their expiry, a held lease
 * starts a fresh one. */
static void resend(const uint8_t *k, size_t kl, void *val, uint64_t *exp, void *arg)
{
	struct resend *a = arg;
	struct cl_rec r = *(struct cl_rec *)val;

	(void)k, (void)kl;
	if (r.type == CL_REC_SESSION && !a->sessions)
		return;
	r.ttl_ms = r.type == CL_REC_BUSY ? a->n->lease_ms : (uint32_t)(*exp - a->now);
	r.sent_us = a->now * 1000;
	send_rec(a->n, &r);
	if (a->sessions)
		add(&a->n->republished, 1);
}

/* Reads every live key of the other instances, then republishes ours:
 * after a Redis restart the keys are gone and the others missed ours. */
static bool resync(struct cl_node *n)
{
	char cursor[32] = "0";

	do {
		redisReply *r = redisCommand(n->cmd, "SCAN %s MATCH %s:[sb]:* COUNT 1000",
					     cursor, n->prefix);

		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			return false;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		redisReply *keys = r->element[1];
		for (size_t i = 0; i < keys->elements; i++)
			redisAppendCommand(n->cmd, "GET %b", keys->element[i]->str,
					   (size_t)keys->element[i]->len);
		for (size_t i = 0; i < keys->elements; i++) {
			redisReply *v;

			if (redisGetReply(n->cmd, (void **)&v) != REDIS_OK) {
				freeReplyObject(r);
				return false;
			}
			if (v->type == REDIS_REPLY_STRING)
				deliver(n, v->str, (size_t)v->len, true);
			freeReplyObject(v);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);

	struct resend a = {n, cl_wall_ms(), true};
	cl_tab_sweep(n->mirror, a.now, resend, &a);
	return flush(n);
}

/* Connects both contexts, subscribes (before the SCAN, so nothing
 * published meanwhile is missed) and resynchronises. */
static void try_up(struct cl_node *n)
{
	uint64_t t0 = cl_mono_ms();
	redisReply *r;

	n->dial_err[0] = '\0';
	n->cmd = dial(n);
	n->sub = n->cmd ? dial(n) : NULL;
	if (!n->sub) {
		go_down(n, "connect");
		return;
	}
	r = redisCommand(n->sub, "SUBSCRIBE %s:ev", n->prefix);
	bool ok = r && r->type == REDIS_REPLY_ARRAY;
	freeReplyObject(r);
	if (!ok) {
		go_down(n, "subscribe");
		return;
	}
	n->up = true;
	uint64_t before = atomic_load(&n->resynced), rep = atomic_load(&n->republished);
	if (!resync(n)) {
		go_down(n, "resync");
		return;
	}
	atomic_store(&n->connected, true);
	n->next_renew = cl_mono_ms() + n->lease_ms / 3;
	if (n->down_since) {
		uint64_t down = t0 - n->down_since;

		add(&n->down_ms, down);
		disp_log(LOG_NOTICE, "cluster: redis %s back after %llu ms; %llu records read, %llu republished",
			 n->redis, (unsigned long long)down,
			 (unsigned long long)(atomic_load(&n->resynced) - before),
			 (unsigned long long)(atomic_load(&n->republished) - rep));
	} else {
		disp_log(LOG_INFO, "cluster: instance %s joined through redis %s",
			 n->instance, n->redis);
	}
	n->down_since = 0;
	n->backoff = 0;
}

/* Moves the workers' records into the mirror and, when up, to Redis. */
static void drain_out(struct cl_node *n)
{
	struct cl_rec r;
	uint8_t k[CL_TAB_KEY_MAX];
	uint64_t now = cl_wall_ms();

	while (cl_ring_pop(n->out, &r) == 0) {
		size_t kl = mirror_key(&r, k);

		if (r.type == CL_REC_IDLE) {
			cl_tab_del(n->mirror, k, kl);
		} else {
			/* A held lease lives until IDLE: the thread renews it. */
			uint64_t exp = r.type == CL_REC_BUSY ? UINT64_MAX : now + r.ttl_ms;
			struct cl_rec *m = cl_tab_put(n->mirror, k, kl, exp, now);

			if (m)
				*m = r;
			else
				add(&n->mirror_full, 1);
		}
		send_rec(n, &r);
	}
}

/* Delivers the messages the subscription has for us: those hiredis
 * already buffered (poll cannot see them), and with from_socket what the
 * socket holds too. */
static void read_sub(struct cl_node *n, bool from_socket)
{
	redisReply *r;

	if (from_socket && redisBufferRead(n->sub) != REDIS_OK) {
		go_down(n, "subscription");
		return;
	}
	for (;;) {
		if (redisGetReplyFromReader(n->sub, (void **)&r) != REDIS_OK) {
			go_down(n, "subscription");
			return;
		}
		if (!r)
			return;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[0]->str, "message") == 0 &&
		    r->element[2]->type == REDIS_REPLY_STRING)
			deliver(n, r->element[2]->str, (size_t)r->element[2]->len, false);
		freeReplyObject(r);
	}
}

void *cl_thread_main(void *arg)
{
	struct cl_node *n = arg;

	while (!atomic_load(&n->stop)) {
		uint64_t now = cl_mono_ms();
		int timeout = 100;

		if (!n->up && now >= n->next_try)
			try_up(n);
		drain_out(n);
		if (n->up && now >= n->next_renew) {
			struct resend a = {n, cl_wall_ms(), false};

			cl_tab_sweep(n->mirror, a.now, resend, &a);
			n->next_renew = now + n->lease_ms / 3;
		}
		flush(n);
		if (n->up)
			read_sub(n, false);

		struct pollfd p[2] = {{n->wake_fd, POLLIN, 0}, {-1, POLLIN, 0}};
		if (n->up) {
			p[1].fd = n->sub->fd;
			if (n->next_renew - now < (uint64_t)timeout)
				timeout = (int)(n->next_renew - now);
		} else if (n->next_try > now && n->next_try - now < (uint64_t)timeout) {
			timeout = (int)(n->next_try - now);
		}
		/* Say we sleep, then look once more: a worker that pushed
		 * before seeing the flag has its record drained here. */
		atomic_store(&n->sleeping, true);
		drain_out(n);
		flush(n);
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			disp_log(LOG_ERR, "cluster: poll: %s", strerror(errno));
		atomic_store(&n->sleeping, false);
		if (p[0].revents & POLLIN) {
			uint64_t v;

			if (read(n->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another wake-up consumed it. */
			}
		}
		if (n->up && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			read_sub(n, true);
	}
	if (n->cmd)
		redisFree(n->cmd);
	if (n->sub)
		redisFree(n->sub);
	return NULL;
}
