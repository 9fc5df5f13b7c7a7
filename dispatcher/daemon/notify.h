/* Telling systemd (Type=notify) where spliced is: ready, reloading,
 * stopping, and a one-line status for `systemctl status`. Without
 * NOTIFY_SOCKET in the environment (not under systemd) every call does
 * nothing. */
#ifndef DISP_NOTIFY_H
#define DISP_NOTIFY_H

#include <stdint.h>

/* READY=1 with STATUS=: after the sockets are open and the workers run. */
void disp_notify_ready(const char *status);

/* RELOADING=1 (with the MONOTONIC_USEC= newer systemd wants) before a
 * reload; disp_notify_ready() again after it. */
void disp_notify_reloading(void);

/* The watchdog interval systemd asks for (WatchdogSec=, through
 * WATCHDOG_USEC), in microseconds; 0 when none. */
uint64_t disp_notify_watchdog_usec(void);

/* WATCHDOG=1: spliced is alive (send at least every half interval). */
void disp_notify_watchdog(void);

/* STOPPING=1 when a stop begins. */
void disp_notify_stopping(void);

/* STATUS= only, printf-style. */
__attribute__((format(printf, 1, 2)))
void disp_notify_status(const char *fmt, ...);

#endif
