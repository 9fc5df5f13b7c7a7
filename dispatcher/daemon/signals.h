/* What spliced does with each signal: every signal a process can be sent
 * has a deliberate answer here, so none kills spliced without a log line
 * and a clean stop (the control socket removed). */
#ifndef DISP_SIGNALS_H
#define DISP_SIGNALS_H

#include <signal.h>

enum disp_sig_act {
	DISP_SIG_STOP,    /* stop cleanly: TERM, INT, QUIT, XCPU */
	DISP_SIG_RELOAD,  /* apply the config again: HUP, USR2 (HAProxy's reload) */
	DISP_SIG_STATUS,  /* log one status line: USR1 */
	DISP_SIG_IGNORE,  /* nothing: PIPE (errors come back as EPIPE), ALRM, ... */
	DISP_SIG_DEFAULT, /* the kernel's default on purpose: faults dump core
			   * (SEGV, BUS, ...), KILL and STOP cannot be caught,
			   * CHLD/WINCH/URG/CONT are harmless */
};

/* The answer for SIG (1..SIGRTMAX). */
enum disp_sig_act disp_sig_policy(int sig);

/* A short name for a signal number ("SIGHUP", "SIGRTMIN+3"), for logs. */
const char *disp_sig_name(int sig, char *buf, size_t len);

/* Sets every DISP_SIG_IGNORE signal to SIG_IGN and fills *wait with the
 * STOP, RELOAD and STATUS signals, which the caller blocks in every thread
 * (before starting any) and takes with sigwait(). Returns 0 or -errno. */
int disp_sig_setup(sigset_t *wait);

#endif
