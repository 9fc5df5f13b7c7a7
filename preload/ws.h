/* Internal interface of libwithsplice.so. Nothing here is exported: the
 * library is built with hidden visibility and only the interposed libc
 * names carry WS_EXPORT. */
#ifndef WS_INTERNAL_H
#define WS_INTERNAL_H

#include <splicekit/ws_policy.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <netinet/in.h>

#define WS_EXPORT __attribute__((visibility("default")))

/* ---- real libc entry points, resolved once (real.c) ---- */
struct ws_real {
	int (*socket)(int, int, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*sendfile)(int, int, off_t *, size_t);
	ssize_t (*splice)(int, loff_t *, int, loff_t *, size_t, unsigned);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*shutdown)(int, int);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*close_range)(unsigned, unsigned, int);
	void (*closefrom)(int);
	int (*epoll_create1)(int);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
	int (*epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
		       const sigset_t *);
	int (*getaddrinfo)(const char *, const char *, const struct addrinfo *,
			   struct addrinfo **);
};
extern struct ws_real ws_real;

/* Resolves every real symbol (once; cheap afterwards). */
void ws_real_init(void);

/* ---- configuration (init.c) ---- */
struct ws_config {
	struct ws_policy policy;
	char prog[WS_PROG_MAX];
	struct sockaddr_storage mh[8]; /* extra local addresses (--multihome) */
	unsigned nmh;
	bool active;                   /* false: pure passthrough */
	bool multihome;                /* --multihome or --peer given */
	bool halfclose;                /* --half-close: EOF markers (halfclose.c) */
};
extern struct ws_config ws_cfg;

/* ---- logging (log.c) ---- */
enum ws_loglevel { WS_LOG_ERROR = 0, WS_LOG_WARN, WS_LOG_INFO, WS_LOG_DEBUG };
extern int ws_loglevel;
/* Formats into a stack buffer and writes one line to WITHSPLICE_LOG_FILE,
 * or to stderr while fd 2 is still the program's first stderr; never
 * allocates. */
void ws_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ws_log_set_file(const char *path);

/* ---- per-fd state (fdtab.c) ---- */
#define WS_FD_OPTS 12
#define WS_FD_EPREGS 4
#define WS_OPT_VAL 32

enum ws_fdkind { WS_FD_NONE = 0, WS_FD_STREAM, WS_FD_EPOLL };

struct ws_savedopt {
	int level, name;
	socklen_t len;
	uint8_t val[WS_OPT_VAL];
};

struct ws_epreg {
	int epfd;
	struct epoll_event ev;
};

struct ws_fd {
	uint8_t kind;      /* enum ws_fdkind */
	uint8_t transport; /* enum ws_transport the socket has now */
	uint8_t decided;   /* policy consulted (connect/listen done) */
	uint8_t corked;    /* TCP_CORK set on an SCTP socket */
	uint8_t shutwr;    /* enum ws_shutwr for this socket */
	uint8_t bound;     /* the application called bind() */
	uint8_t nopts, neps;
	int domain;
	uint8_t shut_deferred; /* SHUT_WR swallowed by the defer policy */
	int hb_ms;         /* remembered keepalive interval, 0 = unset */
	uint32_t chunk;    /* SCTP: largest single send, 0 = not measured yet */
	int dual_fd;       /* dual listening: hidden SCTP listener + 1, 0 = none */
	uint8_t dual_turn; /* which listener accept() tries first */
	/* Non-blocking SCTP connect in flight with the TCP fallback armed
	 * (pending.c): where to, and when SCTP is given up. */
	uint8_t pending;
	int pend_err;      /* a fallback connect's immediate error, for SO_ERROR */
	int64_t pend_deadline;
	struct sockaddr_in6 pend_dst; /* holds a sockaddr_in too */
	socklen_t pend_dstlen;
	/* Half-close over SCTP (halfclose.c): does the peer's shim take EOF
	 * markers (0 not known yet, 1 no, 2 yes), did ours arrive, did we
	 * send one (writes then fail as after TCP's SHUT_WR). */
	uint8_t held;      /* cork: one byte kept back (io_write.c) */
	uint8_t held_byte;
	uint8_t eof_peer;
	uint8_t rd_eof;
	uint8_t wr_shut;
	struct ws_savedopt opts[WS_FD_OPTS];
	struct ws_epreg eps[WS_FD_EPREGS];
};

/* Sizes the table from RLIMIT_NOFILE (hard limit, capped) with a lazily
 * backed mapping: 0 or -errno. */
int ws_fdtab_init(void);
/* Returns fd's slot, or NULL when fd is outside the table. */
struct ws_fd *ws_fd_get(int fd);
/* Returns fd's slot only if it is a tracked stream socket. */
struct ws_fd *ws_fd_stream(int fd);
/* Forgets fd (close, or a new object took the number). */
void ws_fd_clear(int fd);
/* Copies fd old's state to new (dup family). */
void ws_fd_copy(int oldfd, int newfd);
/* Records how much one SCTP send may carry (from SO_SNDBUF); done when a
 * socket becomes SCTP because the write path must not ask. */
void ws_fd_measure(int fd, struct ws_fd *e);
/* Returns one past the highest fd slot used so far (bounds scans). */
int ws_fd_max(void);
/* Tracks SCTP/MPTCP stream sockets inherited across exec. */
void ws_fd_adopt_inherited(void);
/* True when fd is a stream socket the shim moved to SCTP. */
bool ws_fd_is_sctp(int fd);

/* Global lock for the slow paths (socket, connect, listen, options, epoll
 * bookkeeping); the data path reads single bytes without it. */
void ws_lock(void);
void ws_unlock(void);

/* ---- conversion (swap.c) ---- */
/* Replaces the socket under fd by a new one of transport t, keeping the fd
 * number, O_NONBLOCK, FD_CLOEXEC, replayed options and epoll interest;
 * rebinds to the address the old socket had if it was bound. On failure fd
 * still holds a working TCP socket: returns 0 or -errno. Caller holds the
 * lock. */
int ws_swap(int fd, struct ws_fd *e, enum ws_transport t);
/* Applies an application option to fd under its current transport (the
 * translation in one place, used by setsockopt and by replay). */
int ws_apply_opt(int fd, struct ws_fd *e, int level, int name, const void *val,
		 socklen_t len, bool replay);
/* Sends the byte a corked write kept back, without MSG_MORE, which makes
 * SCTP send everything it holds (uncork, close, shutdown): 0 or -errno. */
int ws_cork_flush(int fd, struct ws_fd *e);
/* Adds the --multihome addresses to an SCTP socket bound to addr. */
void ws_multihome_bind(int fd, int family);

/* ---- peer address groups for multihoming (peers.c) ---- */
/* Adds groups from "A=B,C;D=E" (--peer): 0 or -EINVAL. */
int ws_peers_parse(const char *spec);
/* connect() for an SCTP socket: to every known address of the peer when sa
 * belongs to a group, else a plain connect. Returns like connect(2). */
int ws_peers_connect(int fd, int domain, const struct sockaddr *sa, socklen_t len);
/* Applies --failover-ms tuning (RTO, heartbeats, path retransmissions). */
void ws_sctp_tune(int fd);
extern unsigned ws_failover_ms;

/* ---- dual listening (dual.c) ---- */
/* Opens the hidden SCTP listener beside TCP listener fd bound at local:
 * 0 or -errno. Caller holds the lock. */
int ws_dual_open(int fd, struct ws_fd *e, const struct sockaddr *local, socklen_t llen,
		 int backlog);
/* accept4() on a dual listener: whichever transport has a connection. */
int ws_dual_accept(int lfd, struct ws_fd *e, struct sockaddr *sa, socklen_t *len, int flags);
/* Closes e's hidden listener, if any. */
void ws_dual_close(struct ws_fd *e);
extern int ws_dual_count; /* live dual listeners: poll() looks only if > 0 */

/* ---- half-close over SCTP (halfclose.c) ---- */
/* With --half-close, offers EOF markers in the INIT of SCTP socket fd. */
void ws_eof_advertise(int fd);
/* shutdown(SHUT_WR) as an EOF marker when the peer takes them: 0 sent,
 * 1 the peer does not (caller applies --shutwr), -1 with errno. */
int ws_eof_send(int fd, struct ws_fd *e);
/* True when reads on e must look for the marker (peer takes them). */
bool ws_eof_reads(int fd, struct ws_fd *e);
/* recvmsg that turns the peer's EOF marker into end-of-file (0). */
ssize_t ws_eof_recvmsg(int fd, struct ws_fd *e, struct msghdr *m, int flags);

/* ---- asynchronous fallback (pending.c) ---- */
enum ws_pend_state {
	WS_PEND_NONE = 0, /* fd has no connect in flight */
	WS_PEND_WAIT,     /* SCTP still trying */
	WS_PEND_DONE,     /* SCTP connected just now */
	WS_PEND_SWITCHED, /* SCTP gave up; a TCP connect now runs on fd */
};
/* Starts the SCTP connect of non-blocking fd (already SCTP) and arms the
 * TCP fallback: 0 (connected at once), -EINPROGRESS (pending), -ENOSPC
 * (too many in flight: caller connects synchronously) or the immediate
 * connect error. Caller does not hold the lock. */
int ws_pend_start(int fd, struct ws_fd *e, const struct sockaddr *sa, socklen_t len,
		  unsigned ms);
/* Looks at fd without blocking and moves it on (SCTP up, or TCP in its
 * place once SCTP failed or its deadline passed): the resulting state. */
enum ws_pend_state ws_pend_check(int fd);
/* ws_pend_check on every pending fd (deadlines run while the application
 * waits on something else). */
void ws_pend_sweep(void);
/* Milliseconds until the earliest deadline, -1 when nothing is pending. */
int ws_pend_wait_ms(void);
/* Drops fd from the pending list (close, reuse). Caller holds the lock. */
void ws_pend_forget(int fd, struct ws_fd *e);
/* For a caller's epoll_wait on epfd: fills data[] with the epoll data of
 * pending fds registered there: their count (at most max). */
unsigned ws_pend_in_epoll(int epfd, int *fds, uint64_t *data, unsigned max);
extern int ws_pend_count; /* in flight: the wait wrappers look only if > 0 */
/* CLOCK_MONOTONIC in milliseconds. */
int64_t ws_now_ms(void);

/* ---- connect (connect.c) ---- */
/* SCTP to sa failed with err: logs, remembers the destination, puts TCP
 * under fd and connects it. Returns like connect(2). */
int ws_fallback_tcp(int fd, struct ws_fd *e, const struct sockaddr *sa, socklen_t len, int err);
/* Logs (info) which protocol fd really has after a connect. */
void ws_log_proto(int fd, const char *what, const struct sockaddr *sa);

/* ---- waiting (poll.c) ---- */
/* poll() with dual listeners widened and pending connects driven:
 * timeout in ms (-1 forever), mask as for ppoll. Returns like poll. */
int ws_poll_run(struct pollfd *fds, nfds_t n, int timeout, const sigset_t *mask);

/* ---- helpers ---- */
/* Fills q's family/addr/port from sa (v4-mapped v6 becomes v4): 0 or
 * -EAFNOSUPPORT. */
int ws_query_from_sa(struct ws_query *q, const struct sockaddr *sa, socklen_t len);
/* Formats sa as "addr:port" into buf. */
const char *ws_sa_str(const struct sockaddr *sa, char *buf, size_t len);
/* Protocol number for socket(2) of transport t. */
int ws_proto(enum ws_transport t);
/* Runs the fallback cache: true if dst should go straight to TCP. */
bool ws_fallback_known(const struct sockaddr *sa, socklen_t len);
void ws_fallback_remember(const struct sockaddr *sa, socklen_t len);
extern unsigned ws_fallback_ttl; /* seconds a failed destination stays TCP */

#endif
