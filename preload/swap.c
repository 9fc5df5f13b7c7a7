/* Replacing the socket under a live fd.
 *
 * The application keeps its fd number; what it set on the old socket must
 * hold on the new one: O_NONBLOCK and FD_CLOEXEC, the options it set (kept
 * by setsockopt), the local address it bound, and its epoll interest, which
 * follows the old file and would otherwise silently vanish. */
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <string.h>
#include <unistd.h>

static bool is_wildcard(const struct sockaddr_storage *ss)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, &any6, sizeof(any6)) == 0;
}

/* Same address (port ignored)? */
static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

void ws_multihome_bind(int fd, int family)
{
	struct sockaddr_storage local, m;
	socklen_t llen = sizeof(local);
	in_port_t port = 0;
	unsigned added = 0;
	char a[64];

	if (ws_cfg.nmh == 0)
		return;
	memset(&local, 0, sizeof(local));
	if (getsockname(fd, (struct sockaddr *)&local, &llen) == 0) {
		/* A wildcard bind already offers every local address. */
		if (is_wildcard(&local) && ((struct sockaddr_in *)&local)->sin_port != 0)
			return;
		port = ((struct sockaddr_in *)&local)->sin_port; /* same offset in v6 */
	}
	/* One address per call (the kernel interface of sctp_bindx(), used
	 * directly so the shim needs no libsctp): one bad or duplicate
	 * address must not cost the others. The bound address itself is
	 * skipped, the kernel refuses it twice. */
	for (unsigned i = 0; i < ws_cfg.nmh; i++) {
		m = ws_cfg.mh[i];
		if ((m.ss_family == AF_INET6 && family != AF_INET6) || same_ip(&m, &local))
			continue;
		((struct sockaddr_in *)&m)->sin_port = port;
		socklen_t n = m.ss_family == AF_INET ? sizeof(struct sockaddr_in)
						     : sizeof(struct sockaddr_in6);
		if (ws_real.setsockopt(fd, SOL_SCTP, SCTP_SOCKOPT_BINDX_ADD, &m, n) < 0) {
			ws_log(WS_LOG_WARN, "fd %d: cannot add local address %s: %s", fd,
			       ws_sa_str((struct sockaddr *)&m, a, sizeof(a)), strerror(errno));
			continue;
		}
		added++;
		/* The first address bound an unbound socket: its port now
		 * applies to the rest. */
		if (!port) {
			struct sockaddr_storage now;
			socklen_t nl = sizeof(now);
			if (getsockname(fd, (struct sockaddr *)&now, &nl) == 0)
				port = ((struct sockaddr_in *)&now)->sin_port;
		}
	}
	if (added)
		ws_log(WS_LOG_INFO, "fd %d: bound %u extra local address%s", fd, added,
		       added == 1 ? "" : "es");
}

static void replay(int nfd, struct ws_fd *e)
{
	for (unsigned i = 0; i < e->nopts; i++) {
		const struct ws_savedopt *o = &e->opts[i];
		int rc = ws_apply_opt(nfd, e, o->level, o->name, o->val, o->len, true);
		if (rc < 0)
			ws_log(WS_LOG_DEBUG, "replaying option %d/%d: %s", o->level, o->name,
			       strerror(-rc));
	}
}

static void reregister(int fd, struct ws_fd *e)
{
	for (unsigned i = 0; i < e->neps; i++) {
		struct epoll_event ev = e->eps[i].ev;
		if (ws_real.epoll_ctl(e->eps[i].epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno == EEXIST)
			ws_real.epoll_ctl(e->eps[i].epfd, EPOLL_CTL_MOD, fd, &ev);
	}
}

int ws_swap(int fd, struct ws_fd *e, enum ws_transport t)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	bool rebind = false;
	int fl, fdfl, nfd, err;
	uint8_t old = e->transport;

	if (e->bound && getsockname(fd, (struct sockaddr *)&local, &llen) == 0)
		rebind = true;
	fl = ws_real.fcntl(fd, F_GETFL);
	fdfl = ws_real.fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0)
		return -errno;
	nfd = ws_real.socket(e->domain, SOCK_STREAM | ((fl & O_NONBLOCK) ? SOCK_NONBLOCK : 0),
			     ws_proto(t));
	if (nfd < 0)
		return -errno;

	e->transport = t;
	e->corked = 0;
	e->chunk = 0;
	replay(nfd, e);
	if (t == WS_SCTP)
		ws_eof_advertise(nfd);
	/* dup3 closes the old file; if nothing else holds it, the kernel also
	 * drops its epoll registrations, which reregister() restores. */
	if (ws_real.dup3(nfd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		err = errno;
		ws_real.close(nfd);
		e->transport = old;
		return -err;
	}
	ws_real.close(nfd);
	if (rebind && ws_real.bind(fd, (struct sockaddr *)&local, llen) < 0) {
		char a[64];
		err = errno;
		ws_log(WS_LOG_WARN, "fd %d: cannot bind %s socket to %s (%s)", fd,
		       ws_transport_name(t), ws_sa_str((struct sockaddr *)&local, a, sizeof(a)),
		       strerror(err));
		if (t != WS_TCP)
			ws_swap(fd, e, WS_TCP);
		return -err;
	}
	if (t == WS_SCTP) {
		ws_fd_measure(fd, e);
		ws_sctp_tune(fd);
		ws_multihome_bind(fd, e->domain);
	}
	reregister(fd, e);
	return 0;
}
