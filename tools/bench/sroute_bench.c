/* Session-router cost per connection, against the scheduler alone, in one
 * run on the same pool (3 backends, rr):
 *   - sched:   disp_bset_pick, what nat mode pays per new flow
 *   - miss:    sroute_pick of a hello whose session ID is unknown
 *   - hit:     sroute_pick of a known session ID (table hit: load view,
 *              lock, pick, acquire) + sroute_release
 *   - hit x2:  the same from two threads at once on one router (its one
 *              mutex is the shared point of splice mode)
 * Hellos are filled in directly (a parsed ClientHello's fields): the TLS
 * parser's own cost is tools/bench/tls_parse.c's subject.
 *
 *   sroute_bench [N]   (default 1000000 picks over min(N / 10, 100000)
 *                       sessions)
 * Prints ns per connection (CPU time of the measuring thread) and ratios
 * to sched.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "ctl/ctl.h"
#include "splice/route/splice_route.h"

static struct disp_config *cfg;
static struct disp_pool *pool;
static struct sroute *r;
static uint8_t (*sids)[32];
static unsigned nsess, npicks;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void hello(struct tls_client_hello *ch, const uint8_t *sid)
{
	memset(ch, 0, sizeof(*ch));
	ch->record_version = ch->client_version = ch->max_version = 0x0303;
	ch->session_id = sid;
	ch->session_id_len = 32;
}

/* ns per sroute_pick (+ release) over i = 0..npicks of session i % nsess
 * (or unknown IDs when miss). */
static double run_picks(bool miss, unsigned seed)
{
	struct disp_addr c = { .family = AF_INET, .port = 1 };
	struct tls_client_hello ch;
	struct sroute_pick p;
	uint8_t other[32];
	double t0 = now_ns();

	memset(other, 0xa5, sizeof(other));
	for (unsigned i = 0; i < npicks; i++) {
		unsigned k = (i * 2654435761u + seed) % nsess;

		if (miss)
			memcpy(other, &i, sizeof(i));
		hello(&ch, miss ? other : sids[k]);
		/* One clock tick for the whole run: sessions never expire. */
		if (sroute_pick(r, &ch, &c, i, 1, NULL, 0, &p) < 0)
			abort();
		sroute_release(r, &p, 1);
	}
	return (now_ns() - t0) / npicks;
}

static void *thread_picks(void *arg)
{
	double *ns = arg;

	*ns = run_picks(false, 7);
	return NULL;
}

static atomic_bool picking;

static double wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *slowest_pick(void *arg)
{
	struct disp_addr c = { .family = AF_INET, .port = 1 };
	double *max = arg;

	for (unsigned i = 0; atomic_load(&picking); i++) {
		struct tls_client_hello ch;
		struct sroute_pick p;
		double t0 = wall_ns(), dt;

		hello(&ch, sids[(i * 2654435761u) % nsess]);
		sroute_pick(r, &ch, &c, i, 1, NULL, 0, &p);
		sroute_release(r, &p, 1);
		dt = wall_ns() - t0;
		if (dt > *max)
			*max = dt;
	}
	return NULL;
}

/* Slowest pick of a second thread over ~200 ms, running `show table`
 * into o meanwhile (o NULL: sleeping instead). */
static double max_pick_ns(struct disp_ctl_out *o)
{
	struct timespec nap = { 0, 200000000 };
	double max = 0;
	pthread_t th;

	atomic_store(&picking, true);
	pthread_create(&th, NULL, slowest_pick, &max);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	if (o)
		sroute_show(r, o, false, 1);
	else
		nanosleep(&nap, NULL);
	atomic_store(&picking, false);
	pthread_join(th, NULL);
	return max;
}

int main(int argc, char **argv)
{
	static const char text[] =
		"service s {\n vip 10.0.0.1:443\n client-interface c0\n mode splice\n"
		" load-guard off\n session-table-size 131072\n"
		" backend 10.0.1.1:443\n backend 10.0.1.2:443\n backend 10.0.1.3:443\n}\n";
	struct disp_addr c = { .family = AF_INET, .port = 1 };
	struct tls_server_stream s;
	char err[256];
	double sched, miss, hit, two[2], wall2;
	pthread_t th;

	npicks = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000000;
	if (npicks < 100)
		npicks = 100;
	nsess = npicks / 10 < 100000 ? npicks / 10 : 100000;
	if (disp_config_parse(text, sizeof(text) - 1, "bench", &cfg, err, sizeof(err)) < 0 ||
	    disp_pool_create(cfg, &pool) < 0 ||
	    sroute_create(&r, &cfg->services[0], disp_pool_bset(pool, 0), err, sizeof(err)) < 0) {
		fprintf(stderr, "sroute_bench: %s\n", err);
		return 1;
	}
	sids = calloc(nsess, sizeof(*sids));
	if (!sids)
		return 1;
	/* Learn every session as a server's ServerHello would teach it. */
	for (unsigned i = 0; i < nsess; i++) {
		struct tls_client_hello ch;
		struct sroute_pick p;

		for (int b = 0; b < 32; b++)
			sids[i][b] = (uint8_t)(i * 131 + (unsigned)b * 7 + (i >> 8));
		memcpy(sids[i], &i, sizeof(i));
		hello(&ch, sids[i]);
		sroute_pick(r, &ch, &c, i, 0, NULL, 0, &p);
		memset(&s, 0, sizeof(s));
		s.seen_hello = true;
		s.version = s.legacy_version = 0x0303;
		s.session_id_len = 32;
		memcpy(s.session_id, sids[i], 32);
		s.encrypted = true;
		sroute_server(r, &p, &s, 0);
		sroute_release(r, &p, 0);
	}
	{
		double t0 = now_ns();

		for (unsigned i = 0; i < npicks; i++)
			if (!disp_bset_pick(disp_pool_bset(pool, 0), &c))
				abort();
		sched = (now_ns() - t0) / npicks;
	}
	miss = run_picks(true, 0);
	hit = run_picks(false, 3);
	{
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		pthread_create(&th, NULL, thread_picks, &two[1]);
		two[0] = run_picks(false, 11);
		pthread_join(th, NULL);
		clock_gettime(CLOCK_MONOTONIC, &b);
		wall2 = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	}
	{
		struct sroute_stats st;

		sroute_get_stats(r, &st, NULL, 0);
		/* Two threads on one session now and then see it BUSY. */
		printf("sessions %u, picks %u, table entries %u, hits %llu of %u\n", nsess,
		       npicks, st.table.entries, (unsigned long long)st.table_hits, 3 * npicks);
		if (st.table_hits < 3ull * npicks * 99 / 100) {
			fprintf(stderr, "sroute_bench: too few table hits: not measuring hits\n");
			return 1;
		}
	}
	printf("%-22s %8.1f ns/conn  x%.2f\n", "sched (disp_bset_pick)", sched, 1.0);
	printf("%-22s %8.1f ns/conn  x%.2f\n", "sroute miss", miss, miss / sched);
	printf("%-22s %8.1f ns/conn  x%.2f\n", "sroute hit+release", hit, hit / sched);
	printf("%-22s %8.1f ns/conn  x%.2f (CPU per thread); %.2f M conns/s wall, both\n",
	       "sroute hit, 2 threads", (two[0] + two[1]) / 2, (two[0] + two[1]) / 2 / sched,
	       2.0 * npicks / wall2 * 1e3);
	{
		/* What `show table` costs the data path: the slowest pick of a
		 * thread picking while it runs, against the slowest without. */
		struct disp_ctl_out *o = disp_ctl_out_new();
		double quiet = max_pick_ns(NULL), during = max_pick_ns(o);
		size_t len;

		disp_ctl_out_str(o, &len);
		printf("%-22s %8.1f us slowest pick during it (%.1f us without); %zu bytes\n",
		       "show table", during / 1e3, quiet / 1e3, len);
		disp_ctl_out_free(o);
	}
	sroute_destroy(r);
	disp_pool_free(pool);
	disp_config_free(cfg);
	free(sids);
	return 0;
}
