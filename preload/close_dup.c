/* Keeps the fd table in step with the descriptors: close and the dup family
 * (dup, dup2, dup3, fcntl F_DUPFD*), close_range. A stale entry would make
 * the write path treat a reused number as an SCTP socket. */
/* Both the plain and the 64 names are interposed; the build-wide
 * _FILE_OFFSET_BITS=64 would rename the plain one onto the other. */
#undef _FILE_OFFSET_BITS
#include "ws.h"

#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

static void forget(int fd)
{
	struct ws_fd *e = ws_fd_get(fd);
	if (!e || __atomic_load_n(&e->kind, __ATOMIC_ACQUIRE) == WS_FD_NONE)
		return;
	ws_lock();
	ws_fd_clear(fd);
	ws_unlock();
}

static void copy(int oldfd, int newfd)
{
	if (newfd < 0 || !ws_cfg.active)
		return;
	ws_lock();
	ws_fd_copy(oldfd, newfd);
	ws_unlock();
}

WS_EXPORT int close(int fd)
{
	ws_real_init();
	if (ws_cfg.active) {
		struct ws_fd *e = ws_fd_stream(fd);
		/* A corked write's last byte goes out before the close. */
		if (e && e->held)
			(void)ws_cork_flush(fd, e);
		forget(fd);
	}
	return ws_real.close(fd);
}

WS_EXPORT int dup(int fd)
{
	ws_real_init();
	int n = ws_real.dup(fd);
	copy(fd, n);
	return n;
}

WS_EXPORT int dup2(int fd, int nfd)
{
	ws_real_init();
	int n = ws_real.dup2(fd, nfd);
	if (n >= 0 && n != fd)
		copy(fd, n);
	return n;
}

WS_EXPORT int dup3(int fd, int nfd, int flags)
{
	ws_real_init();
	int n = ws_real.dup3(fd, nfd, flags);
	copy(fd, n);
	return n;
}

static int do_fcntl(int fd, int cmd, va_list ap)
{
	/* Every fcntl argument is an int or a pointer; both travel in one
	 * register-sized slot on the ABIs glibc supports. */
	void *arg = va_arg(ap, void *);
	int n = ws_real.fcntl(fd, cmd, arg);
	if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && n >= 0)
		copy(fd, n);
	return n;
}

WS_EXPORT int fcntl(int fd, int cmd, ...)
{
	ws_real_init();
	va_list ap;
	va_start(ap, cmd);
	int n = do_fcntl(fd, cmd, ap);
	va_end(ap);
	return n;
}

WS_EXPORT int fcntl64(int fd, int cmd, ...)
{
	ws_real_init();
	va_list ap;
	va_start(ap, cmd);
	int n = do_fcntl(fd, cmd, ap);
	va_end(ap);
	return n;
}

WS_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	ws_real_init();
	int rc = ws_real.close_range(first, last, flags);
	if (rc == 0 && ws_cfg.active && !(flags & CLOSE_RANGE_CLOEXEC)) {
		struct ws_fd *e;
		for (unsigned fd = first; fd <= last && fd <= (unsigned)ws_fd_max() &&
					  (e = ws_fd_get((int)fd)); fd++)
			forget((int)fd);
	}
	return rc;
}

/* glibc's closefrom() uses the close_range system call directly, not the
 * close_range() function, so it needs its own wrapper (sshd calls it). */
WS_EXPORT void closefrom(int lowfd)
{
	ws_real_init();
	if (ws_real.closefrom)
		ws_real.closefrom(lowfd);
	else
		ws_real.close_range((unsigned)lowfd, ~0u, 0);
	if (!ws_cfg.active || lowfd < 0)
		return;
	for (int fd = lowfd; ws_fd_get(fd) && fd <= ws_fd_max(); fd++)
		forget(fd);
}
