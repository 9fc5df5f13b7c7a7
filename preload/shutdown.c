/* shutdown(SHUT_WR): SCTP has no half-close; its SHUTDOWN ends both
 * directions once queued data is delivered, so a peer that still answers
 * after our EOF would be cut off. Between two shims run with --half-close
 * it is an EOF marker (halfclose.c), a real half-close. With any other
 * peer, per policy: "defer" swallows the call and
 * lets close() end the association (right for protocols that carry their
 * own end-of-data, like ssh or HTTP); "full" starts SCTP's shutdown now
 * (right for senders that never read again). Programs that need a real
 * half-close belong on TCP: a "tcp prog NAME" rule. */
#include "ws.h"

WS_EXPORT int shutdown(int fd, int how)
{
	ws_real_init();
	struct ws_fd *e;

	if (!ws_fd_is_sctp(fd) || !(e = ws_fd_stream(fd)))
		return ws_real.shutdown(fd, how);
	if (how != SHUT_RD && e->held)
		(void)ws_cork_flush(fd, e);
	if (how != SHUT_WR)
		return ws_real.shutdown(fd, how);
	if (ws_cfg.halfclose) {
		int rc = ws_eof_send(fd, e);
		if (rc <= 0)
			return rc;
	}
	if (e->shutwr == WS_SHUTWR_FULL) {
		ws_log(WS_LOG_INFO, "fd %d: shutdown(SHUT_WR) on SCTP: full shutdown (no half-close)",
		       fd);
		return ws_real.shutdown(fd, how);
	}
	if (!e->shut_deferred)
		ws_log(WS_LOG_INFO, "fd %d: shutdown(SHUT_WR) on SCTP deferred until close "
				    "(no half-close in SCTP)", fd);
	e->shut_deferred = 1;
	return 0;
}
