/* The signal policy: no signal whose default action ends the process is
 * left at that default unless it is a fault (where a core dump is the
 * point); and after disp_sig_setup the ignored ones really are ignored. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "daemon/signals.h"

/* Signals whose kernel default is to terminate or dump core (signal(7)). */
static bool fatal_by_default(int sig)
{
	static const int fatal[] = { SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT,
				     SIGBUS, SIGFPE, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE,
				     SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ,
				     SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS };

	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		return true;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		if (fatal[i] == sig)
			return true;
	return false;
}

static bool fault(int sig)
{
	return sig == SIGILL || sig == SIGTRAP || sig == SIGABRT || sig == SIGBUS ||
	       sig == SIGFPE || sig == SIGSEGV || sig == SIGSYS;
}

Test(signals, every_fatal_signal_has_an_answer)
{
	char name[32];

	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		if (sig > SIGSYS && sig < SIGRTMIN)
			continue; /* glibc's internal signals (32, 33) */
		if (fatal_by_default(sig) && !fault(sig))
			cr_expect_neq(disp_sig_policy(sig), DISP_SIG_DEFAULT,
				      "%s would still kill spliced silently",
				      disp_sig_name(sig, name, sizeof(name)));
		if (fault(sig))
			cr_expect_eq(disp_sig_policy(sig), DISP_SIG_DEFAULT,
				     "%s must keep its core dump",
				     disp_sig_name(sig, name, sizeof(name)));
	}
}

Test(signals, operator_signals)
{
	cr_expect_eq(disp_sig_policy(SIGTERM), DISP_SIG_STOP);
	cr_expect_eq(disp_sig_policy(SIGINT), DISP_SIG_STOP);
	cr_expect_eq(disp_sig_policy(SIGHUP), DISP_SIG_RELOAD);
	cr_expect_eq(disp_sig_policy(SIGUSR2), DISP_SIG_RELOAD);
	cr_expect_eq(disp_sig_policy(SIGUSR1), DISP_SIG_STATUS);
	cr_expect_eq(disp_sig_policy(SIGPIPE), DISP_SIG_IGNORE);
	cr_expect_eq(disp_sig_policy(SIGKILL), DISP_SIG_DEFAULT);
}

Test(signals, names)
{
	char b[32];

	cr_expect_str_eq(disp_sig_name(SIGHUP, b, sizeof(b)), "SIGHUP");
	cr_expect_str_eq(disp_sig_name(SIGRTMIN + 3, b, sizeof(b)), "SIGRTMIN+3");
}

Test(signals, setup_ignores_and_collects)
{
	sigset_t w;

	cr_assert_eq(disp_sig_setup(&w), 0);
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		enum disp_sig_act a = disp_sig_policy(sig);
		bool in = sigismember(&w, sig) == 1;

		cr_expect_eq(in, a == DISP_SIG_STOP || a == DISP_SIG_RELOAD || a == DISP_SIG_STATUS,
			     "signal %d in the wait set: %d", sig, in);
	}
	/* Ignored for real: these would end this test process otherwise. */
	raise(SIGPIPE);
	raise(SIGALRM);
	raise(SIGRTMIN + 1);
	raise(SIGXFSZ);
}
