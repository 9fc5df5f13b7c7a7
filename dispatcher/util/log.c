/* spliced's log sink. Lines go out with one write each, so lines from
 * several threads never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static bool to_syslog, debug, to_journal;

/* systemd sets JOURNAL_STREAM=DEV:INODE of the stream it connected to
 * stderr; only when stderr is still that stream does a "<N>" prefix reach
 * journald as the line's priority (sd-daemon(3)), so `journalctl -p err`
 * finds errors. The journal stamps lines itself. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int n = 0;

	if (!js || sscanf(js, "%llu:%llu%n", &dev, &ino, &n) != 2 || js[n] != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void disp_log_open(bool use_syslog, bool verbose)
{
	to_syslog = use_syslog;
	debug = verbose;
	to_journal = !use_syslog && stderr_is_journal();
	if (use_syslog)
		openlog("spliced", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void disp_log(int prio, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error",
					     "warning", "notice", "info", "debug" };
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	if (prio == LOG_DEBUG && !debug)
		return;
	va_start(ap, fmt);
	if (to_syslog) {
		vsyslog(prio, fmt, ap);
		va_end(ap);
		return;
	}
	if (to_journal) {
		n = snprintf(line, sizeof(line), "<%d>%s: ", prio & 7, names[prio & 7]);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ spliced %s: ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			     names[prio & 7]);
	}
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strnlen(line, sizeof(line) - 2);
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
