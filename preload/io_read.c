/* The read path, only for SCTP sockets whose peer's shim sends EOF markers
 * (halfclose.c): every read becomes a recvmsg that can see the marker.
 * Everything else (files, pipes, TCP, SCTP without --half-close) takes one
 * table lookup and goes straight to libc. */
#include "ws.h"

#include <errno.h>

/* The socket's entry when reads must look for markers, else NULL. */
static struct ws_fd *marked(int fd)
{
	struct ws_fd *e;
	if (!ws_cfg.halfclose || !ws_fd_is_sctp(fd) || !(e = ws_fd_stream(fd)))
		return NULL;
	return ws_eof_reads(fd, e) ? e : NULL;
}

static ssize_t recv_iov(int fd, struct ws_fd *e, const struct iovec *iov, int cnt, int flags,
			struct sockaddr *from, socklen_t *fromlen)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt,
			    .msg_name = from, .msg_namelen = fromlen ? *fromlen : 0 };
	ssize_t n = ws_eof_recvmsg(fd, e, &m, flags);
	if (n >= 0 && fromlen)
		*fromlen = m.msg_namelen;
	return n;
}

WS_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	ws_real_init();
	struct ws_fd *e = marked(fd);
	if (!e || len == 0)
		return ws_real.read(fd, buf, len);
	struct iovec v = { .iov_base = buf, .iov_len = len };
	return recv_iov(fd, e, &v, 1, 0, NULL, NULL);
}

WS_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ws_real_init();
	struct ws_fd *e = marked(fd);
	if (!e || len == 0)
		return ws_real.recv(fd, buf, len, flags);
	struct iovec v = { .iov_base = buf, .iov_len = len };
	return recv_iov(fd, e, &v, 1, flags, NULL, NULL);
}

WS_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, __SOCKADDR_ARG from,
			   socklen_t *fromlen)
{
	ws_real_init();
	struct ws_fd *e = marked(fd);
	if (!e || len == 0)
		return ws_real.recvfrom(fd, buf, len, flags, from.__sockaddr__, fromlen);
	struct iovec v = { .iov_base = buf, .iov_len = len };
	return recv_iov(fd, e, &v, 1, flags, from.__sockaddr__, fromlen);
}

WS_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	ws_real_init();
	struct ws_fd *e = marked(fd);
	if (!e || cnt <= 0)
		return ws_real.readv(fd, iov, cnt);
	return recv_iov(fd, e, iov, cnt, 0, NULL, NULL);
}

WS_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ws_real_init();
	struct ws_fd *e = marked(fd);
	/* A caller's own ancillary data is left to the kernel: no marker
	 * check then (TCP programs do not ask for any). */
	if (!e || !msg || msg->msg_controllen)
		return ws_real.recvmsg(fd, msg, flags);
	struct msghdr m = *msg;
	ssize_t n = ws_eof_recvmsg(fd, e, &m, flags);
	if (n >= 0) {
		msg->msg_namelen = m.msg_namelen;
		msg->msg_flags = m.msg_flags & ~MSG_CTRUNC;
	}
	return n;
}
