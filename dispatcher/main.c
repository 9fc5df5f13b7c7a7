/* spliced: the dispatcher daemon.
 *
 * Order matters: load and check the config, build the backend pool, open
 * everything that needs privileges (the engine's packet sockets, the
 * control socket), drop to CAP_NET_RAW + CAP_NET_ADMIN (and the configured
 * user) while still single-threaded, because capabilities are per thread;
 * only then start the control, health and worker threads. Signals are
 * blocked in every thread and taken synchronously by the main thread.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/backend_ctl.h"
#include "backend/backend_state.h"
#include "backend/health.h"
#include "conf/config.h"
#include "ctl/ctl.h"
#include "daemon/backend_cmd.h"
#include "daemon/notify.h"
#include "daemon/reload.h"
#include "daemon/signals.h"
#include "engine/engine.h"
#include "engine/engine_ctl.h"
#include "fastpath/fastpath.h"
#include "splice/splice_mode.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/privdrop.h"
#include "modes.h"

#ifndef SPLICED_VERSION
#define SPLICED_VERSION "0.1.0"
#endif

struct opts {
	const char *config;
	bool check, use_syslog, verbose, no_privdrop;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: spliced -c FILE [--syslog] [-v] [--no-privdrop]\n"
		"       spliced --check -c FILE\n\n"
		"  -c, --config FILE  configuration (format: tools/examples/nat.conf)\n"
		"      --check        validate the configuration and exit (0 = valid)\n"
		"      --syslog       log to syslog instead of stderr\n"
		"  -v, --verbose      log debug messages too\n"
		"      --no-privdrop  keep every capability (debugging only)\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n\n"
		"Runs in the foreground; SIGINT or SIGTERM stops it and prints the\n"
		"final counters on stdout. Query it with splicectl.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-privdrop", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vhV", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'k': o->check = true; break;
		case 'S': o->use_syslog = true; break;
		case 'v': o->verbose = true; break;
		case 'P': o->no_privdrop = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("spliced %s\n", SPLICED_VERSION); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "spliced: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->config) {
		fprintf(stderr, "spliced: no configuration given (expected -c FILE)\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* --check: the parse already proved the syntax; add what only the host
 * can tell (the user exists; interfaces are only warned about, as a
 * config is often checked on another machine than it runs on). */
/* --check, when a service asks for the fast path: try loading it here (no
 * pinning, nothing attached) and say whether it loads and, if not, why. A
 * warning, not a failure: the config may be meant for another host. */
static void check_fastpath(const struct disp_config *cfg)
{
	struct disp_fp *fp = NULL;
	char why[512] = "";

	if (!disp_config_wants_fastpath(cfg))
		return;
	if (cfg->workers > 1)
		fprintf(stderr, "%s: warning: the fast path runs with workers 1 only; "
			"with workers %u, 'fastpath auto' forwards in user space and "
			"'fastpath tc' refuses to start\n", cfg->path, cfg->workers);
	if (disp_fp_open(&fp, NULL, 1, why, sizeof(why)) == 0) {
		disp_fp_close(fp, false);
		printf("%s: fastpath: loads on this host\n", cfg->path);
		return;
	}
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct disp_service_conf *s = &cfg->services[i];

		if (s->fastpath != DISP_FASTPATH_OFF)
			fprintf(stderr,
				"%s:%u: warning: service '%s' asks for fastpath %s, which cannot load here: %s\n",
				cfg->path, s->line, s->name, disp_fastpath_name(s->fastpath), why);
	}
}

static int check(const struct disp_config *cfg)
{
	size_t nb = 0;

	if (cfg->user[0] && !getpwnam(cfg->user)) {
		fprintf(stderr, "%s: user '%s' does not exist on this host\n", cfg->path,
			cfg->user);
		return 1;
	}
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct disp_service_conf *s = &cfg->services[i];

		nb += s->n_backends;
		if (!if_nametoindex(s->client_if))
			fprintf(stderr, "%s:%u: warning: interface %s does not exist here\n",
				cfg->path, s->line, s->client_if);
		if (strcmp(s->server_if, s->client_if) != 0 && !if_nametoindex(s->server_if))
			fprintf(stderr, "%s:%u: warning: interface %s does not exist here\n",
				cfg->path, s->line, s->server_if);
		/* Workers share traffic through AF_PACKET fanout; libpcap has
		 * none, so one pcap service makes the whole daemon one worker. */
		if (cfg->workers > 1 && s->io != DISP_IO_PACKET)
			fprintf(stderr, "%s:%u: warning: service %s uses io pcap, so spliced runs 1 worker, not %u (workers needs io packet in every service)\n",
				cfg->path, s->line, s->name, cfg->workers);
	}
	check_fastpath(cfg);
	printf("%s: OK, %zu service%s, %zu backend%s\n", cfg->path, cfg->n_services,
	       cfg->n_services == 1 ? "" : "s", nb, nb == 1 ? "" : "s");
	return 0;
}

static void on_health(void *arg, const char *service, const struct disp_addr *be,
		      bool healthy, const char *reason)
{
	char a[DISP_ADDR_STRLEN];

	(void)arg;
	disp_log(healthy ? LOG_NOTICE : LOG_WARNING, "service %s: backend %s is %s (%s)",
		 service, disp_addr_format(be, a, sizeof(a)), healthy ? "UP" : "DOWN",
		 reason);
}

/* One line for `systemctl status` and SIGUSR1: what runs, and the
 * counters that say whether it forwards. */
static const char *status_line(const struct disp_config *cfg, struct disp_engine *eng,
			       char *buf, size_t len)
{
	struct disp_engine_stats st;

	disp_engine_stats(eng, &st);
	snprintf(buf, len, "forwarding: %zu service%s, %u worker%s, %llu flows, %llu packets",
		 cfg->n_services, cfg->n_services == 1 ? "" : "s", st.workers,
		 st.workers == 1 ? "" : "s", (unsigned long long)st.flows_created,
		 (unsigned long long)st.rx_packets);
	return buf;
}

/* With WatchdogSec= in the unit: WATCHDOG=1 every quarter interval while
 * every worker still turns its loop; a stuck worker stops the feeding, so
 * systemd restarts spliced (logged once). */
static void feed_watchdog(uint64_t usec, struct disp_engine *eng, uint64_t *last, bool *starved)
{
	uint64_t now = disp_now_ms(), ms = usec / 1000;
	int w;

	if (!usec || now - *last < ms / 4)
		return;
	*last = now;
	w = disp_engine_stalled(eng, ms / 2);
	if (w < 0) {
		disp_notify_watchdog();
		*starved = false;
	} else if (!*starved) {
		disp_log(LOG_ERR, "worker %d has not turned for %llu ms: no longer feeding the watchdog",
			 w, (unsigned long long)(ms / 2));
		*starved = true;
	}
}

/* Waits for one of sigs and returns it, feeding the watchdog meanwhile. */
static int wait_signal(const sigset_t *sigs, uint64_t wd_usec, struct disp_engine *eng)
{
	static uint64_t last;
	static bool starved;
	struct timespec ts = { .tv_sec = (time_t)(wd_usec / 4 / 1000000),
			       .tv_nsec = (long)(wd_usec / 4 % 1000000) * 1000 };
	int sig;

	if (wd_usec && ts.tv_sec == 0 && ts.tv_nsec < 1000000)
		ts.tv_nsec = 1000000; /* a sub-4 ms watchdog: do not spin */
	for (;;) {
		feed_watchdog(wd_usec, eng, &last, &starved);
		if (!wd_usec) {
			if (sigwait(sigs, &sig) == 0)
				return sig;
			continue;
		}
		sig = sigtimedwait(sigs, NULL, &ts);
		if (sig > 0)
			return sig;
	}
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct disp_config *cfg = NULL;
	struct disp_pool *pool = NULL;
	struct disp_engine *eng = NULL;
	struct disp_ctl *ctl = NULL;
	struct disp_health *health = NULL;
	struct disp_reload *reload = NULL;
	char err[1024] = "", status[256], signame[32], msg[2048];
	sigset_t sigs;
	uint64_t wd_usec;
	int r, sig = 0, rc = 1;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	r = disp_config_load(o.config, &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (o.check) {
		rc = check(cfg);
		disp_config_free(cfg);
		return rc;
	}
	disp_log_open(o.use_syslog, o.verbose);

	/* Blocked before any thread exists, so every thread inherits it and
	 * only sigwait below sees these; the rest are ignored or keep their
	 * default on purpose (daemon/signals.c). */
	r = disp_sig_setup(&sigs);
	if (r < 0) {
		disp_log(LOG_ERR, "signals: %s", strerror(-r));
		goto cleanup;
	}
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	r = disp_pool_create(cfg, &pool);
	if (r < 0) {
		disp_log(LOG_ERR, "backend pool: %s", strerror(-r));
		goto cleanup;
	}
	if (cfg->state_path[0]) {
		struct disp_state_result sr;

		r = disp_pool_state_load(pool, cfg->state_path, &sr, err, sizeof(err));
		if (r == -EINVAL || r == -EFBIG) {
			disp_log(LOG_ERR, "state-file %s: %s", cfg->state_path, err);
			goto cleanup;
		}
		if (r < 0) {
			disp_log(LOG_ERR, "state-file %s: %s", cfg->state_path, strerror(-r));
			goto cleanup;
		}
		disp_log(LOG_INFO, "state-file %s: %u backends restored, %u lines for backends no longer configured",
			 cfg->state_path, sr.applied, sr.skipped);
	}
	r = disp_engine_create(&eng, cfg, pool, spliced_modes, err,
			       sizeof(err));
	if (r < 0) {
		disp_log(LOG_ERR, "engine: %s", err[0] ? err : strerror(-r));
		goto cleanup;
	}
	r = disp_ctl_open(cfg->ctl_path, cfg->ctl_mode, &ctl, err, sizeof(err));
	if (r < 0) {
		disp_log(LOG_ERR, "%s", err);
		goto cleanup;
	}
	r = disp_reload_create(&(struct disp_reload_parts){
		.cfg = cfg, .pool = pool, .eng = eng, .health = &health,
		.health_cb = on_health }, &reload);
	/* Each subsystem adds its own commands; the order is `help`'s. */
	if (r < 0 ||
	    (r = disp_backend_ctl_register(ctl, cfg, pool)) < 0 ||
	    (r = disp_engine_ctl_register(ctl, eng)) < 0 ||
	    (r = splice_ctl_register(ctl, cfg, pool, eng)) < 0 ||
	    (r = disp_reload_ctl_register(ctl, reload)) < 0 ||
	    (r = disp_backend_cmd_register(ctl, reload)) < 0) {
		disp_log(LOG_ERR, "control commands: %s", strerror(-r));
		goto cleanup;
	}
	r = disp_health_create(cfg, pool, on_health, NULL, &health);
	if (r < 0) {
		disp_log(LOG_ERR, "health checks: %s", strerror(-r));
		goto cleanup;
	}
	if (!o.no_privdrop) {
		bool bpf = disp_config_wants_fastpath(cfg);

		r = disp_privdrop(cfg->user, bpf, err, sizeof(err));
		if (r < 0) {
			disp_log(LOG_ERR, "dropping privileges: %s", err);
			goto cleanup;
		}
		disp_log(LOG_INFO, "privileges dropped to CAP_NET_RAW, CAP_NET_ADMIN%s%s%s",
			 bpf ? ", CAP_BPF" : "", cfg->user[0] ? ", user " : "", cfg->user);
	}
	if ((r = disp_ctl_start(ctl)) < 0 || (r = disp_health_start(health)) < 0 ||
	    (r = disp_engine_start(eng)) < 0) {
		disp_log(LOG_ERR, "starting threads: %s", strerror(-r));
		goto stop;
	}
	/* The workers that really run (a pcap service makes it one). */
	disp_log(LOG_INFO, "%s, control socket %s",
		 status_line(cfg, eng, status, sizeof(status)), cfg->ctl_path);
	disp_notify_ready(status_line(cfg, eng, status, sizeof(status)));
	wd_usec = disp_notify_watchdog_usec();
	if (wd_usec)
		disp_log(LOG_INFO, "systemd watchdog: every %llu ms", (unsigned long long)(wd_usec / 1000));
	for (;;) {
		sig = wait_signal(&sigs, wd_usec, eng);
		disp_sig_name(sig, signame, sizeof(signame));
		if (disp_sig_policy(sig) == DISP_SIG_STOP)
			break;
		if (disp_sig_policy(sig) == DISP_SIG_STATUS) {
			disp_log(LOG_NOTICE, "%s: %s", signame,
				 status_line(cfg, eng, status, sizeof(status)));
		} else {
			/* reload.c logs the outcome, line by line. */
			disp_log(LOG_NOTICE, "%s: reloading %s", signame, cfg->path);
			(void)disp_reload_run(reload, msg, sizeof(msg));
		}
	}
	disp_notify_stopping();
	disp_log(LOG_INFO, "%s: stopping", signame);
	rc = 0;
stop:
	disp_engine_stop(eng);
	r = disp_engine_join(eng);
	if (r < 0) {
		disp_log(LOG_ERR, "engine worker failed: %s", strerror(-r));
		rc = 1;
	}
	/* The control thread first: a `reload` it runs replaces health. */
	disp_ctl_stop(ctl);
	disp_health_stop(health);
	if (cfg->state_path[0] && (r = disp_pool_state_save(pool, cfg->state_path)) < 0)
		disp_log(LOG_WARNING, "state-file %s not written: %s", cfg->state_path, strerror(-r));
	disp_engine_print_stats(eng, stdout);
cleanup:
	disp_health_free(health);
	disp_ctl_close(ctl);
	disp_reload_free(reload);
	disp_engine_destroy(eng);
	disp_pool_free(pool);
	disp_config_free(cfg);
	return rc;
}
