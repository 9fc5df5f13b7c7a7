/* Half-close over SCTP between two shims (--half-close).
 *
 * SCTP's SHUTDOWN ends both directions, so shutdown(SHUT_WR) is sent as a
 * one-byte EOF marker instead: a message on stream 0, after the data it
 * follows in order, with a payload protocol id no application uses. The
 * peer's shim reads with recvmsg and SCTP_RCVINFO, and turns the marker
 * into read() == 0 while its own writes keep flowing back.
 *
 * A marker byte sent to a program without the shim would corrupt its
 * stream, so both ends say they take markers: a shim with --half-close
 * offers WS_EOF_OSTREAMS outbound streams in its INIT/INIT-ACK (the
 * kernel's default is 10), and the other end sees that number as its
 * inbound stream count once the association is up. Against any other
 * peer, --shutwr (defer or full) applies as before.
 *
 * Reading with recvmsg is opt-in because some sandboxes allow read() but
 * kill on recvmsg (OpenSSH's preauth seccomp filter). */
#include "ws.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <string.h>

/* Outbound streams that mean "this end takes EOF markers". */
#define WS_EOF_OSTREAMS 47
/* The marker's payload protocol id ("WSEF"). */
#define WS_EOF_PPID 0x57534546u

void ws_eof_advertise(int fd)
{
	struct sctp_initmsg im;
	socklen_t il = sizeof(im);

	if (!ws_cfg.halfclose)
		return;
	memset(&im, 0, sizeof(im));
	if (ws_real.getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, &il) < 0)
		return;
	im.sinit_num_ostreams = WS_EOF_OSTREAMS;
	if (ws_real.setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)) < 0)
		ws_log(WS_LOG_WARN, "fd %d: cannot offer EOF markers: %s", fd, strerror(errno));
}

/* Learns once, when the association is up, whether the peer offered
 * markers; turns on SCTP_RCVINFO for the reads if so. */
static uint8_t peer_takes(int fd, struct ws_fd *e)
{
	struct sctp_status st;
	socklen_t sl = sizeof(st);
	int on = 1;
	uint8_t v = __atomic_load_n(&e->eof_peer, __ATOMIC_ACQUIRE);

	if (v || !ws_cfg.halfclose)
		return v ? v : 1;
	memset(&st, 0, sizeof(st));
	if (ws_real.getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &st, &sl) < 0 ||
	    st.sstat_state < SCTP_ESTABLISHED)
		return 0;
	v = st.sstat_instrms == WS_EOF_OSTREAMS ? 2 : 1;
	if (v == 2 &&
	    ws_real.setsockopt(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on)) < 0) {
		ws_log(WS_LOG_WARN, "fd %d: SCTP_RECVRCVINFO: %s; no half-close", fd,
		       strerror(errno));
		v = 1;
	}
	ws_log(WS_LOG_DEBUG, "fd %d: peer %s EOF markers", fd, v == 2 ? "takes" : "does not take");
	__atomic_store_n(&e->eof_peer, v, __ATOMIC_RELEASE);
	return v;
}

bool ws_eof_reads(int fd, struct ws_fd *e)
{
	return ws_cfg.halfclose && (e->rd_eof || peer_takes(fd, e) == 2);
}

int ws_eof_send(int fd, struct ws_fd *e)
{
	char cbuf[CMSG_SPACE(sizeof(struct sctp_sndinfo))] = { 0 };
	struct sctp_sndinfo si = { .snd_ppid = htonl(WS_EOF_PPID) };
	char one = 0;
	struct iovec iov = { .iov_base = &one, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	if (e->wr_shut)
		return 0;
	if (peer_takes(fd, e) != 2)
		return 1;
	c->cmsg_level = IPPROTO_SCTP;
	c->cmsg_type = SCTP_SNDINFO;
	c->cmsg_len = CMSG_LEN(sizeof(si));
	memcpy(CMSG_DATA(c), &si, sizeof(si));
	/* One byte only waits when the send buffer is full to the last byte;
	 * then it waits for room like TCP's FIN would be queued, briefly. */
	for (int tries = 0;; tries++) {
		if (ws_real.sendmsg(fd, &m, MSG_NOSIGNAL) == 1)
			break;
		if ((errno != EAGAIN && errno != EINTR) || tries == 50)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		ws_real.poll(&p, 1, 100);
	}
	__atomic_store_n(&e->wr_shut, 1, __ATOMIC_RELEASE);
	ws_log(WS_LOG_INFO, "fd %d: shutdown(SHUT_WR) on SCTP sent as an EOF marker (half-close)",
	       fd);
	return 0;
}

ssize_t ws_eof_recvmsg(int fd, struct ws_fd *e, struct msghdr *m, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(struct sctp_rcvinfo))];
	ssize_t n;

	if (__atomic_load_n(&e->rd_eof, __ATOMIC_ACQUIRE))
		return 0;
	m->msg_control = cbuf;
	m->msg_controllen = sizeof(cbuf);
	n = ws_real.recvmsg(fd, m, flags);
	if (n <= 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		struct sctp_rcvinfo ri;
		if (c->cmsg_level != IPPROTO_SCTP || c->cmsg_type != SCTP_RCVINFO ||
		    c->cmsg_len < CMSG_LEN(sizeof(ri)))
			continue;
		memcpy(&ri, CMSG_DATA(c), sizeof(ri));
		if (ri.rcv_ppid != htonl(WS_EOF_PPID))
			break;
		if (!(flags & MSG_PEEK)) {
			__atomic_store_n(&e->rd_eof, 1, __ATOMIC_RELEASE);
			ws_log(WS_LOG_DEBUG, "fd %d: the peer's EOF marker: end of file", fd);
		}
		return 0;
	}
	return n;
}
