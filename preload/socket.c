/* socket(): remember every INET/INET6 stream socket, whatever type flags it
 * carries (withsctp compared type == SOCK_STREAM and so missed sockets made
 * with SOCK_CLOEXEC or SOCK_NONBLOCK). The transport is decided later, at
 * connect() or listen(), when the address is known. */
#include "ws.h"

#include <netinet/in.h>
#include <string.h>

WS_EXPORT int socket(int domain, int type, int protocol)
{
	ws_real_init();
	int fd = ws_real.socket(domain, type, protocol);
	struct ws_fd *e;

	if (fd < 0 || !ws_cfg.active || !(e = ws_fd_get(fd)))
		return fd;
	ws_lock();
	ws_fd_clear(fd);
	if ((domain == AF_INET || domain == AF_INET6) &&
	    (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
	    (protocol == 0 || protocol == IPPROTO_TCP)) {
		memset(e, 0, sizeof(*e));
		e->domain = domain;
		e->transport = WS_TCP;
		__atomic_store_n(&e->kind, WS_FD_STREAM, __ATOMIC_RELEASE);
	}
	ws_unlock();
	return fd;
}
