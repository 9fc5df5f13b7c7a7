/* Signal policy. Faults keep their default (a core dump says more than a
 * log line could); anything else a user or the kernel may send is either
 * handled by the main thread's sigwait() or ignored. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/signals.h"

enum disp_sig_act disp_sig_policy(int sig)
{
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		return DISP_SIG_IGNORE; /* nobody has a reason to send these */
	switch (sig) {
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
	case SIGXCPU: /* soft CPU limit: stop while we still can */
		return DISP_SIG_STOP;
	case SIGHUP:
	case SIGUSR2:
		return DISP_SIG_RELOAD;
	case SIGUSR1:
		return DISP_SIG_STATUS;
	case SIGPIPE:   /* a peer closed the control socket: send() says EPIPE */
	case SIGALRM:   /* no timers use signals */
	case SIGVTALRM:
	case SIGPROF:
	case SIGIO:     /* no O_ASYNC descriptors */
	case SIGXFSZ:   /* a write past RLIMIT_FSIZE fails with EFBIG instead */
	case SIGTTIN:   /* started in the background of a terminal */
	case SIGTTOU:
	case SIGTSTP:   /* ^Z: a daemon does not suspend itself */
	case SIGPWR:
	case SIGSTKFLT:
		return DISP_SIG_IGNORE;
	default:
		/* SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS:
		 * core; SIGKILL, SIGSTOP: cannot be caught; SIGCHLD, SIGCONT,
		 * SIGURG, SIGWINCH: ignored by default already. */
		return DISP_SIG_DEFAULT;
	}
}

const char *disp_sig_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

int disp_sig_setup(sigset_t *wait)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };

	sigemptyset(wait);
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		switch (disp_sig_policy(sig)) {
		case DISP_SIG_IGNORE:
			if (sigaction(sig, &ign, NULL) == -1 && errno != EINVAL)
				return -errno;
			break;
		case DISP_SIG_DEFAULT:
			break;
		default:
			sigaddset(wait, sig);
			break;
		}
	}
	return 0;
}
