/* The write path on SCTP sockets, where one send is one message:
 *  - a send larger than the send buffer fails with EMSGSIZE, so big writes
 *    go out in chunks (MSG_MORE on all but the last, so they bundle);
 *  - a zero-length send fails with EINVAL, TCP returns 0;
 *  - sendfile() and splice() have no SCTP path: a copy loop through a
 *    stack buffer.
 * MSG_MORE bundles the pieces of one write. SCTP holds a MSG_MORE message
 * until the next send without it, and no call flushes it: so the last
 * piece of a write goes without MSG_MORE, except while TCP_CORK is on.
 * Then every piece carries MSG_MORE and the write's last byte is kept
 * back in the fd's slot; it rides with the next write, and uncorking (or
 * close, shutdown) sends it alone without MSG_MORE, which releases
 * everything SCTP held, as TCP's uncork pushes its partial segment.
 * Sockets the shim did not move to SCTP take one table lookup and go
 * straight to libc. */
/* Both the plain and the 64 names are interposed; the build-wide
 * _FILE_OFFSET_BITS=64 would rename the plain one onto the other. */
#undef _FILE_OFFSET_BITS
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <unistd.h>

#define COPY_BUF 32768
/* Not a MSG_ flag: marks a write()/writev() caller. */
#define WS_PLAIN (-1)

void ws_fd_measure(int fd, struct ws_fd *e)
{
	int sb = 0;
	socklen_t sl = sizeof(sb);
	uint32_t c;

	/* Half the send buffer leaves room for SCTP's per-chunk overhead. */
	if (ws_real.getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, &sl) < 0 || sb < 4096)
		sb = 65536;
	c = (uint32_t)sb / 2;
	__atomic_store_n(&e->chunk, c > 65536 ? 65536 : c, __ATOMIC_RELAXED);
}

/* Measured when the socket became SCTP, never here: a sandboxed process
 * (sshd's seccomp preauth child) may write but not call getsockopt. */
static size_t chunk_of(struct ws_fd *e)
{
	uint32_t c = __atomic_load_n(&e->chunk, __ATOMIC_RELAXED);
	return c ? c : 32768;
}

/* One SCTP message: the kept-back byte (if any) then p[0..n). Returns the
 * bytes of p sent, or -1; the kept byte is gone once anything was sent. */
static ssize_t send_piece(int fd, struct ws_fd *e, const char *p, size_t n, int fl, bool plain)
{
	if (!e->held)
		return plain ? ws_real.write(fd, p, n) : ws_real.send(fd, p, n, fl);
	struct iovec v[2] = { { .iov_base = &e->held_byte, .iov_len = 1 },
			      { .iov_base = (void *)p, .iov_len = n } };
	struct msghdr m = { .msg_iov = v, .msg_iovlen = 2 };
	ssize_t r = plain ? ws_real.writev(fd, v, 2) : ws_real.sendmsg(fd, &m, fl);
	if (r <= 0)
		return r;
	e->held = 0;
	return r - 1;
}

int ws_cork_flush(int fd, struct ws_fd *e)
{
	for (int tries = 0; e->held; tries++) {
		if (ws_real.send(fd, &e->held_byte, 1, MSG_NOSIGNAL) == 1) {
			e->held = 0;
			break;
		}
		if ((errno != EAGAIN && errno != EINTR) || tries == 50)
			return -errno;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ws_real.poll(&p, 1, 100);
	}
	return 0;
}

/* Sends buf[0..len) as chunks: bytes sent (short only when the socket
 * would block or failed after some bytes), or -1 with errno. more_follows
 * says that more data of the same call follows (MSG_MORE on everything);
 * the caller's own MSG_MORE in flags asks for a hold like TCP_CORK. */
static ssize_t send_chunks(int fd, struct ws_fd *e, const void *buf, size_t len, int flags,
			   bool more_follows)
{
	size_t c = chunk_of(e), done = 0;
	/* write()/writev() callers get write(2) underneath: seccomp sandboxes
	 * (sshd) allow write but kill on sendto. MSG_MORE needs send(). */
	bool plain = flags == WS_PLAIN;
	const char *p = buf;

	/* After an EOF marker went out, as after TCP's SHUT_WR. */
	if (__atomic_load_n(&e->wr_shut, __ATOMIC_ACQUIRE)) {
		if (plain || !(flags & MSG_NOSIGNAL))
			raise(SIGPIPE);
		errno = EPIPE;
		return -1;
	}

	bool cork = __atomic_load_n(&e->corked, __ATOMIC_RELAXED);

	/* Corked: MSG_MORE needs send(). */
	if (cork && plain) {
		plain = false;
		flags = 0;
	}
	/* The end of a corked write, or of one sent with MSG_MORE: keep the
	 * last byte back (see the top of this file). */
	if (!more_follows && (cork || (!plain && (flags & MSG_MORE)))) {
		if (len > 1) {
			/* The held byte, if any, leads the first piece. */
			ssize_t r = send_chunks(fd, e, buf, len - 1, flags, true);
			if (r < (ssize_t)len - 1)
				return r;
		} else if (e->held) {
			if (ws_real.send(fd, &e->held_byte, 1, flags | MSG_MORE) != 1)
				return -1;
			e->held = 0;
		}
		e->held_byte = p[len - 1];
		e->held = 1;
		return (ssize_t)len;
	}
	while (done < len) {
		size_t n = len - done < c ? len - done : c;
		int fl = plain ? 0 : flags & ~MSG_MORE;
		if (!plain && (done + n < len || more_follows))
			fl |= MSG_MORE;
		ssize_t r = send_piece(fd, e, p + done, n, fl, plain);
		if (r < 0) {
			if (done)
				return (ssize_t)done;
			return -1;
		}
		done += (size_t)r;
		if ((size_t)r < n)
			break;
	}
	return (ssize_t)done;
}

static ssize_t send_iov(int fd, struct ws_fd *e, const struct iovec *iov, size_t cnt, int flags)
{
	ssize_t total = 0;
	size_t last = cnt;

	while (last > 0 && iov[last - 1].iov_len == 0)
		last--;
	for (size_t i = 0; i < last; i++) {
		if (iov[i].iov_len == 0)
			continue;
		ssize_t r = send_chunks(fd, e, iov[i].iov_base, iov[i].iov_len, flags,
					flags != WS_PLAIN && i + 1 < last);
		if (r < 0)
			return total ? total : -1;
		total += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return total;
}

WS_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	ws_real_init();
	struct ws_fd *e;
	if (!ws_fd_is_sctp(fd) || !(e = ws_fd_stream(fd)))
		return ws_real.write(fd, buf, len);
	if (len == 0)
		return 0;
	return send_chunks(fd, e, buf, len, WS_PLAIN, false);
}

WS_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	ws_real_init();
	struct ws_fd *e;
	if (!ws_fd_is_sctp(fd) || !(e = ws_fd_stream(fd)))
		return ws_real.send(fd, buf, len, flags);
	if (len == 0)
		return 0;
	return send_chunks(fd, e, buf, len, flags, false);
}

WS_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			 __CONST_SOCKADDR_ARG to, socklen_t tolen)
{
	ws_real_init();
	struct ws_fd *e;
	/* A connected stream socket ignores the address, as TCP does. */
	if (!ws_fd_is_sctp(fd) || !(e = ws_fd_stream(fd)))
		return ws_real.sendto(fd, buf, len, flags, to.__sockaddr__, tolen);
	if (len == 0)
		return 0;
	return send_chunks(fd, e, buf, len, flags, false);
}

WS_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	ws_real_init();
	struct ws_fd *e;
	if (!ws_fd_is_sctp(fd) || !(e = ws_fd_stream(fd)) || cnt < 0)
		return ws_real.writev(fd, iov, cnt);
	return send_iov(fd, e, iov, (size_t)cnt, WS_PLAIN);
}

WS_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ws_real_init();
	struct ws_fd *e;
	/* Ancillary data is SCTP-specific (SCTP_SNDINFO...) or meant for the
	 * kernel as is: hand it over untouched. */
	if (!ws_fd_is_sctp(fd) || !(e = ws_fd_stream(fd)) || msg->msg_controllen)
		return ws_real.sendmsg(fd, msg, flags);
	return send_iov(fd, e, msg->msg_iov, msg->msg_iovlen, flags);
}

/* Waits until fd can take more, so a piece already taken out of a pipe is
 * never dropped by a non-blocking socket. */
static ssize_t send_all(int fd, struct ws_fd *e, const char *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = send_chunks(fd, e, buf + done, len - done, 0, false);
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			return done ? (ssize_t)done : -1;
		if (r > 0)
			done += (size_t)r;
		if (done < len) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, 1000);
		}
	}
	return (ssize_t)done;
}

static ssize_t copy_file(int out, struct ws_fd *e, int in, off_t *off, size_t count)
{
	char buf[COPY_BUF];
	size_t total = 0;

	while (total < count) {
		size_t want = count - total < sizeof(buf) ? count - total : sizeof(buf);
		ssize_t n = off ? pread(in, buf, want, *off) : read(in, buf, want);
		if (n < 0)
			return total ? (ssize_t)total : -1;
		if (n == 0)
			break;
		ssize_t s = send_chunks(out, e, buf, (size_t)n, 0, false);
		if (s < 0) {
			/* Give the read bytes back to the file position. */
			if (!off)
				lseek(in, -n, SEEK_CUR);
			return total ? (ssize_t)total : -1;
		}
		total += (size_t)s;
		if (off)
			*off += s;
		if (s < n) {
			if (!off)
				lseek(in, s - n, SEEK_CUR);
			break;
		}
	}
	return (ssize_t)total;
}

WS_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	ws_real_init();
	struct ws_fd *e;
	if (!ws_fd_is_sctp(out) || !(e = ws_fd_stream(out)))
		return ws_real.sendfile(out, in, off, count);
	return copy_file(out, e, in, off, count);
}

WS_EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	return sendfile(out, in, off, count);
}

WS_EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
			 unsigned flags)
{
	ws_real_init();
	struct ws_fd *eo = NULL;
	char buf[COPY_BUF];
	ssize_t n;

	bool sctp_in = ws_fd_is_sctp(in), sctp_out = ws_fd_is_sctp(out);
	if (!sctp_in && !sctp_out)
		return ws_real.splice(in, off_in, out, off_out, len, flags);
	if (sctp_out)
		eo = ws_fd_stream(out);
	if (len > sizeof(buf))
		len = sizeof(buf);
	n = off_in ? pread(in, buf, len, *off_in) : read(in, buf, len);
	if (n <= 0)
		return n;
	if (off_in)
		*off_in += n;
	if (eo)
		return send_all(out, eo, buf, (size_t)n);
	/* Out of an SCTP socket into a pipe or file. */
	size_t done = 0;
	while (done < (size_t)n) {
		ssize_t w = off_out ? pwrite(out, buf + done, (size_t)n - done, *off_out + (off_t)done)
				    : ws_real.write(out, buf + done, (size_t)n - done);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				struct pollfd p = { .fd = out, .events = POLLOUT };
				poll(&p, 1, 1000);
				continue;
			}
			break;
		}
		done += (size_t)w;
	}
	if (off_out)
		*off_out += (loff_t)done;
	return done ? (ssize_t)done : -1;
}
