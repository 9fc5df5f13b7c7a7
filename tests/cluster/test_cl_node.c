/* Cluster nodes against a real redis-server (started by each test on a
 * unix socket): propagation between instances, TTLs in Redis, a late
 * joiner's resync, an outage with Redis killed and restarted empty, and the
 * BUSY lease of an instance killed with -9. */
#include <criterion/criterion.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cl_lease.h"
#include "cluster/cluster.h"
#include "redis_peer.h"

static struct redis_peer peer;

static void up(void)
{
	int rc = redis_peer_start(&peer);

	if (rc == -ECHILD)
		cr_skip_test("redis-server is not installed");
	cr_assert_eq(rc, 0, "redis-server: %s", strerror(-rc));
}

static void down(void)
{
	redis_peer_stop(&peer);
}

TestSuite(cl_node, .init = up, .fini = down, .timeout = 60);

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void nap_ms(unsigned ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&t, NULL);
}

static struct cl_node *node(const char *name, uint32_t lease_ms)
{
	struct cl_config cfg = {.redis = peer.url, .instance = name,
				.prefix = "t", .consumers = 1, .lease_ms = lease_ms,
				.retry_ms = 200};
	struct cl_node *n;

	cr_assert_eq(cl_start(&cfg, &n), 0);
	return n;
}

static void wait_connected(struct cl_node *n, bool want)
{
	struct cl_stats st;

	for (int i = 0; i < 1000; i++) {
		cl_get_stats(n, &st);
		if (st.connected == want)
			return;
		nap_ms(10);
	}
	cr_assert_fail("node never became %s", want ? "connected" : "disconnected");
}

static struct cl_cand backend(uint8_t last)
{
	return (struct cl_cand){.family = 4, .addr = {10, 0, 50, last}, .port = 443,
				.stamp_ms = cl_wall_ms()};
}

/* Waits up to ms for a record on consumer 0; 0 or -EAGAIN. Polls every
 * 20 us, as a worker's loop would, so the figure is the channel's and
 * not this loop's. */
static int wait_rec(struct cl_node *n, struct cl_rec *r, unsigned ms)
{
	uint64_t end = mono_us() + (uint64_t)ms * 1000;
	struct timespec t = {0, 20000};

	do {
		if (cl_poll(n, 0, r) == 0)
			return 0;
		nanosleep(&t, NULL);
	} while (mono_us() < end);
	return -EAGAIN;
}

/* Waits until n has sent count records to Redis. */
static void wait_published(struct cl_node *n, uint64_t count)
{
	struct cl_stats st;

	for (int i = 0; i < 500; i++) {
		cl_get_stats(n, &st);
		if (st.published >= count)
			return;
		nap_ms(10);
	}
	cr_assert_fail("only %llu of %llu records published",
		       (unsigned long long)st.published, (unsigned long long)count);
}

/* One command on a connection of the test's own; caller frees the reply. */
static redisReply *query(const char *cmd)
{
	redisContext *rc = redisConnectUnix(peer.sock);
	redisReply *r;

	cr_assert(rc && !rc->err, "connect to the test's redis");
	r = redisCommand(rc, cmd);
	cr_assert_not_null(r);
	redisFree(rc);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

Test(cl_node, a_session_reaches_the_other_instance_within_milliseconds)
{
	struct cl_node *a = node("d1", 0), *b = node("d2", 0);
	struct cl_cand c = backend(101);
	struct cl_rec r;
	enum { N = 500 };
	static uint64_t lat[N];

	wait_connected(a, true);
	wait_connected(b, true);
	for (unsigned i = 0; i < N; i++) {
		uint32_t key = i;
		uint64_t t0 = mono_us();

		cr_assert_eq(cl_session(a, &key, sizeof(key), &c, 1, 300000), 0);
		cr_assert_eq(wait_rec(b, &r, 2000), 0, "record %u never arrived", i);
		lat[i] = mono_us() - t0;
		cr_assert_eq(r.type, CL_REC_SESSION);
		cr_assert_eq(r.key_len, sizeof(key));
		cr_assert_eq(memcmp(r.key, &key, sizeof(key)), 0);
		cr_assert_eq(r.origin_len, 2);
		cr_assert_eq(memcmp(r.origin, "d1", 2), 0);
		cr_assert_eq(r.cands[0].port, 443);
		cr_assert_eq(r.ttl_ms, 300000);
	}
	qsort(lat, N, sizeof(lat[0]), cmp_u64);
	fprintf(stderr, "# cluster learn latency (cl_session -> cl_poll on another node, %d records): "
	       "p50 %llu us p99 %llu us max %llu us\n", N,
	       (unsigned long long)lat[N / 2], (unsigned long long)lat[N * 99 / 100],
	       (unsigned long long)lat[N - 1]);
	cr_expect_lt(lat[N / 2], 50000, "median learn latency above 50 ms");
	cr_assert_eq(cl_poll(a, 0, &r), -EAGAIN, "a node must not receive its own records");
	cl_stop(a);
	cl_stop(b);
}

Test(cl_node, sessions_live_in_redis_for_their_lifetime)
{
	struct cl_node *a = node("d1", 0);
	struct cl_cand c = backend(101);

	wait_connected(a, true);
	cr_assert_eq(cl_session(a, "\xab\xcd", 2, &c, 1, 5000), 0);
	wait_published(a, 1);
	redisReply *r = query("PTTL t:s:abcd:d1");
	cr_assert_eq(r->type, REDIS_REPLY_INTEGER);
	cr_assert(r->integer > 3000 && r->integer <= 5000, "PTTL %lld", r->integer);
	freeReplyObject(r);
	cl_stop(a);
}

Test(cl_node, a_late_joiner_reads_the_live_sessions)
{
	struct cl_node *a = node("d1", 0);
	struct cl_cand c = backend(102);
	struct cl_stats st;
	struct cl_rec r;
	unsigned got = 0;

	wait_connected(a, true);
	for (uint32_t i = 0; i < 50; i++)
		cr_assert_eq(cl_session(a, &i, sizeof(i), &c, 1, 60000), 0);
	wait_published(a, 50);
	struct cl_node *b = node("d3", 0);
	wait_connected(b, true);
	while (wait_rec(b, &r, 500) == 0)
		got++;
	cl_get_stats(b, &st);
	cr_assert_eq(got, 50);
	cr_assert_eq(st.resynced, 50);
	cl_stop(a);
	cl_stop(b);
}

Test(cl_node, redis_killed_and_restarted_empty)
{
	struct cl_node *a = node("d1", 0), *b = node("d2", 0);
	struct cl_cand c = backend(101);
	struct cl_stats st;
	struct cl_rec r;
	uint64_t worst = 0;
	unsigned slow = 0;
	bool seen[20] = {false};
	unsigned distinct = 0;

	wait_connected(a, true);
	wait_connected(b, true);
	redis_peer_kill(&peer);
	wait_connected(a, false);
	/* Workers keep going: no call waits for Redis. */
	for (uint32_t i = 0; i < 20; i++) {
		uint64_t t0 = mono_us();

		cr_assert_eq(cl_session(a, &i, sizeof(i), &c, 1, 60000), 0);
		uint64_t dt = mono_us() - t0;

		if (dt > worst)
			worst = dt;
		slow += dt > 50000;
		nap_ms(5);
	}
	fprintf(stderr, "# slowest cl_session call while redis was down: %llu us\n",
	       (unsigned long long)worst);
	/* Waiting for Redis would make every call slow; a descheduled
	 * thread on a loaded host makes one. */
	cr_assert_leq(slow, 1, "%u of 20 worker calls took over 50 ms", slow);
	cl_get_stats(a, &st);
	cr_assert_geq(st.outages, 1);
	cr_assert_eq(st.connected, false);

	cr_assert_eq(redis_peer_restart(&peer), 0);
	wait_connected(a, true);
	wait_connected(b, true);
	/* B learns the 20 either from A's republish (pub/sub) or from the keys
	 * when B resyncs after A; duplicates are allowed, gaps are not. */
	while (distinct < 20 && wait_rec(b, &r, 3000) == 0) {
		uint32_t k;

		memcpy(&k, r.key, sizeof(k));
		cr_assert_lt(k, 20);
		if (!seen[k])
			seen[k] = true, distinct++;
	}
	cr_assert_eq(distinct, 20, "B learned %u of the 20 made during the outage", distinct);
	cl_get_stats(a, &st);
	cr_assert_geq(st.republished, 20);
	cr_assert_gt(st.down_ms, 0);
	cl_stop(a);
	cl_stop(b);
}

/* The child plays an instance that holds a BUSY session and dies by
 * SIGKILL (no IDLE): the survivor counts its lease until it runs out. */
Test(cl_node, a_killed_instance_does_not_keep_sessions_busy)
{
	int pipefd[2];
	const uint32_t lease = 600;
	struct cl_cand c = backend(101);

	cr_assert_eq(pipe(pipefd), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct cl_node *d = node("dying", lease);
		char one = 1;

		wait_connected(d, true);
		cl_busy(d, "k1", 2, &c);
		nap_ms(100);
		if (write(pipefd[1], &one, 1) != 1)
			_exit(1);
		for (;;)
			pause();  /* the thread keeps renewing the lease */
	}
	struct cl_node *b = node("d2", lease);
	struct cl_leases *l;
	struct cl_rec r;
	char one;

	cr_assert_eq(cl_leases_new(64, &l), 0);
	cr_assert_eq(read(pipefd[0], &one, 1), 1);
	wait_connected(b, true);
	/* Hold it for three lease lengths: renewals keep it BUSY. */
	uint64_t t_end = mono_us() + 3 * lease * 1000;
	while (mono_us() < t_end) {
		while (cl_poll(b, 0, &r) == 0)
			cl_leases_apply(l, &r, cl_wall_ms());
		cr_assert_eq(cl_leases_holders(l, "k1", 2, &c, cl_wall_ms()), 1,
			     "BUSY lapsed while its holder was alive");
		nap_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	uint64_t killed = cl_wall_ms(), freed = 0;
	while (cl_wall_ms() < killed + 3 * lease) {
		while (cl_poll(b, 0, &r) == 0)
			cl_leases_apply(l, &r, cl_wall_ms());
		if (cl_leases_holders(l, "k1", 2, &c, cl_wall_ms()) == 0) {
			freed = cl_wall_ms();
			break;
		}
		nap_ms(5);
	}
	cr_assert_neq(freed, 0, "still BUSY %u ms after its holder died", 3 * lease);
	fprintf(stderr, "# BUSY released %llu ms after SIGKILL (lease %u ms)\n",
	       (unsigned long long)(freed - killed), lease);
	cr_assert_leq(freed - killed, lease + 50);
	/* And Redis forgets it too (PX). */
	nap_ms(lease);
	redisReply *k = query("KEYS t:b:*");
	cr_assert_eq(k->elements, 0, "lease key still in redis");
	freeReplyObject(k);
	cl_leases_free(l);
	cl_stop(b);
}

/* A password-protected Redis: the right password joins; a wrong one never
 * connects, is counted and logged once as an outage, and retried. */
Test(cl_node, auth_with_the_right_password_only)
{
	struct cl_config cfg = {.redis = peer.url, .instance = "d1", .prefix = "t",
				.consumers = 1, .retry_ms = 100};
	struct cl_node *good, *bad;
	struct cl_stats st;

	redis_peer_stop(&peer);
	cr_assert_eq(redis_peer_start_auth(&peer, "s3cret"), 0);
	cfg.redis = peer.url;
	cfg.password = "s3cret";
	cr_assert_eq(cl_start(&cfg, &good), 0);
	wait_connected(good, true);
	cfg.password = "wrong";
	cfg.instance = "d2";
	cr_assert_eq(cl_start(&cfg, &bad), 0);
	nap_ms(500);
	cl_get_stats(bad, &st);
	cr_assert_eq(st.connected, false);
	cr_assert_eq(st.outages, 1, "one outage, however many retries");
	cr_assert_geq(st.redis_errors, 2, "it retried");
	cl_stop(good);
	cl_stop(bad);
}
