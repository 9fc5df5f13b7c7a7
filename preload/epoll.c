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
