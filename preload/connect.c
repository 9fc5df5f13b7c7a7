/* connect(): the client-side decision point.
 *
 * The policy is asked once per socket. A peer without SCTP (ABORT ->
 * ECONNREFUSED, ICMP protocol unreachable -> ENOPROTOOPT, or silence)
 * makes the shim put a TCP socket back under the same fd and connect that,
 * so the application sees what TCP would have given it. A non-blocking
 * socket gets EINPROGRESS at once and the fallback runs from its waits
 * (pending.c); a blocking one waits here, at most fallback_ms. Failures
 * are remembered per destination, so the next socket goes straight to
 * TCP. */
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#ifndef SO_PROTOCOL
#define SO_PROTOCOL 38
#endif

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Connects fd over SCTP within ms milliseconds: 0 or -errno. */
static int sctp_try(int fd, int domain, const struct sockaddr *sa, socklen_t len, unsigned ms)
{
	int fl = ws_real.fcntl(fd, F_GETFL), err = 0;
	struct timespec t0;
	socklen_t el = sizeof(err);

	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK))
		ws_real.fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ws_peers_connect(fd, domain, sa, len) == 0)
		goto out;
	err = errno;
	while (err == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		long left = (long)ms - ms_since(&t0);
		if (left <= 0) {
			err = ETIMEDOUT;
			break;
		}
		int n = ws_real.poll(&p, 1, (int)left);
		if (n < 0 && errno != EINTR) {
			err = errno;
			break;
		}
		if (n > 0) {
			el = sizeof(err);
			if (ws_real.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
				err = errno;
		}
	}
out:
	if (!(fl & O_NONBLOCK))
		ws_real.fcntl(fd, F_SETFL, fl);
	return -err;
}

void ws_log_proto(int fd, const char *what, const struct sockaddr *sa)
{
	int proto = 0;
	socklen_t pl = sizeof(proto);
	char a[64];

	if (ws_loglevel < WS_LOG_INFO)
		return;
	ws_real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &pl);
	ws_log(WS_LOG_INFO, "fd %d %s %s: %s (SO_PROTOCOL=%d)", fd, what,
	       ws_sa_str(sa, a, sizeof(a)),
	       proto == IPPROTO_SCTP ? "sctp" : proto == 262 ? "mptcp" : "tcp", proto);
}

int ws_fallback_tcp(int fd, struct ws_fd *e, const struct sockaddr *sa, socklen_t len, int err)
{
	char a[64];
	int rc;

	ws_log(WS_LOG_WARN, "fd %d: SCTP to %s failed (%s); falling back to TCP", fd,
	       ws_sa_str(sa, a, sizeof(a)), strerror(err));
	ws_fallback_remember(sa, len);
	ws_lock();
	rc = ws_swap(fd, e, WS_TCP);
	ws_unlock();
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return ws_real.connect(fd, sa, len);
}

/* A second connect() while the first is in flight: EALREADY, as TCP. */
static int connect_again(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (ws_pend_check(fd) == WS_PEND_WAIT) {
		errno = EALREADY;
		return -1;
	}
	return ws_real.connect(fd, sa, len);
}

/* glibc declares the address as a transparent union under _GNU_SOURCE; the
 * definition must match it. */
WS_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	const struct sockaddr *sa = addr.__sockaddr__;
	ws_real_init();
	struct ws_fd *e = ws_fd_stream(fd);
	struct ws_query q;
	struct ws_decision d;
	const struct ws_policy *p = &ws_cfg.policy;
	char a[64];
	int rc;

	if (e && e->decided)
		return connect_again(fd, sa, len);
	if (!e || !sa || ws_query_from_sa(&q, sa, len) < 0)
		return ws_real.connect(fd, sa, len);
	q.role = WS_ROLE_CONNECT;
	q.prog = ws_cfg.prog;
	ws_lock();
	if (e->decided) {
		ws_unlock();
		return connect_again(fd, sa, len);
	}
	e->decided = 1;
	ws_policy_decide(p, &q, &d);
	e->shutwr = (uint8_t)d.shutwr;
	if (d.transport == WS_SCTP && p->fallback_tcp && ws_fallback_known(sa, len)) {
		ws_log(WS_LOG_DEBUG, "fd %d: %s failed SCTP recently; TCP", fd,
		       ws_sa_str(sa, a, sizeof(a)));
		d.transport = WS_TCP;
	}
	if (d.transport == WS_TCP) {
		ws_unlock();
		return ws_real.connect(fd, sa, len);
	}
	rc = ws_swap(fd, e, d.transport);
	ws_unlock();
	if (rc < 0) {
		if (d.transport == WS_SCTP && !p->fallback_tcp) {
			ws_log(WS_LOG_ERROR, "fd %d: no SCTP socket (%s) and fallback is off", fd,
			       strerror(-rc));
			errno = -rc;
			return -1;
		}
		ws_log(WS_LOG_WARN, "fd %d: cannot make a %s socket (%s); staying on TCP", fd,
		       ws_transport_name(d.transport), strerror(-rc));
		return ws_real.connect(fd, sa, len);
	}

	/* MPTCP falls back to TCP inside the kernel; SCTP without fallback
	 * reports whatever SCTP says. */
	if (d.transport == WS_MPTCP || !p->fallback_tcp) {
		rc = d.transport == WS_SCTP ? ws_peers_connect(fd, e->domain, sa, len)
					    : ws_real.connect(fd, sa, len);
		if (rc == 0 || errno == EINPROGRESS)
			ws_log_proto(fd, "connect", sa);
		return rc;
	}
	if (ws_real.fcntl(fd, F_GETFL) & O_NONBLOCK) {
		rc = ws_pend_start(fd, e, sa, len, p->fallback_ms);
		if (rc == 0)
			ws_log_proto(fd, "connected to", sa);
		if (rc == -EINPROGRESS) {
			ws_log(WS_LOG_DEBUG, "fd %d: SCTP connect to %s in flight, TCP fallback armed",
			       fd, ws_sa_str(sa, a, sizeof(a)));
			errno = EINPROGRESS;
			return -1;
		}
		if (rc != -ENOSPC)
			return rc == 0 ? 0 : ws_fallback_tcp(fd, e, sa, len, -rc);
		/* Too many in flight: wait here like a blocking socket. */
	}
	rc = sctp_try(fd, e->domain, sa, len, p->fallback_ms);
	if (rc == 0) {
		ws_log_proto(fd, "connected to", sa);
		return 0;
	}
	return ws_fallback_tcp(fd, e, sa, len, -rc);
}
