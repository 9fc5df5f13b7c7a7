/* Mapping table: the paper's selection rule, the load guard, expiry, the cap
 * and the edges of every call. Times are in ms; lifetimes are short so the
 * tests read as timelines. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "maptable/maptable.h"
#include "maptable/mt_hash.h"

static struct mt_table *t;

static const uint8_t SID_A[32] = { 0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
				   14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
				   26, 27, 28, 29, 30, 31 };
static const uint8_t SID_B[32] = { 0xb0, 1, 2, 3 };

static void make(uint32_t cap, uint16_t nb, uint64_t lifetime)
{
	struct mt_config cfg;

	mt_config_default(&cfg, cap, nb);
	cfg.lifetime_ms = lifetime;
	cr_assert_eq(mt_create(&cfg, &t), 0);
}

static void teardown(void)
{
	mt_destroy(t);
	t = NULL;
}

static uint16_t pick_ok(const void *key, uint64_t now, const struct mt_load *l)
{
	uint16_t b = 0xffff;

	cr_assert_eq(mt_pick(t, key, 32, now, l, &b), 0);
	return b;
}

TestSuite(maptable, .fini = teardown);

/* Paper §5.3: one session ID cached on two servers. */
Test(maptable, paper_example_busy_then_oldest)
{
	make(16, 4, 300000);
	cr_assert_eq(mt_learn(t, SID_A, 32, 1, 1000), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 2, 2000), 0);

	/* Both IDLE: the older timestamp (server 1) wins. */
	cr_assert_eq(pick_ok(SID_A, 3000, NULL), 1);

	/* Server 1 BUSY: the IDLE one (server 2) is picked. */
	cr_assert_eq(mt_acquire(t, SID_A, 32, 1, 3000), 0);
	cr_assert_eq(pick_ok(SID_A, 3001, NULL), 2);

	/* Server 1 released at 4000 is now the newer one: server 2 wins. */
	cr_assert_eq(mt_release(t, SID_A, 32, 1, 4000), 0);
	cr_assert_eq(pick_ok(SID_A, 4001, NULL), 2);

	/* Using and releasing server 2 rotates back to server 1. */
	cr_assert_eq(mt_acquire(t, SID_A, 32, 2, 4001), 0);
	cr_assert_eq(mt_release(t, SID_A, 32, 2, 5000), 0);
	cr_assert_eq(pick_ok(SID_A, 5001, NULL), 1);
}

Test(maptable, all_busy_is_ebusy_and_unknown_is_enoent)
{
	uint16_t b;

	make(16, 4, 300000);
	cr_assert_eq(mt_pick(t, SID_B, 32, 0, NULL, &b), -ENOENT);
	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 10), 0);
	cr_assert_eq(mt_acquire(t, SID_A, 32, 0, 11), 0);
	cr_assert_eq(mt_pick(t, SID_A, 32, 12, NULL, &b), -EBUSY);

	struct mt_stats st;
	mt_get_stats(t, &st);
	cr_assert_eq(st.misses, 1);
	cr_assert_eq(st.refused_busy, 1);
	cr_assert_eq(st.hits, 0);
}

Test(maptable, busy_counts_concurrent_users)
{
	uint16_t b;

	make(16, 4, 300000);
	cr_assert_eq(mt_learn(t, SID_A, 32, 3, 10), 0);
	cr_assert_eq(mt_acquire(t, SID_A, 32, 3, 11), 0);
	cr_assert_eq(mt_acquire(t, SID_A, 32, 3, 12), 0);
	cr_assert_eq(mt_release(t, SID_A, 32, 3, 13), 0);
	/* One user left: still BUSY. */
	cr_assert_eq(mt_pick(t, SID_A, 32, 14, NULL, &b), -EBUSY);
	cr_assert_eq(mt_release(t, SID_A, 32, 3, 15), 0);
	cr_assert_eq(pick_ok(SID_A, 16, NULL), 3);
	cr_assert_eq(mt_release(t, SID_A, 32, 3, 17), -EALREADY);
	cr_assert_eq(mt_release(t, SID_A, 32, 2, 17), -ENOENT);
	cr_assert_eq(mt_acquire(t, SID_B, 32, 3, 17), -ENOENT);
}

Test(maptable, down_backend_is_skipped)
{
	uint32_t active[3] = { 0, 0, 0 };
	bool down[3] = { true, false, false };
	struct mt_load l = { .active = active, .down = down, .n = 3 };
	uint16_t b;

	make(16, 3, 300000);
	mt_load_sum(&l);
	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 10), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 1, 20), 0);
	cr_assert_eq(pick_ok(SID_A, 30, &l), 1);
	cr_assert_eq(mt_acquire(t, SID_A, 32, 1, 30), 0);
	/* The only UP candidate is BUSY; the DOWN one must not come back. */
	cr_assert_eq(mt_pick(t, SID_A, 32, 31, &l, &b), -EBUSY);
}

Test(maptable, load_guard_refuses_overloaded_candidate)
{
	/* mean = 12/3 = 4, guard 150% -> anything above 6 is refused. */
	uint32_t active[3] = { 10, 1, 1 };
	struct mt_load l = { .active = active, .n = 3 };
	uint16_t b;

	make(16, 3, 300000);
	mt_load_sum(&l);
	cr_assert_eq(l.total_active, 12);
	cr_assert_eq(l.n_up, 3);

	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 10), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 1, 20), 0);
	/* Server 0 is older but overloaded: the guard sends us to server 1. */
	cr_assert_eq(pick_ok(SID_A, 30, &l), 1);

	/* Only the overloaded candidate: refused with -EAGAIN so the caller
	 * load-balances and the client does a full handshake. */
	cr_assert_eq(mt_learn(t, SID_B, 32, 0, 10), 0);
	cr_assert_eq(mt_pick(t, SID_B, 32, 30, &l, &b), -EAGAIN);

	/* Exactly at the guard (6 of mean 4 = 150%) is still accepted. */
	active[0] = 6;
	active[1] = 3;
	active[2] = 3;
	mt_load_sum(&l);
	cr_assert_eq(pick_ok(SID_B, 31, &l), 0);

	struct mt_stats st;
	mt_get_stats(t, &st);
	cr_assert_eq(st.refused_load, 1);
}

Test(maptable, load_guard_ignores_small_counts_and_can_be_off)
{
	/* 3 of mean 1 is 300%, but below guard_min (4): no refusal on a
	 * nearly idle cluster. */
	uint32_t active[3] = { 3, 0, 0 };
	struct mt_load l = { .active = active, .n = 3 };
	struct mt_config cfg;

	make(16, 3, 300000);
	mt_load_sum(&l);
	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 10), 0);
	cr_assert_eq(pick_ok(SID_A, 11, &l), 0);
	mt_destroy(t);

	active[0] = 1000;
	mt_load_sum(&l);
	mt_config_default(&cfg, 16, 3);
	cfg.guard_pct = 0;
	cr_assert_eq(mt_create(&cfg, &t), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 10), 0);
	cr_assert_eq(pick_ok(SID_A, 11, &l), 0);
}

Test(maptable, idle_candidate_expires_after_lifetime)
{
	uint16_t b;

	make(16, 2, 1000);
	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 0), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 1, 500), 0);
	cr_assert_eq(pick_ok(SID_A, 999, NULL), 0);
	/* Server 0's copy is a lifetime old: server 1 is the only live one. */
	cr_assert_eq(pick_ok(SID_A, 1000, NULL), 1);

	/* Entry touched at 500: not expired at 1499, and not yet removed, but
	 * no live candidate is left at 1500; expire then removes it. */
	cr_assert_eq(mt_expire(t, 1499, 0), 0);
	cr_assert_eq(mt_pick(t, SID_A, 32, 1500, NULL, &b), -EBUSY);
	cr_assert_eq(mt_expire(t, 1500, 0), 1);
	cr_assert_eq(mt_pick(t, SID_A, 32, 1500, NULL, &b), -ENOENT);

	struct mt_stats st;
	mt_get_stats(t, &st);
	cr_assert_eq(st.entries, 0);
	cr_assert_eq(st.expired, 1);
}

Test(maptable, busy_entry_survives_expiry_then_goes)
{
	make(16, 2, 1000);
	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 0), 0);
	cr_assert_eq(mt_learn(t, SID_B, 32, 1, 100), 0);
	cr_assert_eq(mt_acquire(t, SID_A, 32, 0, 200), 0);
	/* A connection open longer than the lifetime keeps its entry. */
	cr_assert_eq(mt_expire(t, 5000, 0), 1); /* SID_B goes */
	cr_assert_eq(mt_release(t, SID_A, 32, 0, 5000), 0);
	cr_assert_eq(pick_ok(SID_A, 5500, NULL), 0);
	cr_assert_eq(mt_expire(t, 5999, 0), 0);
	cr_assert_eq(mt_expire(t, 6000, 0), 1);
}

Test(maptable, expire_budget_bounds_the_work)
{
	uint8_t key[8] = { 0 };

	make(64, 1, 10);
	for (int i = 0; i < 50; i++) {
		key[0] = (uint8_t)i;
		cr_assert_eq(mt_learn(t, key, sizeof(key), 0, (uint64_t)i), 0);
	}
	cr_assert_eq(mt_expire(t, 1000, 20), 20);
	cr_assert_eq(mt_expire(t, 1000, 20), 20);
	cr_assert_eq(mt_expire(t, 1000, 20), 10);
	cr_assert_eq(mt_expire(t, 1000, 20), 0);
}

Test(maptable, cap_evicts_least_recently_touched)
{
	uint8_t key[4] = { 0 };
	uint16_t b;
	struct mt_stats st;

	make(4, 2, 300000);
	for (int i = 0; i < 4; i++) {
		key[0] = (uint8_t)i;
		cr_assert_eq(mt_learn(t, key, 4, 0, (uint64_t)i), 0);
	}
	/* Touch key 0 so key 1 becomes the oldest. */
	key[0] = 0;
	cr_assert_eq(mt_acquire(t, key, 4, 0, 10), 0);
	key[0] = 4;
	cr_assert_eq(mt_learn(t, key, 4, 1, 11), 0);

	mt_get_stats(t, &st);
	cr_assert_eq(st.entries, 4);
	cr_assert_eq(st.evicted, 1);
	key[0] = 1;
	cr_assert_eq(mt_pick(t, key, 4, 12, NULL, &b), -ENOENT);
	key[0] = 0;
	cr_assert_eq(mt_pick(t, key, 4, 12, NULL, &b), -EBUSY);
	key[0] = 4;
	cr_assert_eq(mt_pick(t, key, 4, 12, NULL, &b), 0);
	cr_assert_eq(b, 1);
	/* Releasing a connection whose entry was evicted is harmless. */
	key[0] = 1;
	cr_assert_eq(mt_release(t, key, 4, 0, 13), -ENOENT);
}

Test(maptable, full_candidate_set_replaces_oldest_idle)
{
	uint16_t b;
	struct mt_entry_view;

	make(16, 8, 300000);
	for (uint16_t k = 0; k < MT_MAX_CANDS; k++)
		cr_assert_eq(mt_learn(t, SID_A, 32, k, 100 + k), 0);
	cr_assert_eq(mt_acquire(t, SID_A, 32, 0, 200), 0);
	/* Backend 0 is BUSY, so backend 1 (stamp 101) is the victim. */
	cr_assert_eq(mt_learn(t, SID_A, 32, 7, 300), 0);
	cr_assert_eq(mt_acquire(t, SID_A, 32, 1, 301), -ENOENT);
	cr_assert_eq(pick_ok(SID_A, 302, NULL), 2);

	for (uint16_t k = 2; k < MT_MAX_CANDS; k++)
		cr_assert_eq(mt_acquire(t, SID_A, 32, k, 303), 0);
	cr_assert_eq(mt_acquire(t, SID_A, 32, 7, 303), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 6, 304), -ENOSPC);
	cr_assert_eq(mt_pick(t, SID_A, 32, 305, NULL, &b), -EBUSY);
}

Test(maptable, relearn_restamps_idle_but_not_busy)
{
	make(16, 2, 300000);
	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 10), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 1, 20), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 30), 0); /* 0 now newer */
	cr_assert_eq(pick_ok(SID_A, 31, NULL), 1);
	cr_assert_eq(mt_acquire(t, SID_A, 32, 1, 40), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 1, 50), 0); /* BUSY: no restamp */
	cr_assert_eq(mt_release(t, SID_A, 32, 1, 60), 0);
	cr_assert_eq(pick_ok(SID_A, 61, NULL), 0);
}

Test(maptable, rejects_bad_arguments)
{
	uint8_t big[MT_MAX_KEY + 1] = { 0 };
	uint16_t b;
	struct mt_config cfg;
	struct mt_table *x = NULL;

	make(16, 2, 300000);
	cr_assert_eq(mt_learn(t, SID_A, 0, 0, 0), -EINVAL);
	cr_assert_eq(mt_learn(t, big, sizeof(big), 0, 0), -EINVAL);
	cr_assert_eq(mt_learn(t, big, MT_MAX_KEY, 0, 0), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 2, 0), -EINVAL); /* backend range */
	cr_assert_eq(mt_pick(t, big, sizeof(big), 0, NULL, &b), -EINVAL);
	cr_assert_eq(mt_acquire(t, NULL, 4, 0, 0), -EINVAL);
	cr_assert_eq(mt_forget(t, SID_A, 33 + MT_MAX_KEY), -EINVAL);

	mt_config_default(&cfg, 0, 2);
	cr_assert_eq(mt_create(&cfg, &x), -EINVAL);
	mt_config_default(&cfg, 8, 0);
	cr_assert_eq(mt_create(&cfg, &x), -EINVAL);
	mt_config_default(&cfg, 8, 2);
	cfg.guard_pct = 1000000;
	cr_assert_eq(mt_create(&cfg, &x), -EINVAL);
	cr_assert_null(x);
}

Test(maptable, keys_differ_by_length_and_forget_works)
{
	uint16_t b;

	make(16, 2, 300000);
	cr_assert_eq(mt_learn(t, SID_A, 16, 0, 0), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 1, 0), 0);
	cr_assert_eq(pick_ok(SID_A, 1, NULL), 1);
	cr_assert_eq(mt_pick(t, SID_A, 16, 1, NULL, &b), 0);
	cr_assert_eq(b, 0);
	cr_assert_eq(mt_forget(t, SID_A, 16), 0);
	cr_assert_eq(mt_forget(t, SID_A, 16), -ENOENT);
	cr_assert_eq(mt_pick(t, SID_A, 16, 1, NULL, &b), -ENOENT);
	cr_assert_eq(pick_ok(SID_A, 1, NULL), 1);
}

Test(maptable, clock_stepping_back_is_clamped)
{
	uint16_t b;

	make(16, 2, 1000);
	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 5000), 0);
	/* An earlier time must not make the entry look older than it is. */
	cr_assert_eq(mt_learn(t, SID_B, 32, 0, 100), 0);
	cr_assert_eq(mt_expire(t, 5999, 0), 0);
	cr_assert_eq(mt_expire(t, 6000, 0), 2);
	cr_assert_eq(mt_pick(t, SID_B, 32, 6000, NULL, &b), -ENOENT);
}

struct collect {
	int n;
	uint8_t first_byte[8];
	unsigned cands[8];
	enum mt_state st0[8];
	int stop_at;
};

static int collect_fn(const struct mt_entry_view *e, void *arg)
{
	struct collect *c = arg;

	c->first_byte[c->n] = e->key[0];
	c->cands[c->n] = e->n_cands;
	c->st0[c->n] = e->cands[0].state;
	c->n++;
	return c->n == c->stop_at ? 42 : 0;
}

Test(maptable, foreach_lists_oldest_first_with_state)
{
	struct collect c = { 0 };

	make(16, 2, 300000);
	cr_assert_eq(mt_learn(t, SID_B, 32, 0, 1), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 0, 2), 0);
	cr_assert_eq(mt_learn(t, SID_A, 32, 1, 3), 0);
	cr_assert_eq(mt_acquire(t, SID_A, 32, 0, 4), 0);
	cr_assert_eq(mt_foreach(t, collect_fn, &c), 0);
	cr_assert_eq(c.n, 2);
	cr_assert_eq(c.first_byte[0], 0xb0);
	cr_assert_eq(c.first_byte[1], 0xa0);
	cr_assert_eq(c.cands[1], 2);
	cr_assert_eq(c.st0[0], MT_IDLE);
	cr_assert_eq(c.st0[1], MT_BUSY);

	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	cr_assert_eq(mt_foreach(t, collect_fn, &c), 42);
	cr_assert_eq(c.n, 1);
}

Test(maptable, memory_per_entry_is_fixed_and_small)
{
	size_t per = mt_mem_bytes(1u << 20) / (1u << 20);

	/* 128-byte slab entry + two 8-byte index slots: the figure the docs
	 * quote. */
	cr_assert_leq(per, 144, "per-entry memory grew to %zu bytes", per);
	cr_assert_geq(per, 144);
	cr_assert_eq(mt_mem_bytes(0), 0);
}

/* Reference vectors from the SipHash paper (key 00..0f, message 00..len-1). */
Test(siphash, reference_vectors)
{
	uint8_t k[16], m[64];

	for (int i = 0; i < 16; i++)
		k[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		m[i] = (uint8_t)i;
	cr_assert_eq(mt_siphash24(k, m, 0), 0x726fdb47dd0e0e31ULL);
	cr_assert_eq(mt_siphash24(k, m, 15), 0xa129ca6149be45e5ULL);
}

/* The index's backward-shift deletion under churn: every key present must
 * stay findable and every removed one gone, across probe runs that wrap
 * around the end of the index. 200 keys in a 256-entry table (512 slots),
 * so nothing is evicted and the reference is one flag per key. */
Test(maptable, index_survives_churn)
{
	bool present[200] = { false };
	uint64_t x = 12345;
	uint16_t b;

	make(256, 1, 300000);
	for (int step = 0; step < 200000; step++) {
		uint32_t k;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		k = (uint32_t)(x >> 33) % 200;
		if (x >> 63) {
			cr_assert_eq(mt_learn(t, &k, sizeof(k), 0, 1), 0);
			present[k] = true;
		} else {
			cr_assert_eq(mt_forget(t, &k, sizeof(k)), present[k] ? 0 : -ENOENT,
				     "step %d key %u", step, k);
			present[k] = false;
		}
		if (step % 1000 == 0) {
			for (uint32_t j = 0; j < 200; j++)
				cr_assert_eq(mt_pick(t, &j, sizeof(j), 1, NULL, &b),
					     present[j] ? 0 : -ENOENT, "step %d key %u", step, j);
		}
	}
}

/* `splicectl flush --older-than`: only entries untouched since the cutoff
 * go, oldest first, in slices; flushing everything takes BUSY ones too. */
Test(maptable, flush_by_age_in_slices)
{
	uint8_t key[8] = { 0 };
	struct mt_stats st;
	uint16_t b;

	make(64, 2, 100000);
	for (int i = 0; i < 30; i++) {
		key[0] = (uint8_t)i;
		cr_assert_eq(mt_learn(t, key, sizeof(key), 0, (uint64_t)i * 10), 0);
	}
	key[0] = 2;
	/* In use now: touched at 290, so an age flush keeps it. */
	cr_assert_eq(mt_acquire(t, key, sizeof(key), 0, 290), 0);
	cr_assert_eq(mt_flush(t, 95, 4), 4);   /* 0, 10, 30, 40 */
	cr_assert_eq(mt_flush(t, 95, 0), 5);   /* 50 .. 90 */
	cr_assert_eq(mt_flush(t, 95, 0), 0);
	mt_get_stats(t, &st);
	cr_assert_eq(st.entries, 21);
	key[0] = 0;
	cr_assert_eq(mt_pick(t, key, sizeof(key), 300, NULL, &b), -ENOENT);
	key[0] = 10;
	cr_assert_eq(mt_pick(t, key, sizeof(key), 300, NULL, &b), 0);
	cr_assert_eq(mt_flush(t, UINT64_MAX, 0), 21);
	key[0] = 2;
	cr_assert_eq(mt_release(t, key, sizeof(key), 0, 300), -ENOENT);
	key[0] = 10;
	cr_assert_eq(mt_pick(t, key, sizeof(key), 300, NULL, &b), -ENOENT);
	/* The table is still usable after being emptied. */
	cr_assert_eq(mt_learn(t, key, sizeof(key), 1, 400), 0);
	cr_assert_eq(mt_pick(t, key, sizeof(key), 400, NULL, &b), 0);
	cr_assert_eq(b, 1);
}
