/* The schedulers inside a content pool: picks stay among the pool's
 * backends, keep the weighted shares among them, skip members that are not
 * UP, and give nothing when no member is UP, whatever the rest of the set
 * does. A service without pools is one pool of every backend. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"

static struct disp_config *cfg;
static struct disp_pool *pool;

/* Backends 0 and 1 outside every pool block (pool 0), 2..4 in pool a
 * (pool 1, weights 1, 2, 3), 5 in pool b (pool 2): members of a are
 * neither first nor last, so a pick that ignored the pool would show. */
static struct disp_bset *make(const char *sched)
{
	char text[2048], err[256];

	snprintf(text, sizeof(text),
		 "service s {\nvip 10.0.0.1:443\nclient-interface e\nmode splice\n"
		 "scheduler %s\n"
		 "backend 10.0.1.1:443\nbackend 10.0.1.2:443\n"
		 "pool a {\nbackend 10.0.2.1:443 weight 1\nbackend 10.0.2.2:443 weight 2\n"
		 "backend 10.0.2.3:443 weight 3\n}\n"
		 "pool b {\nbackend 10.0.3.1:443\n}\n"
		 "use-pool a if sni a.example\nuse-pool b if sni *.b.example\n}\n",
		 sched);
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

TestSuite(sched_pool, .fini = teardown);

static size_t idx(struct disp_bset *bs, struct disp_backend *be)
{
	cr_assert_not_null(be, "no backend picked");
	return disp_bset_index(bs, be);
}

static struct disp_addr client(uint32_t n)
{
	struct disp_addr a = { .family = AF_INET, .port = (uint16_t)(1024 + n % 60000) };

	a.ip.v4.s_addr = htonl(0x0a800000u + n);
	return a;
}

Test(sched_pool, membership)
{
	struct disp_bset *bs = make("rr");
	static const unsigned want[6] = { 0, 0, 1, 1, 1, 2 };

	cr_assert_eq(disp_bset_pools(bs), 3);
	for (size_t i = 0; i < 6; i++)
		for (unsigned p = 0; p < 3; p++)
			cr_assert_eq(disp_bset_in_pool(bs, p, i), want[i] == p,
				     "backend %zu, pool %u", i, p);
	cr_assert_not(disp_bset_in_pool(bs, 3, 0), "no pool 3");
	cr_assert_not(disp_bset_in_pool(bs, 0, 6), "no backend 6");
	cr_assert_null(disp_bset_pick_pool(bs, NULL, 3));
}

/* The pool's own smooth schedule: shares 1:2:3 exactly, never a burst of
 * more than 2 in a row for the heaviest (c b c a c b, wrapping round),
 * and picks in the other pools do not disturb it. */
Test(sched_pool, rr_weighted_inside_the_pool)
{
	struct disp_bset *bs = make("rr");
	struct disp_addr c = client(1);
	size_t count[6] = { 0 }, run = 0, maxrun = 0, prev = 9;

	for (int i = 0; i < 600; i++) {
		size_t k = idx(bs, disp_bset_pick_pool(bs, &c, 1));

		count[k]++;
		run = k == prev ? run + 1 : 1;
		maxrun = run > maxrun ? run : maxrun;
		prev = k;
		/* the other pools, interleaved */
		cr_assert_lt(idx(bs, disp_bset_pick_pool(bs, &c, 0)), 2);
		cr_assert_eq(idx(bs, disp_bset_pick_pool(bs, &c, 2)), 5);
	}
	cr_assert_eq(count[2], 100);
	cr_assert_eq(count[3], 200);
	cr_assert_eq(count[4], 300);
	cr_assert_leq(maxrun, 2, "heaviest member got %zu in a row", maxrun);
	/* A live weight change rebuilds the pool's schedule too. */
	cr_assert_eq(disp_bset_set_weight(bs, disp_bset_get(bs, 2), 6), 0);
	memset(count, 0, sizeof(count));
	for (int i = 0; i < 110; i++)
		count[idx(bs, disp_bset_pick_pool(bs, &c, 1))]++;
	cr_assert_eq(count[2], 60);
	cr_assert_eq(count[3], 20);
	cr_assert_eq(count[4], 30);
}

Test(sched_pool, wlc_weighted_inside_the_pool)
{
	struct disp_bset *bs = make("wlc");
	struct disp_addr c = client(1);
	size_t count[6] = { 0 };

	/* Flows that never end: shares 1:2:3 among members; the outside
	 * backends stay idle, and still get none. */
	for (int i = 0; i < 600; i++) {
		struct disp_backend *b = disp_bset_pick_pool(bs, &c, 1);

		disp_backend_conn_inc(b);
		count[idx(bs, b)]++;
	}
	cr_assert(count[2] >= 99 && count[2] <= 101, "weight 1 got %zu", count[2]);
	cr_assert(count[3] >= 199 && count[3] <= 201, "weight 2 got %zu", count[3]);
	cr_assert(count[4] >= 299 && count[4] <= 301, "weight 3 got %zu", count[4]);
	cr_assert_eq(count[0] + count[1] + count[5], 0);
}

/* Idle backends tie: the ties rotate over the pool's members evenly (a
 * rotation over the whole set would favour the member after the longest
 * run of non-members). */
Test(sched_pool, wlc_ties_rotate_over_members)
{
	struct disp_bset *bs = make("wlc");
	struct disp_addr c = client(1);
	size_t count[6] = { 0 };

	for (int i = 0; i < 300; i++)
		count[idx(bs, disp_bset_pick_pool(bs, &c, 0))]++;
	cr_assert_eq(count[0], 150);
	cr_assert_eq(count[1], 150);
}

Test(sched_pool, source_hash_inside_the_pool)
{
	struct disp_bset *bs = make("source-hash");
	size_t count[6] = { 0 };

	for (uint32_t n = 0; n < 3000; n++) {
		struct disp_addr a = client(n);
		size_t k = idx(bs, disp_bset_pick_pool(bs, &a, 1));

		count[k]++;
		cr_assert_eq(idx(bs, disp_bset_pick_pool(bs, &a, 1)), k, "not sticky");
	}
	cr_assert_eq(count[0] + count[1] + count[5], 0);
	/* weights 1:2:3 of 3000: 500, 1000, 1500, within a few percent */
	cr_assert(count[2] > 400 && count[2] < 600, "weight 1 got %zu", count[2]);
	cr_assert(count[4] > 1350 && count[4] < 1650, "weight 3 got %zu", count[4]);
}

/* Members that are not UP are skipped; with none UP the pool gives
 * nothing, though the rest of the set is UP. */
Test(sched_pool, down_members_and_empty_pool)
{
	const char *scheds[] = { "rr", "wlc", "source-hash" };

	for (size_t s = 0; s < 3; s++) {
		struct disp_bset *bs = make(scheds[s]);
		struct disp_addr c = client(7);

		disp_backend_set_admin(disp_bset_get(bs, 2), DISP_BE_DOWN);
		disp_backend_set_healthy(disp_bset_get(bs, 3), false);
		for (int i = 0; i < 20; i++)
			cr_assert_eq(idx(bs, disp_bset_pick_pool(bs, &c, 1)), 4, "%s", scheds[s]);
		disp_backend_set_admin(disp_bset_get(bs, 4), DISP_BE_DRAIN);
		cr_assert_null(disp_bset_pick_pool(bs, &c, 1), "%s: nothing UP in the pool",
			       scheds[s]);
		cr_assert_not_null(disp_bset_pick_pool(bs, &c, 0));
		cr_assert_not_null(disp_bset_pick(bs, &c), "the whole set still has UP backends");
		teardown();
	}
}

/* Without pools: one pool, 0, of every backend, picked as the set is. */
Test(sched_pool, no_pools_is_one_pool_of_all)
{
	char err[256];
	const char *text = "service s {\nvip 10.0.0.1:80\nclient-interface e\n"
			   "backend 10.0.1.1:80\nbackend 10.0.1.2:80\n}\n";
	struct disp_addr c = client(1);
	size_t count[2] = { 0 };
	struct disp_bset *bs;

	cr_assert_eq(disp_config_parse(text, strlen(text), "t", &cfg, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	bs = disp_pool_bset(pool, 0);
	cr_assert_eq(disp_bset_pools(bs), 1);
	cr_assert(disp_bset_in_pool(bs, 0, 0) && disp_bset_in_pool(bs, 0, 1));
	for (int i = 0; i < 10; i++)
		count[idx(bs, disp_bset_pick_pool(bs, &c, 0))]++;
	cr_assert_eq(count[0], 5);
	cr_assert_eq(count[1], 5);
}

/* A reload adds a backend to pool a and removes one of pool 0: the new
 * one gets pool a's picks (its schedule rebuilt), never pool 0's or b's,
 * and the removed one none. */
Test(sched_pool, reload_adds_into_its_pool)
{
	struct disp_bset *bs = make("rr");
	struct disp_config *next = NULL;
	struct disp_bset_delta d;
	struct disp_addr c = client(1);
	size_t count[8] = { 0 };
	char err[256];
	const char *text =
		"service s {\nvip 10.0.0.1:443\nclient-interface e\nmode splice\n"
		"scheduler rr\n"
		"backend 10.0.1.1:443\n"
		"pool a {\nbackend 10.0.2.1:443 weight 1\nbackend 10.0.2.2:443 weight 2\n"
		"backend 10.0.2.3:443 weight 3\nbackend 10.0.2.4:443 weight 4\n}\n"
		"pool b {\nbackend 10.0.3.1:443\n}\n"
		"use-pool a if sni a.example\nuse-pool b if sni *.b.example\n}\n";

	cr_assert_eq(disp_config_parse(text, strlen(text), "t2", &next, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(disp_bset_apply(bs, &cfg->services[0], &next->services[0], &d), 0);
	cr_assert_eq(d.added, 1);
	cr_assert_eq(d.removed, 1);
	cr_assert_eq(disp_bset_count(bs), 7, "a fresh slot");
	cr_assert(disp_bset_in_pool(bs, 1, 6));
	cr_assert_not(disp_bset_in_pool(bs, 0, 6));
	for (int i = 0; i < 100; i++)
		count[idx(bs, disp_bset_pick_pool(bs, &c, 1))]++;
	cr_assert_eq(count[2], 10);
	cr_assert_eq(count[3], 20);
	cr_assert_eq(count[4], 30);
	cr_assert_eq(count[6], 40);
	memset(count, 0, sizeof(count));
	for (int i = 0; i < 20; i++)
		count[idx(bs, disp_bset_pick_pool(bs, &c, 0))]++;
	cr_assert_eq(count[0], 20, "10.0.1.2 was removed");
	disp_config_free(next);
}

/* `add backend` (no pool block to name one): the default pool. */
Test(sched_pool, added_by_hand_joins_the_default_pool)
{
	char err[256];
	const char *text = "service s {\nvip 10.0.0.1:443\nclient-interface e\nmode splice\n"
			   "pool a {\nbackend 10.0.2.1:443\n}\n"
			   "pool rest {\nbackend 10.0.3.1:443\n}\n"
			   "default-pool rest\nuse-pool a if path /a\n}\n";
	struct disp_backend_conf bc = { .weight = 1 };
	struct disp_backend *be;
	struct disp_bset *bs;

	cr_assert_eq(disp_config_parse(text, strlen(text), "t", &cfg, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	bs = disp_pool_bset(pool, 0);
	cr_assert_eq(disp_addr_parse("10.0.3.2:443", 12, true, &bc.addr), 0);
	bc.pool = 1; /* ignored */
	cr_assert_eq(disp_bset_add(bs, &bc, DISP_BE_UP, &be), 0);
	cr_assert(disp_bset_in_pool(bs, 2, disp_bset_index(bs, be)));
	cr_assert_not(disp_bset_in_pool(bs, 1, disp_bset_index(bs, be)));
	cr_assert_not(disp_bset_in_pool(bs, 0, disp_bset_index(bs, be)));
}
