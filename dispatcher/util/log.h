/* spliced's log: stderr (foreground, systemd's journal) or syslog. */
#ifndef DISP_LOG_H
#define DISP_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Chooses the sink once at startup, before threads start. */
void disp_log_open(bool use_syslog, bool verbose);

/* Logs one line at a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO,
 * LOG_DEBUG); LOG_DEBUG only when verbose. Thread-safe. */
__attribute__((format(printf, 2, 3)))
void disp_log(int prio, const char *fmt, ...);

#endif
