/* Per-fd state in one array indexed by fd, sized once from RLIMIT_NOFILE.
 * The mapping is MAP_NORESERVE: only slots of fds really used get pages, so
 * a large limit costs address space, not memory, and nothing is allocated
 * after init. */
#include "ws.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define FDTAB_CAP (1u << 20)

static struct ws_fd *tab;
static unsigned ntab;
static unsigned hiwater; /* highest fd slot handed out + 1: bounds scans */
/* Recursive: a slow path may log or re-enter a wrapper through libc. */
static pthread_mutex_t lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static void atfork_prepare(void) { pthread_mutex_lock(&lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&lock); }
/* The child's only thread has a new TID, so it cannot unlock a recursive
 * mutex its parent's thread owns: start it afresh instead. */
static void atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	memcpy(&lock, &fresh, sizeof(lock));
}

int ws_fdtab_init(void)
{
	struct rlimit rl;
	rlim_t n = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		n = rl.rlim_max > rl.rlim_cur ? rl.rlim_max : rl.rlim_cur;
	if (n == RLIM_INFINITY || n > FDTAB_CAP)
		n = FDTAB_CAP;
	if (n < 1024)
		n = 1024;
	void *p = mmap(NULL, (size_t)n * sizeof(struct ws_fd), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	tab = p;
	ntab = (unsigned)n;
	/* A fork in the middle of a slow path must not leave the child's copy
	 * of the lock held by a thread that does not exist there. */
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	return 0;
}

struct ws_fd *ws_fd_get(int fd)
{
	if (fd < 0 || (unsigned)fd >= ntab)
		return NULL;
	if ((unsigned)fd >= __atomic_load_n(&hiwater, __ATOMIC_RELAXED))
		__atomic_store_n(&hiwater, (unsigned)fd + 1, __ATOMIC_RELAXED);
	return &tab[fd];
}

struct ws_fd *ws_fd_stream(int fd)
{
	struct ws_fd *e = ws_fd_get(fd);
	return e && __atomic_load_n(&e->kind, __ATOMIC_ACQUIRE) == WS_FD_STREAM ? e : NULL;
}

bool ws_fd_is_sctp(int fd)
{
	struct ws_fd *e = ws_fd_stream(fd);
	return e && __atomic_load_n(&e->transport, __ATOMIC_RELAXED) == WS_SCTP;
}

/* Drops every remembered registration in epoll instance epfd. */
static void purge_epoll(int epfd)
{
	for (unsigned i = 0; i < hiwater; i++) {
		struct ws_fd *e = &tab[i];
		if (e->kind != WS_FD_STREAM || e->neps == 0)
			continue;
		for (unsigned j = 0; j < e->neps;) {
			if (e->eps[j].epfd == epfd)
				e->eps[j] = e->eps[--e->neps];
			else
				j++;
		}
	}
}

void ws_fd_clear(int fd)
{
	struct ws_fd *e = ws_fd_get(fd);
	if (!e || e->kind == WS_FD_NONE)
		return;
	if (e->kind == WS_FD_EPOLL)
		purge_epoll(fd);
	if (e->dual_fd)
		ws_dual_close(e);
	ws_pend_forget(fd, e);
	__atomic_store_n(&e->kind, WS_FD_NONE, __ATOMIC_RELEASE);
	e->transport = WS_TCP;
	e->nopts = e->neps = 0;
	e->corked = e->decided = e->bound = 0;
}

void ws_fd_copy(int oldfd, int newfd)
{
	struct ws_fd *o = ws_fd_get(oldfd), *n = ws_fd_get(newfd);
	if (!n)
		return;
	ws_fd_clear(newfd);
	if (!o || o->kind != WS_FD_STREAM)
		return;
	*n = *o;
	/* Epoll interest belongs to the file description, which both fds
	 * share; only the original keeps it, so a swap re-registers once. */
	n->neps = 0;
	/* The hidden SCTP listener stays with the original fd only. */
	n->dual_fd = 0;
	/* The pending list names the original fd. */
	n->pending = 0;
}

int ws_fd_max(void)
{
	return (int)__atomic_load_n(&hiwater, __ATOMIC_RELAXED);
}

void ws_fd_adopt_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	/* Sockets converted by a parent that then executed us (sshd re-execs
	 * itself per connection, inetd-style servers exec the handler) arrive
	 * as plain fds: recognise them so the write path still applies. */
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name), proto = 0, type = 0, dom = 0;
		socklen_t l = sizeof(int);
		struct ws_fd *e;
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd == dirfd(d) ||
		    !(e = ws_fd_get(fd)))
			continue;
		if (ws_real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) < 0 ||
		    (proto != IPPROTO_SCTP && proto != 262))
			continue;
		l = sizeof(int);
		ws_real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l);
		l = sizeof(int);
		ws_real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l);
		if (type != SOCK_STREAM)
			continue;
		memset(e, 0, sizeof(*e));
		e->domain = dom;
		e->transport = proto == IPPROTO_SCTP ? WS_SCTP : WS_MPTCP;
		e->decided = 1;
		e->shutwr = ws_cfg.policy.shutwr;
		if (e->transport == WS_SCTP)
			ws_fd_measure(fd, e);
		e->kind = WS_FD_STREAM;
		ws_log(WS_LOG_DEBUG, "fd %d inherited as %s", fd, ws_transport_name(e->transport));
	}
	closedir(d);
}

void ws_lock(void) { pthread_mutex_lock(&lock); }
void ws_unlock(void) { pthread_mutex_unlock(&lock); }
