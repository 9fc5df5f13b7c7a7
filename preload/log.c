/* One-line logs, formatted on the stack. A log file is opened per line so an
 * application that closes every descriptor (daemons, sshd) cannot close it
 * under us or have us write into one of its own files. */
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ws_loglevel = WS_LOG_WARN;
static char logfile[256];

void ws_log_set_file(const char *path)
{
	if (path && strlen(path) < sizeof(logfile))
		memcpy(logfile, path, strlen(path) + 1);
}

void ws_log(int level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	char buf[512];
	int saved = errno, n, fd = 2;
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
	if (logfile[0]) {
		fd = open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			fd = 2;
	}
	ssize_t w = ws_real.write ? ws_real.write(fd, buf, (size_t)n) : write(fd, buf, (size_t)n);
	(void)w;
	if (fd != 2)
		(ws_real.close ? ws_real.close : close)(fd);
	errno = saved;
}
