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

void ws_multihome_bind(int fd, int family)
{
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	uint8_t packed[8 * sizeof(struct sockaddr_in6)];
	size_t off = 0;
	in_port_t port = 0;
	char a[64];

	if (ws_cfg.nmh == 0)
		return;
	if (getsockname(fd, (struct sockaddr *)&local, &llen) == 0) {
		/* A wildcard bind already offers every local address. */
		if (is_wildcard(&local) &&
		    ((struct sockaddr_in *)&local)->sin_port != 0)
			return;
		port = ((struct sockaddr_in *)&local)->sin_port; /* same offset in v6 */
	}
	for (unsigned i = 0; i < ws_cfg.nmh; i++) {
		const struct sockaddr_storage *m = &ws_cfg.mh[i];
		if (m->ss_family == AF_INET6 && family != AF_INET6)
			continue;
		size_t n = m->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						   : sizeof(struct sockaddr_in6);
		memcpy(packed + off, m, n);
		((struct sockaddr_in *)(void *)(packed + off))->sin_port = port;
		off += n;
	}
	if (off == 0)
		return;
	/* The packed-array form sctp_bindx() uses, done directly so the shim
	 * does not need libsctp. */
	if (ws_real.setsockopt(fd, SOL_SCTP, SCTP_SOCKOPT_BINDX_ADD, packed, (socklen_t)off) < 0)
		ws_log(WS_LOG_WARN, "fd %d: adding multihome addresses failed: %s", fd,
		       strerror(errno));
	else
		ws_log(WS_LOG_INFO, "fd %d: bound %u extra local addresses (first %s)", fd,
		       ws_cfg.nmh, ws_sa_str((const struct sockaddr *)&ws_cfg.mh[0], a, sizeof(a)));
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
