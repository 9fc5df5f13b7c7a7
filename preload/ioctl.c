/* ioctl(FIONREAD) (= SIOCINQ) on SCTP sockets. TCP counts every queued
 * byte; SCTP's counts only the next message, because a read never returns
 * more than one. The shim keeps that figure (it is what the next read()
 * returns, and never 0 while data waits) and adds what TCP programs rely
 * on at the end of a stream: 0 once the peer's EOF marker is next or was
 * read (halfclose.c). Every other request, and every other fd, goes
 * straight to libc. */
#include "ws.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>

/* Is the next message the peer's EOF marker? Peeks without consuming. */
static bool marker_next(int fd, struct ws_fd *e)
{
	char b;
	struct iovec v = { .iov_base = &b, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };

	return ws_eof_reads(fd, e) && ws_eof_recvmsg(fd, e, &m, MSG_PEEK | MSG_DONTWAIT) == 0;
}

WS_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	ws_real_init();
	va_list ap;
	struct ws_fd *e;
	int *count, rc;

	/* Every ioctl argument is one pointer-sized slot (see fcntl). */
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (req != FIONREAD || !ws_fd_is_sctp(fd) || !(e = ws_fd_stream(fd)))
		return ws_real.ioctl(fd, req, arg);
	count = arg;
	if (__atomic_load_n(&e->rd_eof, __ATOMIC_ACQUIRE)) {
		*count = 0;
		return 0;
	}
	rc = ws_real.ioctl(fd, req, arg);
	if (rc == 0 && *count == 1 && marker_next(fd, e))
		*count = 0;
	return rc;
}
