/* Test harness for the nat engine: loads a spliced config, builds the
 * backend pool and the engine, forwards until SIGINT/SIGTERM, then prints
 * the engine counters as "name value" lines on stdout.
 *
 * It stands in for spliced's main (branch control) so the engine's netns
 * tests can run on their own; it has no control socket and no health
 * checks. Usage: en_nat_harness CONFIG */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "engine/engine_ctl.h"
#include "engine/engine.h"
#include "modes.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct disp_config *cfg = NULL;
	struct disp_pool *pool = NULL;
	struct disp_engine *e = NULL;
	struct sigaction sa;
	char err[512] = "";
	int r, rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CONFIG\n", argv[0]);
		return 2;
	}
	r = disp_config_load(argv[1], &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	r = disp_pool_create(cfg, &pool);
	if (r < 0) {
		fprintf(stderr, "backend pool: %s\n", strerror(-r));
		goto cleanup;
	}
	r = disp_engine_create(&e, cfg, pool, spliced_modes, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "engine: %s\n", err[0] ? err : strerror(-r));
		goto cleanup;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = disp_engine_start(e);
	if (r < 0) {
		fprintf(stderr, "engine start: %s\n", strerror(-r));
		goto cleanup;
	}
	fprintf(stderr, "en_nat_harness: forwarding\n");
	while (!stop)
		pause();
	disp_engine_stop(e);
	r = disp_engine_join(e);
	disp_engine_print_stats(e, stdout);
	rc = r < 0 ? 1 : 0;
cleanup:
	disp_engine_destroy(e);
	disp_pool_free(pool);
	disp_config_free(cfg);
	return rc;
}
