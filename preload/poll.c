/* The poll family: poll, ppoll, select, pselect. Two things need them:
 *  - dual listeners: the hidden SCTP listener is waited on beside the
 *    application's TCP one and its readiness reported as the TCP fd's;
 *  - pending connects (pending.c): the wait is cut at the earliest SCTP
 *    deadline, a pending fd's readiness is only reported once it belongs
 *    to the transport that stays, and a fallback restarts the wait.
 * With neither, every call goes straight to libc. select() and pselect()
 * are run as a poll over the same fds (the kernel's own mapping of poll
 * bits to the three sets). */
#include "ws.h"

#include <errno.h>
#include <string.h>
#include <sys/select.h>

#define WIDE_MAX 64

static bool busy(void)
{
	return __atomic_load_n(&ws_dual_count, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&ws_pend_count, __ATOMIC_RELAXED);
}

static struct timespec *ms_ts(int ms, struct timespec *ts)
{
	if (ms < 0)
		return NULL;
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (long)(ms % 1000) * 1000000;
	return ts;
}

/* One wait with dual listeners widened: returns like ppoll. */
static int wait_once(struct pollfd *fds, nfds_t n, int ms, const sigset_t *mask)
{
	struct pollfd wide[2 * WIDE_MAX];
	nfds_t map[WIDE_MAX], extra = 0;
	struct timespec ts;
	int rc;

	if (__atomic_load_n(&ws_dual_count, __ATOMIC_RELAXED) && n <= WIDE_MAX)
		for (nfds_t i = 0; i < n; i++) {
			struct ws_fd *e = ws_fd_stream(fds[i].fd);
			if (e && e->dual_fd && (fds[i].events & POLLIN)) {
				wide[n + extra] =
					(struct pollfd){ .fd = e->dual_fd - 1, .events = POLLIN };
				map[extra++] = i;
			}
		}
	if (!extra)
		return ws_real.ppoll(fds, n, ms_ts(ms, &ts), mask);
	memcpy(wide, fds, n * sizeof(*fds));
	rc = ws_real.ppoll(wide, n + extra, ms_ts(ms, &ts), mask);
	if (rc <= 0)
		return rc;
	for (nfds_t i = 0; i < extra; i++)
		if (wide[n + i].revents & POLLIN)
			wide[map[i]].revents |= POLLIN;
	rc = 0;
	for (nfds_t i = 0; i < n; i++) {
		fds[i].revents = wide[i].revents;
		rc += fds[i].revents != 0;
	}
	return rc;
}

int ws_poll_run(struct pollfd *fds, nfds_t n, int timeout, const sigset_t *mask)
{
	int64_t end = timeout < 0 ? -1 : ws_now_ms() + timeout;

	for (;;) {
		int ms = timeout < 0 ? -1 : (int)(end - ws_now_ms() > 0 ? end - ws_now_ms() : 0);
		int dl = ws_pend_wait_ms(), rc;

		if (dl >= 0 && (ms < 0 || dl < ms))
			ms = dl;
		rc = wait_once(fds, n, ms, mask);
		if (rc < 0 || !__atomic_load_n(&ws_pend_count, __ATOMIC_ACQUIRE))
			return rc;
		/* Readiness of a socket that is being replaced is stale. */
		for (nfds_t i = 0; i < n; i++) {
			enum ws_pend_state st = ws_pend_check(fds[i].fd);
			if (st == WS_PEND_WAIT || st == WS_PEND_SWITCHED)
				fds[i].revents = 0;
		}
		ws_pend_sweep();
		rc = 0;
		for (nfds_t i = 0; i < n; i++)
			rc += fds[i].revents != 0;
		if (rc > 0 || (timeout >= 0 && ws_now_ms() >= end))
			return rc;
	}
}

WS_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	ws_real_init();
	if (!busy())
		return ws_real.poll(fds, n, timeout);
	return ws_poll_run(fds, n, timeout, NULL);
}

static int ts_ms(const struct timespec *ts)
{
	if (!ts)
		return -1;
	if (ts->tv_sec > 86400 * 24)
		return 86400 * 24 * 1000;
	/* Rounded up: a wait must not end before the caller asked. */
	return (int)(ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000);
}

WS_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		    const sigset_t *mask)
{
	ws_real_init();
	if (!busy())
		return ws_real.ppoll(fds, n, ts, mask);
	if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)) {
		errno = EINVAL;
		return -1;
	}
	return ws_poll_run(fds, n, ts_ms(ts), mask);
}

/* select over poll: the sets become pollfds, the results sets again. */
static int select_run(int nfds, fd_set *r, fd_set *w, fd_set *x, int ms, const sigset_t *mask)
{
	struct pollfd p[FD_SETSIZE];
	nfds_t n = 0;
	int rc;

	if (nfds < 0 || nfds > FD_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = (short)((r && FD_ISSET(fd, r) ? POLLIN : 0) |
				   (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
				   (x && FD_ISSET(fd, x) ? POLLPRI : 0));
		if (ev)
			p[n++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	rc = ws_poll_run(p, n, ms, mask);
	if (rc < 0)
		return rc;
	for (nfds_t i = 0; i < n; i++)
		if (p[i].revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
	rc = 0;
	for (nfds_t i = 0; i < n; i++) {
		int fd = p[i].fd;
		short re = p[i].revents;
		if (r && FD_ISSET(fd, r) && !(re & (POLLIN | POLLHUP | POLLERR)))
			FD_CLR(fd, r);
		if (w && FD_ISSET(fd, w) && !(re & (POLLOUT | POLLERR)))
			FD_CLR(fd, w);
		if (x && FD_ISSET(fd, x) && !(re & POLLPRI))
			FD_CLR(fd, x);
		rc += (r && FD_ISSET(fd, r)) + (w && FD_ISSET(fd, w)) + (x && FD_ISSET(fd, x));
	}
	return rc;
}

WS_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	ws_real_init();
	int64_t t0;
	int rc, ms;

	if (!busy())
		return ws_real.select(nfds, r, w, x, tv);
	if (tv && (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)) {
		errno = EINVAL;
		return -1;
	}
	ms = tv ? (tv->tv_sec > 86400 * 24 ? 86400 * 24 * 1000
					   : (int)(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000))
		: -1;
	t0 = ws_now_ms();
	rc = select_run(nfds, r, w, x, ms, NULL);
	/* Linux select() leaves the time not slept in *tv. */
	if (tv && ms >= 0) {
		int64_t left = ms - (ws_now_ms() - t0);
		if (left < 0)
			left = 0;
		tv->tv_sec = left / 1000;
		tv->tv_usec = (left % 1000) * 1000;
	}
	return rc;
}

WS_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts,
		      const sigset_t *mask)
{
	ws_real_init();
	if (!busy())
		return ws_real.pselect(nfds, r, w, x, ts, mask);
	if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)) {
		errno = EINVAL;
		return -1;
	}
	return select_run(nfds, r, w, x, ts_ms(ts), mask);
}
