/* Backend states and the three schedulers. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "util/clock.h"

static struct disp_config *cfg;
static struct disp_pool *pool;

/* Builds a one-service pool with n backends 10.0.1.{1..n}:80 and the
 * given weights (NULL: all 1). */
static struct disp_bset *make(const char *sched, size_t n, const unsigned *w)
{
	char text[16384], err[256];
	size_t off = 0;

	off += (size_t)snprintf(text + off, sizeof(text) - off,
				"service s {\nvip 10.0.0.1:80\nclient-interface e\nscheduler %s\n",
				sched);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"backend 10.0.%zu.%zu:80 weight %u\n", i / 250 + 1,
					i % 250 + 1, w ? w[i] : 1);
	snprintf(text + off, sizeof(text) - off, "}\n");
	cr_assert_eq(disp_config_parse(text, strlen(text), "t", &cfg, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	return disp_pool_bset(pool, 0);
}

static void teardown(void)
{
	disp_pool_free(pool);
	disp_config_free(cfg);
	pool = NULL;
	cfg = NULL;
}

static size_t idx(struct disp_bset *bs, struct disp_backend *be)
{
	for (size_t i = 0; i < disp_bset_count(bs); i++)
		if (disp_bset_get(bs, i) == be)
			return i;
	cr_assert_fail("backend not in set");
	return 0;
}

static struct disp_addr client(uint32_t n)
{
	struct disp_addr a = { .family = AF_INET, .port = (uint16_t)(1024 + n % 60000) };

	a.ip.v4.s_addr = htonl(0x0a800000u + n);
	return a;
}

TestSuite(sched, .fini = teardown);

Test(sched, states_and_admin)
{
	struct disp_bset *bs = make("rr", 2, NULL);
	struct disp_backend *b = disp_bset_get(bs, 0);
	enum disp_be_state st;

	cr_assert_eq(disp_backend_state(b), DISP_BE_UP);
	disp_backend_set_admin(b, DISP_BE_DRAIN);
	cr_assert_eq(disp_backend_state(b), DISP_BE_DRAIN);
	cr_assert_not(disp_backend_usable(b));
	cr_assert(disp_backend_set_healthy(b, false));
	cr_assert_not(disp_backend_set_healthy(b, false), "no change reported twice");
	cr_assert_eq(disp_backend_state(b), DISP_BE_DOWN, "failed health beats drain");
	disp_backend_set_admin(b, DISP_BE_UP);
	cr_assert_eq(disp_backend_state(b), DISP_BE_DOWN, "operator UP cannot override a failed check");
	disp_backend_set_healthy(b, true);
	cr_assert_eq(disp_backend_state(b), DISP_BE_UP);
	cr_assert_eq(disp_backend_set_admin(b, (enum disp_be_state)7), -EINVAL);
	cr_assert_eq(disp_be_state_parse("Drain", &st), 0);
	cr_assert_eq(st, DISP_BE_DRAIN);
	cr_assert_eq(disp_be_state_parse("maintenance", &st), -EINVAL);
	cr_assert_str_eq(disp_be_state_name(DISP_BE_DOWN), "DOWN");
}

/* The data path's verdict (passive health): held DOWN for the service's
 * passive-hold, skipped by pick, UP again once the hold has passed. */
Test(sched, passive_hold)
{
	struct disp_bset *bs = make("rr", 2, NULL);
	struct disp_backend *b = disp_bset_get(bs, 0);
	struct disp_addr c = client(1);
	uint64_t now = disp_now_ms();

	cr_assert_eq(disp_backend_held_until(b), 0);
	cr_assert(disp_backend_passive_fail(b, now));
	cr_assert_eq(disp_backend_state(b), DISP_BE_DOWN);
	cr_assert_eq(disp_backend_held_until(b), now + 10000, "default hold 10 s");
	cr_assert_eq(disp_backend_passive_downs(b), 1);
	for (uint32_t i = 0; i < 8; i++)
		cr_assert_eq(disp_bset_pick(bs, &c), disp_bset_get(bs, 1),
			     "a held backend gets no new flow");
	/* A failure as long ago as the hold: the hold is over, b is retried. */
	cr_assert(disp_backend_passive_fail(b, now - 10001));
	cr_assert_eq(disp_backend_state(b), DISP_BE_UP);
	cr_assert_eq(disp_backend_held_until(b), 0);
	cr_assert_eq(disp_backend_passive_downs(b), 2);
	disp_backend_set_admin(b, DISP_BE_DRAIN);
	cr_assert_eq(disp_backend_state(b), DISP_BE_DRAIN, "an expired hold leaves the admin state");
	disp_backend_set_admin(b, DISP_BE_UP);
	/* Probes bringing a failed backend back UP end a hold... */
	disp_backend_set_healthy(b, false);
	disp_backend_passive_fail(b, disp_now_ms());
	disp_backend_set_healthy(b, true);
	cr_assert_eq(disp_backend_state(b), DISP_BE_UP, "probes' rise ends the hold");
	/* ...but a passing probe that changes nothing does not. */
	disp_backend_passive_fail(b, disp_now_ms());
	disp_backend_set_healthy(b, true);
	cr_assert_eq(disp_backend_state(b), DISP_BE_DOWN);
}

Test(sched, passive_off)
{
	char err[256];
	const char *text = "service s {\nvip 10.0.0.1:80\nclient-interface e\n"
			   "passive-health off\nbackend 10.0.1.1:80\n}\n";
	struct disp_backend *b;

	cr_assert_eq(disp_config_parse(text, strlen(text), "t", &cfg, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	b = disp_bset_get(disp_pool_bset(pool, 0), 0);
	cr_assert_not(disp_backend_passive_fail(b, disp_now_ms()));
	cr_assert_eq(disp_backend_state(b), DISP_BE_UP);
	cr_assert_eq(disp_backend_passive_downs(b), 0);
}

Test(sched, conn_counters)
{
	struct disp_bset *bs = make("wlc", 1, NULL);
	struct disp_backend *b = disp_bset_get(bs, 0);

	disp_backend_conn_inc(b);
	disp_backend_conn_inc(b);
	disp_backend_conn_dec(b);
	cr_assert_eq(disp_backend_conns(b), 1);
	cr_assert_eq(disp_backend_total(b), 2);
	disp_backend_conn_dec(b);
	disp_backend_conn_dec(b); /* unmatched: must not wrap */
	cr_assert_eq(disp_backend_conns(b), 0);
}

Test(sched, pool_find)
{
	struct disp_addr a;
	size_t svc = 99;

	make("rr", 3, NULL);
	disp_addr_parse("10.0.1.2:80", 11, true, &a);
	struct disp_backend *b = disp_pool_find(pool, &a, &svc);
	cr_assert_not_null(b);
	cr_assert_eq(svc, 0);
	cr_assert_eq(b, disp_bset_get(disp_pool_bset(pool, 0), 1));
	a.port = 81;
	cr_assert_null(disp_pool_find(pool, &a, NULL));
	cr_assert_null(disp_pool_bset(pool, 1));
}

Test(sched, rr_weighted_and_interleaved)
{
	const unsigned w[] = { 5, 1, 1 };
	struct disp_bset *bs = make("rr", 3, w);
	size_t count[3] = { 0 }, run = 0, maxrun = 0, prev = 9;
	struct disp_addr c = client(1);

	for (int i = 0; i < 700; i++) {
		size_t k = idx(bs, disp_bset_pick(bs, &c));
		count[k]++;
		run = k == prev ? run + 1 : 1;
		maxrun = run > maxrun ? run : maxrun;
		prev = k;
	}
	cr_assert_eq(count[0], 500);
	cr_assert_eq(count[1], 100);
	cr_assert_eq(count[2], 100);
	/* Naive weighted RR hands all 5 in a row; the interleave at most 4
	 * (a a b a c a a, wrapping round). */
	cr_assert_leq(maxrun, 4, "heavy backend got %zu new flows in a row", maxrun);
}

Test(sched, rr_skips_down_and_drain)
{
	struct disp_bset *bs = make("rr", 3, NULL);
	struct disp_addr c = client(1);
	size_t count[3] = { 0 };

	disp_backend_set_healthy(disp_bset_get(bs, 1), false);
	disp_backend_set_admin(disp_bset_get(bs, 2), DISP_BE_DRAIN);
	for (int i = 0; i < 30; i++)
		count[idx(bs, disp_bset_pick(bs, &c))]++;
	cr_assert_eq(count[0], 30);
	disp_backend_set_admin(disp_bset_get(bs, 2), DISP_BE_UP);
	memset(count, 0, sizeof(count));
	for (int i = 0; i < 30; i++)
		count[idx(bs, disp_bset_pick(bs, &c))]++;
	cr_assert_eq(count[0], 15, "a DOWN backend's turns must be shared evenly, got %zu/%zu",
		     count[0], count[2]);
	cr_assert_eq(count[2], 15);
	disp_backend_set_admin(disp_bset_get(bs, 0), DISP_BE_DOWN);
	disp_backend_set_admin(disp_bset_get(bs, 2), DISP_BE_DRAIN);
	cr_assert_null(disp_bset_pick(bs, &c), "no UP backend: NULL");
}

Test(sched, wlc_prefers_least_loaded_per_weight)
{
	const unsigned w[] = { 1, 3 };
	struct disp_bset *bs = make("wlc", 2, w);
	struct disp_addr c = client(1);
	size_t count[2] = { 0 };

	/* Flows that never end: wlc must keep conns proportional to weight. */
	for (int i = 0; i < 400; i++) {
		struct disp_backend *b = disp_bset_pick(bs, &c);
		disp_backend_conn_inc(b);
		count[idx(bs, b)]++;
	}
	cr_assert(count[0] >= 99 && count[0] <= 101, "light got %zu of 400", count[0]);
	/* A backend with many active flows gets none until it is even. */
	for (int i = 0; i < 150; i++)
		disp_backend_conn_dec(disp_bset_get(bs, 1));
	for (int i = 0; i < 100; i++) {
		struct disp_backend *b = disp_bset_pick(bs, &c);
		cr_assert_eq(idx(bs, b), 1, "pick %d went to the loaded backend", i);
		disp_backend_conn_inc(b);
		if (disp_backend_conns(b) >= 300)
			break;
	}
}

Test(sched, wlc_ties_rotate)
{
	struct disp_bset *bs = make("wlc", 4, NULL);
	struct disp_addr c = client(1);
	size_t count[4] = { 0 };

	/* Short flows: counts stay 0, picks must still spread. */
	for (int i = 0; i < 400; i++)
		count[idx(bs, disp_bset_pick(bs, &c))]++;
	for (int i = 0; i < 4; i++)
		cr_assert_eq(count[i], 100, "backend %d got %zu", i, count[i]);
}

Test(sched, source_hash_sticky_per_client_ip)
{
	struct disp_bset *bs = make("source-hash", 5, NULL);

	for (uint32_t n = 0; n < 200; n++) {
		struct disp_addr a = client(n), b = a;
		b.port = (uint16_t)(a.port + 7);
		cr_assert_eq(disp_bset_pick(bs, &a), disp_bset_pick(bs, &b),
			     "same client IP, different port");
	}
}

Test(sched, source_hash_spreads_by_weight)
{
	const unsigned w[] = { 1, 1, 2, 4 };
	struct disp_bset *bs = make("source-hash", 4, w);
	size_t count[4] = { 0 };
	const int n = 40000;

	for (int i = 0; i < n; i++) {
		struct disp_addr a = client((uint32_t)i);
		count[idx(bs, disp_bset_pick(bs, &a))]++;
	}
	for (int i = 0; i < 4; i++) {
		double want = n * w[i] / 8.0;
		cr_assert(count[i] > want * 0.93 && count[i] < want * 1.07,
			  "backend %d (weight %u) got %zu, expected ~%.0f", i, w[i],
			  count[i], want);
	}
}

/* The consistent-hash promise: removing one of N backends moves only the
 * clients that were on it (about 1/N), and bringing it back restores
 * exactly the original mapping. */
Test(sched, source_hash_removal_moves_about_one_nth)
{
	enum { N = 10, CLIENTS = 20000 };
	struct disp_bset *bs = make("source-hash", N, NULL);
	static struct disp_backend *before[CLIENTS];
	size_t moved = 0, moved_wrongly = 0;
	struct disp_backend *gone = disp_bset_get(bs, 3);

	for (uint32_t i = 0; i < CLIENTS; i++) {
		struct disp_addr a = client(i * 7919u);
		before[i] = disp_bset_pick(bs, &a);
	}
	disp_backend_set_healthy(gone, false);
	for (uint32_t i = 0; i < CLIENTS; i++) {
		struct disp_addr a = client(i * 7919u);
		struct disp_backend *now = disp_bset_pick(bs, &a);
		cr_assert_neq(now, gone);
		if (now != before[i]) {
			moved++;
			if (before[i] != gone)
				moved_wrongly++;
		}
	}
	cr_assert_eq(moved_wrongly, 0, "%zu clients not on the removed backend moved",
		     moved_wrongly);
	cr_assert(moved > CLIENTS / N * 0.9 && moved < CLIENTS / N * 1.1,
		  "moved %zu of %d, expected about %d", moved, CLIENTS, CLIENTS / N);
	disp_backend_set_healthy(gone, true);
	for (uint32_t i = 0; i < CLIENTS; i++) {
		struct disp_addr a = client(i * 7919u);
		cr_assert_eq(disp_bset_pick(bs, &a), before[i], "client %u did not return", i);
	}
}

Test(sched, source_hash_ipv6_and_all_down)
{
	char err[256];
	const char *t = "service s {\nvip [fd00::1]:80\nclient-interface e\n"
			"scheduler source-hash\nbackend [fd00:1::1]:80\nbackend [fd00:1::2]:80\n}\n";
	struct disp_addr a;
	size_t count[2] = { 0 };

	cr_assert_eq(disp_config_parse(t, strlen(t), "t", &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	struct disp_bset *bs = disp_pool_bset(pool, 0);
	for (int i = 0; i < 1000; i++) {
		char s[64];
		snprintf(s, sizeof(s), "[2001:db8::%x:%x]:1234", i / 7, i);
		cr_assert_eq(disp_addr_parse(s, strlen(s), true, &a), 0, "%s", s);
		count[idx(bs, disp_bset_pick(bs, &a))]++;
	}
	cr_assert(count[0] > 400 && count[1] > 400, "%zu/%zu", count[0], count[1]);
	disp_backend_set_admin(disp_bset_get(bs, 0), DISP_BE_DOWN);
	disp_backend_set_admin(disp_bset_get(bs, 1), DISP_BE_DRAIN);
	cr_assert_null(disp_bset_pick(bs, &a));
}

/* Workers pick and count while another thread flips backend states, as
 * health checks and splicectl do under load: a backend that stays UP
 * means no pick may fail, and every counted flow must be uncounted. */
#include <pthread.h>

static struct disp_bset *stress_bs;
static atomic_bool stress_stop;
static atomic_int stress_nulls;

static void *stress_worker(void *arg)
{
	struct disp_addr c = client((uint32_t)(uintptr_t)arg);

	for (int i = 0; i < 200000; i++) {
		struct disp_backend *b = disp_bset_pick(stress_bs, &c);

		if (!b) {
			atomic_fetch_add(&stress_nulls, 1);
			continue;
		}
		disp_backend_conn_inc(b);
		disp_backend_conn_dec(b);
		c.ip.v4.s_addr += 1;
	}
	return NULL;
}

static void *stress_flipper(void *arg)
{
	unsigned k = 0;

	while (!atomic_load(&stress_stop)) {
		struct disp_backend *b = disp_bset_get(stress_bs, 1 + k % 3);
		disp_backend_set_healthy(b, k & 1);
		disp_backend_set_admin(b, (k & 2) ? DISP_BE_DRAIN : DISP_BE_UP);
		k++;
	}
	return NULL;
}

static void stress(const char *sched)
{
	pthread_t w[4], f;

	stress_bs = make(sched, 4, NULL);
	atomic_store(&stress_stop, false);
	atomic_store(&stress_nulls, 0);
	pthread_create(&f, NULL, stress_flipper, NULL);
	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&w[i], NULL, stress_worker, (void *)(i * 100000));
	for (int i = 0; i < 4; i++)
		pthread_join(w[i], NULL);
	atomic_store(&stress_stop, true);
	pthread_join(f, NULL);
	cr_assert_eq(atomic_load(&stress_nulls), 0, "%s: pick failed with backend 0 UP", sched);
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(disp_backend_conns(disp_bset_get(stress_bs, i)), 0);
}

Test(sched, concurrent_rr, .timeout = 30) { stress("rr"); }
Test(sched, concurrent_wlc, .timeout = 30) { stress("wlc"); }
Test(sched, concurrent_source_hash, .timeout = 30) { stress("source-hash"); }
