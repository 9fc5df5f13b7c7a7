/* spliced's log sink. Lines go out with one write each, so lines from
 * several threads never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static bool to_syslog, debug;

void disp_log_open(bool use_syslog, bool verbose)
{
	to_syslog = use_syslog;
	debug = verbose;
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
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ spliced %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		     names[prio & 7]);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strnlen(line, sizeof(line) - 2);
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
