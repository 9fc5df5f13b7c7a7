/* Scheduler benchmark: cost of one pick for rr, wlc and source-hash at
 * several backend counts, and the client disruption when one backend of
 * N goes DOWN: spliced's rendezvous source-hash against the common
 * alternative, hash(client) % (number of UP backends), in the same run.
 *
 *   sched_bench           full run (1e6 picks per cell, 200k clients)
 *   sched_bench --quick   smoke form for the 'bench' suite
 *
 * Exit status is non-zero if rendezvous hashing moves more than 1.5/N of
 * the clients, so the smoke form also guards the consistency promise. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct disp_config *build(const char *sched, unsigned n, struct disp_pool **pool)
{
	size_t cap = 128 + (size_t)n * 48, off = 0;
	char *text = malloc(cap), err[256];
	struct disp_config *cfg = NULL;

	off += (size_t)snprintf(text + off, cap - off,
				"service b {\nvip 10.0.0.1:80\nclient-interface e\nscheduler %s\n",
				sched);
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, cap - off, "backend 10.1.%u.%u:80\n",
					i / 250, i % 250 + 1);
	snprintf(text + off, cap - off, "}\n");
	if (disp_config_parse(text, strlen(text), "bench", &cfg, err, sizeof(err)) < 0 ||
	    disp_pool_create(cfg, pool) < 0) {
		fprintf(stderr, "sched_bench: %s\n", err);
		exit(1);
	}
	free(text);
	return cfg;
}

static struct disp_addr client(uint32_t i)
{
	struct disp_addr a = { .family = AF_INET, .port = 40000 };

	a.ip.v4.s_addr = htonl(0x0b000000u + i * 2654435761u % 0x00ffffffu);
	return a;
}

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	const unsigned picks = quick ? 100000 : 1000000, clients = quick ? 20000 : 200000;
	static const unsigned sizes[] = { 3, 10, 100 };
	static const char *const scheds[] = { "rr", "wlc", "source-hash" };
	int rc = 0;

	printf("ns per pick (%u picks, 1 thread)\n%-12s", picks, "backends");
	for (size_t s = 0; s < 3; s++)
		printf(" %12s", scheds[s]);
	printf("\n");
	for (size_t z = 0; z < 3; z++) {
		printf("%-12u", sizes[z]);
		for (size_t s = 0; s < 3; s++) {
			struct disp_pool *pool;
			struct disp_config *cfg = build(scheds[s], sizes[z], &pool);
			struct disp_bset *bs = disp_pool_bset(pool, 0);
			volatile uintptr_t sink = 0;
			double t0 = now_s();

			for (unsigned i = 0; i < picks; i++) {
				struct disp_addr a = client(i);
				sink ^= (uintptr_t)disp_bset_pick(bs, &a);
			}
			printf(" %12.1f", (now_s() - t0) * 1e9 / picks);
			(void)sink;
			disp_pool_free(pool);
			disp_config_free(cfg);
		}
		printf("\n");
	}

	/* Disruption: one of N backends goes DOWN. */
	printf("\nclients moved when 1 of N backends goes DOWN (%u clients)\n"
	       "%-10s %14s %14s %10s %8s\n", clients, "backends", "rendezvous", "hash % N",
	       "ratio", "ideal");
	for (size_t z = 0; z < 3; z++) {
		unsigned n = sizes[z], gone = n / 2, moved_rv = 0, moved_mod = 0;
		struct disp_pool *pool;
		struct disp_config *cfg = build("source-hash", n, &pool);
		struct disp_bset *bs = disp_pool_bset(pool, 0);
		struct disp_backend **before = malloc(clients * sizeof(*before));

		for (unsigned i = 0; i < clients; i++) {
			struct disp_addr a = client(i);
			before[i] = disp_bset_pick(bs, &a);
		}
		disp_backend_set_healthy(disp_bset_get(bs, gone), false);
		for (unsigned i = 0; i < clients; i++) {
			struct disp_addr a = client(i);
			uint64_t h = mix(a.ip.v4.s_addr);
			unsigned m0 = (unsigned)(h % n), m1 = (unsigned)(h % (n - 1));

			/* modulo over the list of UP backends, order kept */
			m1 = m1 >= gone ? m1 + 1 : m1;
			moved_rv += disp_bset_pick(bs, &a) != before[i];
			moved_mod += m0 != m1;
		}
		printf("%-10u %13.2f%% %13.2f%% %9.1fx %7.2f%%\n", n, 100.0 * moved_rv / clients,
		       100.0 * moved_mod / clients, (double)moved_mod / (moved_rv ? moved_rv : 1),
		       100.0 / n);
		if (moved_rv > 1.5 * clients / n) {
			fprintf(stderr, "sched_bench: rendezvous moved %u of %u (N=%u)\n",
				moved_rv, clients, n);
			rc = 1;
		}
		free(before);
		disp_pool_free(pool);
		disp_config_free(cfg);
	}
	return rc;
}
