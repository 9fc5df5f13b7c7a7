/* The lock-free ring, the expiring table and the lease view: single-thread
 * rules, then producers racing one consumer. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "cluster/cl_lease.h"
#include "cluster/cl_ring.h"
#include "cluster/cl_tab.h"

Test(cl_ring, fifo_full_and_empty)
{
	struct cl_ring *q;
	struct cl_rec r = {0};

	cr_assert_eq(cl_ring_new(3, &q), -EINVAL);
	cr_assert_eq(cl_ring_new(4, &q), 0);
	cr_assert_eq(cl_ring_pop(q, &r), -EAGAIN);
	for (uint32_t i = 0; i < 4; i++) {
		r.ttl_ms = i;
		cr_assert_eq(cl_ring_push(q, &r), 0);
	}
	cr_assert_eq(cl_ring_push(q, &r), -ENOBUFS);
	for (uint32_t i = 0; i < 4; i++) {
		cr_assert_eq(cl_ring_pop(q, &r), 0);
		cr_assert_eq(r.ttl_ms, i);
	}
	cr_assert_eq(cl_ring_pop(q, &r), -EAGAIN);
	cl_ring_free(q);
}

#define PER_PRODUCER 50000u
static struct cl_ring *race_q;

static void *producer(void *arg)
{
	struct cl_rec r = {0};

	r.key[0] = (uint8_t)(uintptr_t)arg;
	for (uint32_t i = 0; i < PER_PRODUCER; i++) {
		r.ttl_ms = i;
		while (cl_ring_push(race_q, &r))
			;  /* full: the consumer catches up */
	}
	return NULL;
}

/* Two producers, one consumer: every record arrives exactly once, and each
 * producer's records in its order. */
Test(cl_ring, producers_race_one_consumer)
{
	pthread_t t[2];
	uint32_t next[2] = {0, 0};
	struct cl_rec r;

	cr_assert_eq(cl_ring_new(64, &race_q), 0);
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, producer, (void *)i);
	for (uint32_t got = 0; got < 2 * PER_PRODUCER;) {
		if (cl_ring_pop(race_q, &r))
			continue;
		cr_assert_lt(r.key[0], 2);
		cr_assert_eq(r.ttl_ms, next[r.key[0]], "producer %u", r.key[0]);
		next[r.key[0]]++;
		got++;
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(cl_ring_pop(race_q, &r), -EAGAIN);
	cl_ring_free(race_q);
}

Test(cl_tab, expiry_cap_and_delete)
{
	struct cl_tab *t;
	uint32_t *v;

	cr_assert_eq(cl_tab_new(0, 4, &t), -EINVAL);
	cr_assert_eq(cl_tab_new(100, 4, &t), 0);
	for (uint32_t i = 0; i < 100; i++) {
		v = cl_tab_put(t, &i, sizeof(i), 1000 + i, 0);
		cr_assert_not_null(v);
		*v = i * 7;
	}
	uint32_t k = 100;
	cr_assert_null(cl_tab_put(t, &k, sizeof(k), 5000, 0), "cap is 100");
	/* At 1050 the first 51 have expired: a put sweeps and fits. */
	cr_assert_not_null(cl_tab_put(t, &k, sizeof(k), 5000, 1050));
	cr_assert_eq(cl_tab_count(t), 50);
	k = 60;
	v = cl_tab_get(t, &k, sizeof(k), 1050);
	cr_assert_not_null(v);
	cr_assert_eq(*v, 420);
	cr_assert_null(cl_tab_get(t, &k, sizeof(k), 1060), "expired at 1060");
	k = 99;
	cr_assert_eq(cl_tab_del(t, &k, sizeof(k)), 0);
	cr_assert_eq(cl_tab_del(t, &k, sizeof(k)), -ENOENT);
	/* Every survivor is still found after the deletions' shifts. */
	for (k = 61; k < 99; k++)
		cr_assert_not_null(cl_tab_get(t, &k, sizeof(k), 1050), "key %u", k);
	cr_assert_eq(cl_tab_sweep(t, 1050, NULL, NULL), 49);
	cl_tab_free(t);
}

static struct cl_rec lease(int type, const char *origin, uint64_t sent_ms, uint32_t ttl)
{
	struct cl_rec r = {.type = (uint8_t)type, .key_len = 2, .key = {1, 2},
			   .n_cands = 1, .ttl_ms = ttl, .sent_us = sent_ms * 1000};

	r.origin_len = (uint8_t)strlen(origin);
	memcpy(r.origin, origin, r.origin_len);
	r.cands[0] = (struct cl_cand){.family = 4, .addr = {10, 0, 50, 101}, .port = 443};
	return r;
}

/* Leases are expiry times per holder: a dead holder that never sends IDLE
 * stops counting when its lease runs out, not never. */
Test(cl_lease, expire_without_idle)
{
	struct cl_leases *l;
	struct cl_rec a = lease(CL_REC_BUSY, "d1", 1000, 300);
	struct cl_rec b = lease(CL_REC_BUSY, "d2", 1000, 600);

	cr_assert_eq(cl_leases_new(16, &l), 0);
	cr_assert_eq(cl_leases_apply(l, &a, 1000), 0);
	cr_assert_eq(cl_leases_apply(l, &a, 1000), 0, "a renewal is not a second holder");
	cr_assert_eq(cl_leases_apply(l, &b, 1000), 0);
	cr_assert_eq(cl_leases_holders(l, a.key, 2, &a.cands[0], 1100), 2);
	cr_assert_eq(cl_leases_holders(l, a.key, 2, &a.cands[0], 1300), 1, "d1's lease ran out");
	b = lease(CL_REC_IDLE, "d2", 1400, 0);
	cr_assert_eq(cl_leases_apply(l, &b, 1400), 0);
	cr_assert_eq(cl_leases_holders(l, a.key, 2, &a.cands[0], 1400), 0);
	/* Renewed leases keep counting. */
	a = lease(CL_REC_BUSY, "d1", 2000, 300);
	cl_leases_apply(l, &a, 2000);
	a = lease(CL_REC_BUSY, "d1", 2250, 300);
	cl_leases_apply(l, &a, 2250);
	cr_assert_eq(cl_leases_holders(l, a.key, 2, &a.cands[0], 2400), 1);
	cr_assert_eq(cl_leases_holders(l, a.key, 2, &a.cands[0], 2550), 0);
	cl_leases_free(l);
}
