/* One-line logs, formatted on the stack. A log file is opened per line so an
 * application that closes every descriptor (daemons, sshd) cannot close it
 * under us or have us write into one of its own files. */
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ws_loglevel = WS_LOG_WARN;
static char logfile[256];

/* What fd 2 was when the program started. Daemons close it, or dup a
 * client's socket or a file of their own onto it (vsftpd, inetd-style
 * servers); a line of ours written there would corrupt a protocol or a
 * file that is not ours. So lines go to fd 2 only while it is still the
 * same file, and never when it is a socket. */
static dev_t err_dev;
static ino_t err_ino;
static bool err_known;

__attribute__((constructor(101))) static void log_note_stderr(void)
{
	struct stat st;

	err_known = fstat(2, &st) == 0 && !S_ISSOCK(st.st_mode);
	err_dev = st.st_dev;
	err_ino = st.st_ino;
}

static bool stderr_unchanged(void)
{
	struct stat st;

	return err_known && fstat(2, &st) == 0 && st.st_dev == err_dev && st.st_ino == err_ino;
}

void ws_log_set_file(const char *path)
{
	if (path && strlen(path) < sizeof(logfile))
		memcpy(logfile, path, strlen(path) + 1);
}

void ws_log(int level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	char buf[512];
	int saved = errno, n, fd = -1;
	va_list ap;

	if (level > ws_loglevel)
		return;
	n = snprintf(buf, sizeof(buf), "withsplice[%d] %s %s: ", (int)getpid(), ws_cfg.prog,
		     names[level]);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* The file may be out of reach (a chroot, dropped privileges). */
	if (logfile[0])
		fd = open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (!stderr_unchanged()) {
			errno = saved;
			return;
		}
		fd = 2;
	}
	ssize_t w = ws_real.write ? ws_real.write(fd, buf, (size_t)n) : write(fd, buf, (size_t)n);
	(void)w;
	if (fd != 2)
		(ws_real.close ? ws_real.close : close)(fd);
	errno = saved;
}
