/* Dual listening: a server's listening fd stays TCP and a hidden SCTP
 * listener on the same address and port sits beside it (SCTP and TCP port
 * spaces are separate). accept() on the application's fd returns whichever
 * has a connection, alternating so neither starves; epoll registrations are
 * mirrored onto the hidden fd with the same data, and the poll/select
 * family is widened (poll.c). */
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>

int ws_dual_count;

int ws_dual_open(int fd, struct ws_fd *e, const struct sockaddr *local, socklen_t llen,
		 int backlog)
{
	int fdfl = ws_real.fcntl(fd, F_GETFD), s, err;
	char a[64];

	/* Non-blocking always: accept() on it must never block the caller
	 * that is really waiting on both. */
	s = ws_real.socket(e->domain,
			   SOCK_STREAM | SOCK_NONBLOCK | ((fdfl & FD_CLOEXEC) ? SOCK_CLOEXEC : 0),
			   IPPROTO_SCTP);
	if (s < 0)
		return -errno;
	e->transport = WS_SCTP;
	for (unsigned i = 0; i < e->nopts; i++)
		(void)ws_apply_opt(s, e, e->opts[i].level, e->opts[i].name, e->opts[i].val,
				   e->opts[i].len, true);
	e->transport = WS_TCP;
	e->corked = 0;
	ws_sctp_tune(s);
	ws_eof_advertise(s);
	if (ws_real.bind(s, local, llen) < 0 || ws_real.listen(s, backlog) < 0) {
		err = errno;
		ws_real.close(s);
		return -err;
	}
	ws_multihome_bind(s, e->domain);
	for (unsigned i = 0; i < e->neps; i++) {
		struct epoll_event ev = e->eps[i].ev;
		ws_real.epoll_ctl(e->eps[i].epfd, EPOLL_CTL_ADD, s, &ev);
	}
	e->dual_fd = s + 1;
	__atomic_add_fetch(&ws_dual_count, 1, __ATOMIC_RELAXED);
	ws_log(WS_LOG_INFO, "fd %d listening on %s over tcp and sctp (dual, sctp fd %d)", fd,
	       ws_sa_str(local, a, sizeof(a)), s);
	return 0;
}

void ws_dual_close(struct ws_fd *e)
{
	ws_real.close(e->dual_fd - 1);
	e->dual_fd = 0;
	__atomic_sub_fetch(&ws_dual_count, 1, __ATOMIC_RELAXED);
}

/* Accepts from one listener; SCTP connections get an fd table entry. */
static int take(int from, bool sctp, struct sockaddr *sa, socklen_t *len, int flags)
{
	int fd = ws_real.accept4(from, sa, len, flags);
	struct ws_fd *n;

	if (fd < 0 || !(n = ws_fd_get(fd)))
		return fd;
	ws_lock();
	ws_fd_clear(fd);
	if (sctp) {
		memset(n, 0, sizeof(*n));
		n->domain = ws_fd_stream(from) ? ws_fd_stream(from)->domain : AF_INET;
		n->transport = WS_SCTP;
		n->shutwr = ws_cfg.policy.shutwr;
		n->decided = 1;
		ws_fd_measure(fd, n);
		__atomic_store_n(&n->kind, WS_FD_STREAM, __ATOMIC_RELEASE);
	}
	ws_unlock();
	return fd;
}

int ws_dual_accept(int lfd, struct ws_fd *e, struct sockaddr *sa, socklen_t *len, int flags)
{
	int sfd = e->dual_fd - 1;
	int fl = ws_real.fcntl(lfd, F_GETFL);

	for (;;) {
		bool sctp_first = __atomic_fetch_xor(&e->dual_turn, 1, __ATOMIC_RELAXED);
		int order[2] = { sctp_first ? sfd : lfd, sctp_first ? lfd : sfd };
		int fd = -1, err = EAGAIN;

		if (fl >= 0 && !(fl & O_NONBLOCK)) {
			struct pollfd p[2] = { { .fd = lfd, .events = POLLIN },
					       { .fd = sfd, .events = POLLIN } };
			if (ws_real.poll(p, 2, -1) < 0)
				return -1;
		}
		for (int i = 0; i < 2; i++) {
			/* The application's TCP fd may be blocking: only try
			 * it when poll says it is ready or it cannot block. */
			if (order[i] == lfd && fl >= 0 && !(fl & O_NONBLOCK)) {
				struct pollfd p = { .fd = lfd, .events = POLLIN };
				if (ws_real.poll(&p, 1, 0) <= 0)
					continue;
			}
			fd = take(order[i], order[i] == sfd, sa, len, flags);
			if (fd >= 0)
				return fd;
			err = errno;
			if (err != EAGAIN && err != EWOULDBLOCK)
				return -1;
		}
		if (fl < 0 || (fl & O_NONBLOCK)) {
			errno = err;
			return -1;
		}
	}
}
