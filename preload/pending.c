/* Non-blocking connects over SCTP with the fallback to TCP driven from the
 * application's own waiting.
 *
 * A non-blocking connect() returns EINPROGRESS at once; the SCTP attempt
 * then runs in the kernel. Whenever the application waits (poll, ppoll,
 * select, pselect, epoll_wait...) or asks (SO_ERROR, a second connect),
 * the wrappers look at every pending fd without blocking: SCTP up means
 * done; an SCTP error (ABORT, ICMP) or a passed deadline means a TCP
 * socket goes under the same fd and connects, and the wait goes on for
 * it. The waits are cut at the earliest deadline, so a silent peer costs
 * fallback_ms of the application's waiting, never a blocked call. */
#include "ws.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* More connects in flight than this run the synchronous path instead. */
#define PEND_MAX 256

static int pend[PEND_MAX];
static unsigned npend;
int ws_pend_count;

int64_t ws_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int ws_pend_start(int fd, struct ws_fd *e, const struct sockaddr *sa, socklen_t len,
		  unsigned ms)
{
	int err;

	if (len > sizeof(e->pend_dst))
		return -EAFNOSUPPORT;
	ws_lock();
	if (npend == PEND_MAX) {
		ws_unlock();
		return -ENOSPC;
	}
	if (ws_peers_connect(fd, e->domain, sa, len) == 0) {
		ws_unlock();
		return 0;
	}
	err = errno;
	if (err != EINPROGRESS) {
		ws_unlock();
		return -err;
	}
	memcpy(&e->pend_dst, sa, len);
	e->pend_dstlen = len;
	e->pend_err = 0;
	e->pend_deadline = ws_now_ms() + ms;
	e->pending = 1;
	pend[npend++] = fd;
	__atomic_store_n(&ws_pend_count, (int)npend, __ATOMIC_RELEASE);
	ws_unlock();
	return -EINPROGRESS;
}

void ws_pend_forget(int fd, struct ws_fd *e)
{
	if (!e->pending)
		return;
	e->pending = 0;
	for (unsigned i = 0; i < npend; i++)
		if (pend[i] == fd) {
			pend[i] = pend[--npend];
			break;
		}
	__atomic_store_n(&ws_pend_count, (int)npend, __ATOMIC_RELEASE);
}

/* SCTP gave up with err: TCP goes under fd and connects. An immediate
 * failure of that connect is kept for SO_ERROR, since the application
 * already holds EINPROGRESS for this fd. */
static void switch_to_tcp(int fd, struct ws_fd *e, int err)
{
	const struct sockaddr *sa = (const struct sockaddr *)&e->pend_dst;
	int rc = ws_fallback_tcp(fd, e, sa, e->pend_dstlen, err);
	if (rc < 0 && errno != EINPROGRESS)
		e->pend_err = errno;
}

enum ws_pend_state ws_pend_check(int fd)
{
	struct ws_fd *e = ws_fd_stream(fd);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	enum ws_pend_state st = WS_PEND_WAIT;
	int err = 0;
	socklen_t el = sizeof(err);

	if (!e || !__atomic_load_n(&e->pending, __ATOMIC_ACQUIRE))
		return WS_PEND_NONE;
	ws_lock();
	if (!e->pending) {
		ws_unlock();
		return WS_PEND_NONE;
	}
	if (ws_real.poll(&p, 1, 0) > 0) {
		if (ws_real.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		ws_pend_forget(fd, e);
		if (err == 0) {
			ws_log_proto(fd, "connected to", (const struct sockaddr *)&e->pend_dst);
			st = WS_PEND_DONE;
		} else {
			switch_to_tcp(fd, e, err);
			st = WS_PEND_SWITCHED;
		}
	} else if (ws_now_ms() >= e->pend_deadline) {
		ws_pend_forget(fd, e);
		switch_to_tcp(fd, e, ETIMEDOUT);
		st = WS_PEND_SWITCHED;
	}
	ws_unlock();
	return st;
}

void ws_pend_sweep(void)
{
	int fds[PEND_MAX];
	unsigned n;

	if (!__atomic_load_n(&ws_pend_count, __ATOMIC_ACQUIRE))
		return;
	/* A copy: ws_pend_check shrinks the list. */
	ws_lock();
	n = npend;
	memcpy(fds, pend, n * sizeof(fds[0]));
	ws_unlock();
	for (unsigned i = 0; i < n; i++)
		(void)ws_pend_check(fds[i]);
}

int ws_pend_wait_ms(void)
{
	int64_t first = INT64_MAX, now;

	if (!__atomic_load_n(&ws_pend_count, __ATOMIC_ACQUIRE))
		return -1;
	ws_lock();
	for (unsigned i = 0; i < npend; i++) {
		struct ws_fd *e = ws_fd_get(pend[i]);
		if (e && e->pend_deadline < first)
			first = e->pend_deadline;
	}
	ws_unlock();
	if (first == INT64_MAX)
		return -1;
	now = ws_now_ms();
	return first <= now ? 0 : first - now > 3600000 ? 3600000 : (int)(first - now);
}

unsigned ws_pend_in_epoll(int epfd, int *fds, uint64_t *data, unsigned max)
{
	unsigned n = 0;

	ws_lock();
	for (unsigned i = 0; i < npend && n < max; i++) {
		struct ws_fd *e = ws_fd_get(pend[i]);
		for (unsigned j = 0; e && j < e->neps; j++)
			if (e->eps[j].epfd == epfd && n < max) {
				fds[n] = pend[i];
				data[n++] = e->eps[j].ev.data.u64;
			}
	}
	ws_unlock();
	return n;
}
