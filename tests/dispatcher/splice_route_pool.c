/* Session routing inside a content pool, with real OpenSSL handshakes: a
 * mapping-table entry or a configured prefix that names a backend outside
 * the connection's pool is not followed (the scheduler picks inside the
 * pool), the load guard compares against the pool's mean, and a pool with
 * no usable member refuses although other pools have some. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "splice/route/splice_route.h"

#include "splice_route_rig.h"

/* Backend 0 outside every pool block (pool 0), 1 and 2 in pool a (1), 3
 * in pool b (2). */
#define POOLS                                                              \
	" scheduler rr\n backend 10.0.1.1:443 session-id-prefix 5b00\n"    \
	" pool a {\n  backend 10.0.1.2:443\n  backend 10.0.1.3:443\n }\n"   \
	" pool b {\n  backend 10.0.1.4:443\n }\n"                          \
	" use-pool a if sni a.example\n use-pool b if sni *.b.example\n"

static struct rig g;
static struct gen_ctx gc;

static void fini(void)
{
	rig_down(&g);
	gen_ctx_free(&gc);
}

TestSuite(sroute_pool, .fini = fini);

static void tls12_ids(const uint8_t *prefix, size_t len)
{
	struct gen_opts o = { .max_version = TLS1_2_VERSION, .no_tickets = true,
			      .sid_prefix = prefix, .sid_prefix_len = len };

	cr_assert_eq(gen_ctx_init(&gc, &o), 0);
}

/* A full handshake in pool a, learned; returns its backend. */
static uint16_t visit_a(struct gen_run *full, uint64_t now)
{
	struct sroute_pick p;

	rig_handshake(&gc, NULL, full);
	cr_assert_eq(rig_pick_pool(&g, full, now, NULL, 1, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED);
	cr_assert(p.backend == 1 || p.backend == 2, "pool a picked %u", p.backend);
	rig_serve(&g, full, &p, now);
	sroute_release(g.r, &p, now);
	return p.backend;
}

Test(sroute_pool, table_entry_outside_the_pool_is_not_followed)
{
	struct gen_run full, res;
	struct sroute_pick p;
	struct sroute_stats st;
	uint16_t b;

	rig_up(&g, POOLS);
	tls12_ids(NULL, 0);
	b = visit_a(&full, 100);
	rig_handshake(&gc, full.session, &res);
	/* Same pool: the table. */
	cr_assert_eq(rig_pick_pool(&g, &res, 200, NULL, 1, &p), 0);
	cr_assert_eq(p.how, SROUTE_TABLE);
	cr_assert_eq(p.backend, b);
	sroute_release(g.r, &p, 200);
	/* The same hello sent to pool b: its only member, by the scheduler. */
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(rig_pick_pool(&g, &res, 300, NULL, 2, &p), 0);
		cr_assert_eq(p.how, SROUTE_SCHED);
		cr_assert_eq(p.backend, 3);
		sroute_release(g.r, &p, 300);
	}
	/* and to the default pool: backend 0 */
	cr_assert_eq(rig_pick_pool(&g, &res, 400, NULL, 0, &p), 0);
	cr_assert_eq(p.backend, 0);
	sroute_release(g.r, &p, 400);
	sroute_get_stats(g.r, &st, NULL, 0);
	cr_assert_eq(st.table_hits, 1);
	cr_assert_eq(st.table_misses, 5);
	gen_run_free(&res);
	gen_run_free(&full);
}

/* Backend 0's session-id-prefix is configured; its sessions resumed from a
 * connection routed to pool a stay in pool a. */
Test(sroute_pool, prefix_outside_the_pool_is_not_followed)
{
	static const uint8_t pfx[2] = { 0x5b, 0x00 };
	struct gen_run full, res;
	struct sroute_pick p;

	rig_up(&g, POOLS);
	tls12_ids(pfx, sizeof(pfx));
	rig_handshake(&gc, NULL, &full);
	rig_handshake(&gc, full.session, &res);
	cr_assert_eq(rig_pick_pool(&g, &res, 100, NULL, 0, &p), 0);
	cr_assert_eq(p.how, SROUTE_PREFIX, "the prefix routes in its own pool");
	cr_assert_eq(p.backend, 0);
	sroute_release(g.r, &p, 100);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(rig_pick_pool(&g, &res, 200, NULL, 1, &p), 0);
		cr_assert_neq(p.how, SROUTE_PREFIX);
		cr_assert(p.backend == 1 || p.backend == 2, "pool a picked %u", p.backend);
		sroute_release(g.r, &p, 200);
	}
	gen_run_free(&res);
	gen_run_free(&full);
}

/* The holder carries 6 connections, its pool partner 1, backend 0 (another
 * pool) 40: against the service's mean (47/4) the holder is light, against
 * pool a's (7/2) it is at 171 % and the guard refuses it. */
Test(sroute_pool, load_guard_uses_the_pool_mean)
{
	struct gen_run full, res;
	struct sroute_pick p;
	struct sroute_stats st;
	uint16_t b;

	rig_up(&g, POOLS " load-guard 150 min 2\n");
	tls12_ids(NULL, 0);
	b = visit_a(&full, 100);
	rig_handshake(&gc, full.session, &res);
	for (int i = 0; i < 6; i++)
		disp_backend_conn_inc(disp_bset_get(g.bs, b));
	disp_backend_conn_inc(disp_bset_get(g.bs, b == 1 ? 2 : 1));
	for (int i = 0; i < 40; i++)
		disp_backend_conn_inc(disp_bset_get(g.bs, 0));
	cr_assert_eq(rig_pick_pool(&g, &res, 200, NULL, 1, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED);
	cr_assert_neq(p.backend, b);
	cr_assert(p.backend == 1 || p.backend == 2);
	sroute_release(g.r, &p, 200);
	sroute_get_stats(g.r, &st, NULL, 0);
	cr_assert_eq(st.guard_refused, 1);
	/* Evened out inside the pool (3 against 1: 150 %): the table again. */
	for (int i = 0; i < 3; i++)
		disp_backend_conn_dec(disp_bset_get(g.bs, b));
	cr_assert_eq(rig_pick_pool(&g, &res, 300, NULL, 1, &p), 0);
	cr_assert_eq(p.how, SROUTE_TABLE);
	cr_assert_eq(p.backend, b);
	sroute_release(g.r, &p, 300);
	gen_run_free(&res);
	gen_run_free(&full);
}

Test(sroute_pool, pool_without_usable_member_refuses)
{
	struct gen_run full;
	struct sroute_pick p;
	bool tried[4] = { false };

	rig_up(&g, POOLS);
	tls12_ids(NULL, 0);
	rig_handshake(&gc, NULL, &full);
	/* One member tried: the other, never a backend of another pool. */
	tried[1] = true;
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(rig_pick_pool(&g, &full, 100, tried, 1, &p), 0);
		cr_assert_eq(p.backend, 2);
		sroute_release(g.r, &p, 100);
	}
	cr_assert_eq(disp_backend_set_admin(disp_bset_get(g.bs, 2), DISP_BE_DOWN), 0);
	cr_assert_eq(rig_pick_pool(&g, &full, 200, tried, 1, &p), -EHOSTUNREACH);
	cr_assert_eq(rig_pick_pool(&g, &full, 200, NULL, 1, &p), 0);
	cr_assert_eq(p.backend, 1);
	sroute_release(g.r, &p, 200);
	cr_assert_eq(rig_pick_pool(&g, &full, 200, tried, 2, &p), 0);
	cr_assert_eq(p.backend, 3);
	sroute_release(g.r, &p, 200);
	gen_run_free(&full);
}

/* scheduler lard: a path sticks to its backend while loads are light, the
 * paths spread over the pool's members (the ties start at a place the
 * target's hash picks), never outside the pool; a tried or DOWN member
 * is skipped; a loaded target is replicated; a service without LARD says
 * -ENOENT. */
Test(sroute_pool, lard_on_the_path_inside_the_pool)
{
	static const char *paths[] = { "/a", "/b/c", "/d", "/e.png", "/f/g/h", "/i", "/j", "/k" };
	struct sroute_pick p;
	struct sroute_stats st;
	uint16_t first[8];
	unsigned used = 0;
	bool tried[5] = { false };

	rig_up(&g, " scheduler lard\n backend 10.0.1.1:443\n"
		   " pool a {\n  backend 10.0.1.2:443\n  backend 10.0.1.3:443\n"
		   "  backend 10.0.1.4:443\n }\n use-pool a if path /\n");
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 8; i++) {
			cr_assert_eq(sroute_pick_path(g.r, paths[i], strlen(paths[i]), 100,
						      NULL, 1, &p), 0);
			cr_assert(p.backend >= 1 && p.backend <= 3, "outside pool a: %u",
				  p.backend);
			cr_assert_eq(p.be, disp_bset_get(g.bs, p.backend));
			if (round == 0) {
				first[i] = p.backend;
				used |= 1u << p.backend;
			}
			cr_assert_eq(p.backend, first[i], "%s moved", paths[i]);
			sroute_release(g.r, &p, 100);
		}
	}
	cr_assert_gt(__builtin_popcount(used), 1, "every path on one backend");
	/* Its backend tried (refused): another member, the pool's. */
	tried[first[0]] = true;
	cr_assert_eq(sroute_pick_path(g.r, "/a", 2, 200, tried, 1, &p), 0);
	cr_assert_neq(p.backend, first[0]);
	cr_assert(p.backend >= 1 && p.backend <= 3);
	/* Its backend overloaded (over t_high = 65, another below t_low =
	 * 25): the target's set grows to the least loaded member. */
	for (int i = 0; i < 70; i++)
		disp_backend_conn_inc(disp_bset_get(g.bs, first[0]));
	cr_assert_eq(sroute_pick_path(g.r, "/a", 2, 300, NULL, 1, &p), 0);
	cr_assert_neq(p.backend, first[0], "not replicated under load");
	/* Every member DOWN: nothing, though backend 0 is UP. */
	for (int b = 1; b <= 3; b++)
		disp_backend_set_admin(disp_bset_get(g.bs, b), DISP_BE_DOWN);
	cr_assert_eq(sroute_pick_path(g.r, "/a", 2, 400, NULL, 1, &p), -EHOSTUNREACH);
	sroute_get_stats(g.r, &st, NULL, 0);
	cr_assert_eq(st.lard_routed, 42);
	rig_down(&g);

	rig_up(&g, " scheduler wlc\n backend 10.0.1.1:443\n");
	cr_assert_eq(sroute_pick_path(g.r, "/a", 2, 100, NULL, 0, &p), -ENOENT);
}
