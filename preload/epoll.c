/* Remembers epoll interest in tracked sockets, because a swap replaces the
 * file an epoll registration points to: without re-registration the
 * application would wait forever for events on its connecting socket. */
#include "ws.h"

#include <errno.h>

static void mark_epoll(int epfd)
{
	struct ws_fd *e;
	if (epfd < 0 || !ws_cfg.active || !(e = ws_fd_get(epfd)))
		return;
	ws_lock();
	ws_fd_clear(epfd);
	__atomic_store_n(&e->kind, WS_FD_EPOLL, __ATOMIC_RELEASE);
	ws_unlock();
}

WS_EXPORT int epoll_create1(int flags)
{
	ws_real_init();
	int fd = ws_real.epoll_create1(flags);
	mark_epoll(fd);
	return fd;
}

WS_EXPORT int epoll_create(int size)
{
	ws_real_init();
	if (size <= 0) {
		errno = EINVAL;
		return -1;
	}
	int fd = ws_real.epoll_create1(0);
	mark_epoll(fd);
	return fd;
}

WS_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	ws_real_init();
	int rc = ws_real.epoll_ctl(epfd, op, fd, ev);
	struct ws_fd *e;
	unsigned i;

	if (rc < 0 || !(e = ws_fd_stream(fd)))
		return rc;
	ws_lock();
	for (i = 0; i < e->neps; i++)
		if (e->eps[i].epfd == epfd)
			break;
	if (op == EPOLL_CTL_DEL) {
		if (i < e->neps)
			e->eps[i] = e->eps[--e->neps];
	} else if (ev) {
		if (i == e->neps && e->neps < WS_FD_EPREGS)
			e->neps++;
		if (i < e->neps) {
			e->eps[i].epfd = epfd;
			e->eps[i].ev = *ev;
		} else {
			ws_log(WS_LOG_WARN, "fd %d in more than %d epoll sets; a swap will not "
					    "restore the extra ones", fd, WS_FD_EPREGS);
		}
	}
	/* A dual listener's SCTP half wakes the same epoll entry. */
	if (e->dual_fd)
		ws_real.epoll_ctl(epfd, op, e->dual_fd - 1, ev);
	ws_unlock();
	return rc;
}

/* epoll_wait with connects pending (pending.c): the wait is cut at the
 * earliest SCTP deadline, events of a pending fd are dropped unless SCTP
 * just came up (an event cannot name its fd, so it is matched by the data
 * the fd was registered with), and a fallback restarts the wait for the
 * TCP socket that replaced it. */
static int wait_pending(int epfd, struct epoll_event *ev, int max, int timeout,
			const sigset_t *mask)
{
	int64_t end = timeout < 0 ? -1 : ws_now_ms() + timeout;
	int fds[32];
	uint64_t data[32];

	for (;;) {
		int ms = timeout < 0 ? -1 : (int)(end > ws_now_ms() ? end - ws_now_ms() : 0);
		int dl = ws_pend_wait_ms(), rc, kept = 0;
		unsigned n;
		bool stale[32] = { false };

		if (dl >= 0 && (ms < 0 || dl < ms))
			ms = dl;
		rc = ws_real.epoll_pwait(epfd, ev, max, ms, mask);
		if (rc < 0)
			return rc;
		n = ws_pend_in_epoll(epfd, fds, data, 32);
		for (unsigned i = 0; i < n; i++) {
			enum ws_pend_state st = ws_pend_check(fds[i]);
			stale[i] = st == WS_PEND_WAIT || st == WS_PEND_SWITCHED;
		}
		for (int i = 0; i < rc; i++) {
			bool drop = false;
			for (unsigned j = 0; j < n && !drop; j++)
				drop = stale[j] && ev[i].data.u64 == data[j];
			if (!drop)
				ev[kept++] = ev[i];
		}
		ws_pend_sweep();
		if (kept > 0 || (timeout >= 0 && ws_now_ms() >= end))
			return kept;
	}
}

WS_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	ws_real_init();
	if (!__atomic_load_n(&ws_pend_count, __ATOMIC_RELAXED))
		return ws_real.epoll_pwait(epfd, ev, max, timeout, NULL);
	return wait_pending(epfd, ev, max, timeout, NULL);
}

WS_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
			  const sigset_t *mask)
{
	ws_real_init();
	if (!__atomic_load_n(&ws_pend_count, __ATOMIC_RELAXED))
		return ws_real.epoll_pwait(epfd, ev, max, timeout, mask);
	return wait_pending(epfd, ev, max, timeout, mask);
}
