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
#include "engine/engine.h"

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
	struct disp_engine_stats st;
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
	r = disp_engine_create(&e, cfg, pool, err, sizeof(err));
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
	disp_engine_stats(e, &st);
	printf("rx_packets %llu\ntx_packets %llu\ntx_errors %llu\n"
	       "flows_created %llu\nflows_active %llu\nflows_closed %llu\n"
	       "flows_expired %llu\nrefused_full %llu\nrefused_nobackend %llu\n"
	       "rst_sent %llu\ndropped_parse %llu\ndropped_noflow %llu\n"
	       "ignored %llu\ncsum_bad %llu\ngso_packets %llu\ngso_segments %llu\n"
	       "flow_capacity %u\nbytes_per_flow %u\n",
	       (unsigned long long)st.rx_packets, (unsigned long long)st.tx_packets,
	       (unsigned long long)st.tx_errors, (unsigned long long)st.flows_created,
	       (unsigned long long)st.flows_active, (unsigned long long)st.flows_closed,
	       (unsigned long long)st.flows_expired, (unsigned long long)st.refused_full,
	       (unsigned long long)st.refused_nobackend, (unsigned long long)st.rst_sent,
	       (unsigned long long)st.dropped_parse, (unsigned long long)st.dropped_noflow,
	       (unsigned long long)st.ignored, (unsigned long long)st.csum_bad,
	       (unsigned long long)st.gso_packets, (unsigned long long)st.gso_segments,
	       st.flow_capacity, st.bytes_per_flow);
	for (unsigned i = 0; i < st.workers; i++) {
		struct disp_engine_stats ws;

		if (disp_engine_worker_stats(e, i, &ws) == 0)
			printf("worker%u_flows %llu\n", i,
			       (unsigned long long)ws.flows_created);
	}
	printf("retransmits %llu\nresets %llu\nworkers %u\n",
	       (unsigned long long)st.retransmits, (unsigned long long)st.resets,
	       st.workers);
	fflush(stdout);
	rc = r < 0 ? 1 : 0;
cleanup:
	disp_engine_destroy(e);
	disp_pool_free(pool);
	disp_config_free(cfg);
	return rc;
}
