/* bind(), listen(), accept(): the server-side decision point is listen(),
 * when the bound address is known; the TCP socket the application bound is
 * replaced and the new one bound to the same address and port. Accepted
 * sockets inherit the listener's transport so the write path knows them. */
#include "ws.h"

#include <errno.h>
#include <string.h>

WS_EXPORT int bind(int fd, __CONST_SOCKADDR_ARG sa, socklen_t len)
{
	ws_real_init();
	int rc = ws_real.bind(fd, sa.__sockaddr__, len);
	struct ws_fd *e;

	if (rc == 0 && (e = ws_fd_stream(fd)))
		e->bound = 1;
	return rc;
}

WS_EXPORT int listen(int fd, int backlog)
{
	ws_real_init();
	struct ws_fd *e = ws_fd_stream(fd);
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	struct ws_query q;
	struct ws_decision d;
	char a[64];
	int rc;

	if (!e || e->decided)
		return ws_real.listen(fd, backlog);
	ws_lock();
	if (e->decided || getsockname(fd, (struct sockaddr *)&local, &llen) < 0 ||
	    ws_query_from_sa(&q, (struct sockaddr *)&local, llen) < 0) {
		ws_unlock();
		return ws_real.listen(fd, backlog);
	}
	e->decided = 1;
	q.role = WS_ROLE_LISTEN;
	q.prog = ws_cfg.prog;
	ws_policy_decide(&ws_cfg.policy, &q, &d);
	e->shutwr = (uint8_t)d.shutwr;
	if (d.dual && d.transport == WS_SCTP) {
		/* The application's fd stays TCP; SCTP listens beside it. */
		rc = ws_dual_open(fd, e, (struct sockaddr *)&local, llen, backlog);
		ws_unlock();
		if (rc < 0)
			ws_log(WS_LOG_WARN, "fd %d: no SCTP listener beside TCP at %s: %s", fd,
			       ws_sa_str((struct sockaddr *)&local, a, sizeof(a)), strerror(-rc));
		return ws_real.listen(fd, backlog);
	}
	if (d.transport != WS_TCP) {
		rc = ws_swap(fd, e, d.transport);
		if (rc < 0) {
			if (d.transport == WS_SCTP && !ws_cfg.policy.fallback_tcp) {
				ws_unlock();
				ws_log(WS_LOG_ERROR, "fd %d: cannot listen on SCTP at %s: %s", fd,
				       ws_sa_str((struct sockaddr *)&local, a, sizeof(a)),
				       strerror(-rc));
				errno = -rc;
				return -1;
			}
			ws_log(WS_LOG_WARN, "fd %d: cannot listen on %s at %s (%s); TCP instead", fd,
			       ws_transport_name(d.transport),
			       ws_sa_str((struct sockaddr *)&local, a, sizeof(a)), strerror(-rc));
		} else {
			ws_log(WS_LOG_INFO, "fd %d listening on %s over %s", fd,
			       ws_sa_str((struct sockaddr *)&local, a, sizeof(a)),
			       ws_transport_name(d.transport));
		}
	}
	ws_unlock();
	return ws_real.listen(fd, backlog);
}

/* Gives a freshly accepted fd the listener's transport (or forgets a stale
 * entry left by a number the kernel reused). */
static void adopt(int lfd, int fd)
{
	struct ws_fd *l = ws_fd_stream(lfd), *e;

	if (fd < 0 || !(e = ws_fd_get(fd)))
		return;
	ws_lock();
	ws_fd_clear(fd);
	if (l && l->transport != WS_TCP) {
		memset(e, 0, sizeof(*e));
		e->domain = l->domain;
		e->transport = l->transport;
		e->shutwr = l->shutwr;
		e->decided = 1;
		if (e->transport == WS_SCTP)
			ws_fd_measure(fd, e);
		__atomic_store_n(&e->kind, WS_FD_STREAM, __ATOMIC_RELEASE);
	}
	ws_unlock();
}

WS_EXPORT int accept(int lfd, __SOCKADDR_ARG sa, socklen_t *len)
{
	ws_real_init();
	struct ws_fd *l = ws_fd_stream(lfd);
	if (l && l->dual_fd)
		return ws_dual_accept(lfd, l, sa.__sockaddr__, len, 0);
	int fd = ws_real.accept(lfd, sa.__sockaddr__, len);
	if (ws_cfg.active)
		adopt(lfd, fd);
	return fd;
}

WS_EXPORT int accept4(int lfd, __SOCKADDR_ARG sa, socklen_t *len, int flags)
{
	ws_real_init();
	struct ws_fd *l = ws_fd_stream(lfd);
	if (l && l->dual_fd)
		return ws_dual_accept(lfd, l, sa.__sockaddr__, len, flags);
	int fd = ws_real.accept4(lfd, sa.__sockaddr__, len, flags);
	if (ws_cfg.active)
		adopt(lfd, fd);
	return fd;
}
