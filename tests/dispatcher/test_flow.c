/* Flow table: keys in both directions, bounded size with a clean "full"
 * result, per-state timeouts and the release callback. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "flow/flow.h"

#include "util/siphash.h"

static const uint8_t cli[4] = { 10, 0, 0, 2 };
static const uint8_t vip[4] = { 10, 0, 9, 1 };
static const uint8_t be1[4] = { 10, 1, 0, 11 };

struct rel {
	unsigned n;
	enum disp_flow_end last;
};

static void on_release(struct disp_flow *f, enum disp_flow_end why, void *arg)
{
	struct rel *r = arg;

	(void)f;
	r->n++;
	r->last = why;
}

/* Keys of client port p: client->VIP and backend->client. */
static void keys(uint16_t p, struct disp_flow_key *o, struct disp_flow_key *r)
{
	disp_flow_key_v4(o, cli, p, vip, 80, IPPROTO_TCP);
	disp_flow_key_v4(r, be1, 80, cli, p, IPPROTO_TCP);
}

Test(siphash, reference_vector)
{
	/* The paper's Appendix A: key 00..0f, message 00..0e. */
	uint64_t k[2] = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	uint8_t m[15];

	for (int i = 0; i < 15; i++)
		m[i] = (uint8_t)i;
	cr_assert_eq(disp_siphash(k, m, sizeof(m)), 0xa129ca6149be45e5ull);
}

Test(flow, rejects_bad_capacity)
{
	struct disp_flow_table *t = NULL;

	cr_assert_eq(disp_flow_table_create(&t, 0, NULL, NULL, NULL), -EINVAL);
	cr_assert_eq(disp_flow_table_create(&t, (1u << 24) + 1, NULL, NULL, NULL),
		     -EINVAL);
	cr_assert_null(t);
}

Test(flow, lookup_both_directions)
{
	struct disp_flow_table *t;
	struct disp_flow_key o, r, other;
	struct disp_flow *f, *g;
	enum disp_flow_dir d;

	cr_assert_eq(disp_flow_table_create(&t, 8, NULL, NULL, NULL), 0);
	keys(40000, &o, &r);
	cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &f), 0);
	cr_assert_eq(f->state, DISP_FLOW_SYN_SENT);
	g = disp_flow_lookup(t, &o, &d);
	cr_assert_eq(g, f);
	cr_assert_eq(d, DISP_DIR_ORIG);
	g = disp_flow_lookup(t, &r, &d);
	cr_assert_eq(g, f);
	cr_assert_eq(d, DISP_DIR_REPLY);
	keys(40001, &other, &r);
	cr_assert_null(disp_flow_lookup(t, &other, &d));
	cr_assert_eq(disp_flow_count(t), 1);
	disp_flow_table_destroy(t);
}

Test(flow, ipv6_and_ipv4_keys_do_not_collide)
{
	struct disp_flow_table *t;
	struct disp_flow_key k4, k6;
	struct disp_flow *f4, *f6;
	uint8_t c6[16] = { 0xfd, 0 }, v6[16] = { 0xfd, 0, 0, 9 };

	/* The v6 addresses begin with the same bytes as nothing in v4, but the
	 * family byte alone must keep equal-looking keys apart. */
	memcpy(c6, cli, 4);
	memset(c6 + 4, 0, 12);
	memcpy(v6, vip, 4);
	memset(v6 + 4, 0, 12);
	cr_assert_eq(disp_flow_table_create(&t, 4, NULL, NULL, NULL), 0);
	disp_flow_key_v4(&k4, cli, 1000, vip, 80, IPPROTO_TCP);
	disp_flow_key_v6(&k6, c6, 1000, v6, 80, IPPROTO_TCP);
	cr_assert_eq(disp_flow_insert(t, &k4, NULL, 0, &f4), 0);
	cr_assert_eq(disp_flow_insert(t, &k6, NULL, 0, &f6), 0);
	cr_assert_neq(f4, f6);
	cr_assert_eq(disp_flow_lookup(t, &k6, NULL), f6);
	cr_assert_eq(disp_flow_lookup(t, &k4, NULL), f4);
	disp_flow_table_destroy(t);
}

Test(flow, duplicate_key_is_eexist)
{
	struct disp_flow_table *t;
	struct disp_flow_key o, r, o2, r2;
	struct disp_flow *f;

	cr_assert_eq(disp_flow_table_create(&t, 8, NULL, NULL, NULL), 0);
	keys(1, &o, &r);
	keys(2, &o2, &r2);
	cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &f), 0);
	cr_assert_eq(disp_flow_insert(t, &o, &r2, 0, &f), -EEXIST);
	/* Someone else's reply key: also refused, and nothing half-inserted. */
	cr_assert_eq(disp_flow_insert(t, &o2, &r, 0, &f), -EEXIST);
	cr_assert_null(disp_flow_lookup(t, &o2, NULL));
	cr_assert_eq(disp_flow_count(t), 1);
	disp_flow_table_destroy(t);
}

Test(flow, full_table_refuses_cleanly_and_keeps_existing)
{
	struct disp_flow_table *t;
	struct disp_flow_key o, r;
	struct disp_flow *f, *first = NULL;

	cr_assert_eq(disp_flow_table_create(&t, 100, NULL, NULL, NULL), 0);
	for (uint16_t p = 1; p <= 100; p++) {
		keys(p, &o, &r);
		cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &f), 0, "port %u", p);
		if (p == 1)
			first = f;
	}
	keys(101, &o, &r);
	f = NULL;
	cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &f), -ENOSPC);
	cr_assert_null(f);
	cr_assert_eq(disp_flow_count(t), 100);
	cr_assert_null(disp_flow_lookup(t, &o, NULL));
	/* Every existing flow is still found under both keys. */
	for (uint16_t p = 1; p <= 100; p++) {
		keys(p, &o, &r);
		cr_assert_not_null(disp_flow_lookup(t, &o, NULL));
		cr_assert_not_null(disp_flow_lookup(t, &r, NULL));
	}
	/* Freeing one slot admits exactly one more. */
	disp_flow_remove(t, first, DISP_FLOW_END_REMOVED);
	keys(101, &o, &r);
	cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &f), 0);
	keys(102, &o, &r);
	cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &f), -ENOSPC);
	disp_flow_table_destroy(t);
}

Test(flow, per_state_timeouts)
{
	struct disp_flow_table *t;
	struct disp_flow_timeouts to = { .ms = {
		[DISP_FLOW_SYN_SENT] = 100, [DISP_FLOW_ESTABLISHED] = 1000 } };
	struct disp_flow_key o, r;
	struct disp_flow *half, *est;
	struct rel rel = { 0 };

	cr_assert_eq(disp_flow_table_create(&t, 8, &to, on_release, &rel), 0);
	cr_assert_eq(disp_flow_timeout(t, DISP_FLOW_SYN_SENT), 100);
	cr_assert_eq(disp_flow_timeout(t, DISP_FLOW_FIN_WAIT), 30000, "default");
	keys(1, &o, &r);
	cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &half), 0);
	keys(2, &o, &r);
	cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &est), 0);
	disp_flow_set_state(t, est, DISP_FLOW_ESTABLISHED, 0);

	cr_assert_eq(disp_flow_expire(t, 99, 0), 0);
	cr_assert_eq(disp_flow_expire(t, 100, 0), 1, "half-open flow goes first");
	cr_assert_eq(rel.n, 1);
	cr_assert_eq(rel.last, DISP_FLOW_END_TIMEOUT);
	keys(1, &o, &r);
	cr_assert_null(disp_flow_lookup(t, &o, NULL));
	cr_assert_null(disp_flow_lookup(t, &r, NULL));

	/* Traffic at 900 pushes the established flow's deadline to 1900. */
	disp_flow_touch(t, est, 900);
	cr_assert_eq(disp_flow_expire(t, 1899, 0), 0);
	cr_assert_eq(disp_flow_expire(t, 1900, 0), 1);
	cr_assert_eq(disp_flow_count(t), 0);
	disp_flow_table_destroy(t);
	cr_assert_eq(rel.n, 2);
}

Test(flow, expire_is_bounded_per_call)
{
	struct disp_flow_table *t;
	struct disp_flow_key o, r;
	struct disp_flow *f;

	cr_assert_eq(disp_flow_table_create(&t, 64, NULL, NULL, NULL), 0);
	for (uint16_t p = 1; p <= 50; p++) {
		keys(p, &o, &r);
		cr_assert_eq(disp_flow_insert(t, &o, &r, p, &f), 0);
	}
	cr_assert_eq(disp_flow_expire(t, 1000000, 20), 20);
	cr_assert_eq(disp_flow_count(t), 30);
	/* Oldest first: ports 1..20 are gone, 21 is still there. */
	keys(20, &o, &r);
	cr_assert_null(disp_flow_lookup(t, &o, NULL));
	keys(21, &o, &r);
	cr_assert_not_null(disp_flow_lookup(t, &o, NULL));
	cr_assert_eq(disp_flow_expire(t, 1000000, 0), 30);
	disp_flow_table_destroy(t);
}

Test(flow, destroy_releases_every_flow)
{
	struct disp_flow_table *t;
	struct disp_flow_key o, r;
	struct disp_flow *f;
	struct rel rel = { 0 };

	cr_assert_eq(disp_flow_table_create(&t, 16, NULL, on_release, &rel), 0);
	for (uint16_t p = 1; p <= 10; p++) {
		keys(p, &o, &r);
		cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &f), 0);
	}
	disp_flow_table_destroy(t);
	cr_assert_eq(rel.n, 10);
	cr_assert_eq(rel.last, DISP_FLOW_END_REMOVED);
}

Test(flow, set_reply_moves_key)
{
	struct disp_flow_table *t;
	struct disp_flow_key o, r, o2, r2;
	struct disp_flow *f, *g;
	enum disp_flow_dir d;

	cr_assert_eq(disp_flow_table_create(&t, 4, NULL, NULL, NULL), 0);
	keys(1, &o, &r);
	keys(2, &o2, &r2);
	cr_assert_eq(disp_flow_insert(t, &o, NULL, 0, &f), 0);
	cr_assert_eq(disp_flow_insert(t, &o2, &r2, 0, &g), 0);
	cr_assert_null(disp_flow_lookup(t, &r, NULL));
	cr_assert_eq(disp_flow_set_reply(t, f, &r2), -EEXIST);
	cr_assert_eq(disp_flow_set_reply(t, f, &r), 0);
	cr_assert_eq(disp_flow_lookup(t, &r, &d), f);
	cr_assert_eq(d, DISP_DIR_REPLY);
	disp_flow_table_destroy(t);
}

Test(flow, churn_at_capacity_keeps_table_consistent)
{
	enum { CAP = 4096, ROUNDS = 50000 };
	struct disp_flow_table *t;
	struct disp_flow_key o, r;
	struct disp_flow *f;
	static struct disp_flow *slot[CAP];
	uint32_t x = 12345;

	/* Random insert/remove at full load; every live flow must stay
	 * reachable, and the table must never report more than CAP. */
	cr_assert_eq(disp_flow_table_create(&t, CAP, NULL, NULL, NULL), 0);
	memset(slot, 0, sizeof(slot));
	for (int i = 0; i < ROUNDS; i++) {
		x = x * 1103515245u + 12345u;
		uint32_t s = (x >> 8) % CAP;

		if (slot[s]) {
			disp_flow_remove(t, slot[s], DISP_FLOW_END_REMOVED);
			slot[s] = NULL;
			keys((uint16_t)(s + 1), &o, &r);
			cr_assert_null(disp_flow_lookup(t, &o, NULL));
		} else {
			keys((uint16_t)(s + 1), &o, &r);
			cr_assert_eq(disp_flow_insert(t, &o, &r, (uint64_t)i, &f), 0);
			slot[s] = f;
		}
	}
	for (uint32_t s = 0; s < CAP; s++) {
		keys((uint16_t)(s + 1), &o, &r);
		cr_assert_eq(disp_flow_lookup(t, &r, NULL), slot[s]);
	}
	cr_assert_leq(disp_flow_count(t), CAP);
	cr_assert_lt(disp_flow_bytes_per_flow(t), 512);
	disp_flow_table_destroy(t);
}

Test(flow, timeout_classes_expire_independently)
{
	struct disp_flow_table *t;
	struct disp_flow_timeouts to[2] = {
		{ .ms = { [DISP_FLOW_ESTABLISHED] = 1000 } },
		{ .ms = { [DISP_FLOW_ESTABLISHED] = 100 } },
	};
	struct disp_flow_key o, r;
	struct disp_flow *slow, *fast;
	struct rel rel = { 0 };

	cr_assert_eq(disp_flow_table_create_classes(&t, 8, NULL, 2, NULL, NULL),
		     -EINVAL, "classes without timeouts");
	cr_assert_eq(disp_flow_table_create_classes(&t, 8, to,
						    DISP_FLOW_CLASSES_MAX + 1, NULL,
						    NULL), -EINVAL);
	cr_assert_eq(disp_flow_table_create_classes(&t, 8, to, 2, on_release, &rel), 0);
	cr_assert_eq(disp_flow_timeout_class(t, 1, DISP_FLOW_ESTABLISHED), 100);
	cr_assert_eq(disp_flow_timeout_class(t, 1, DISP_FLOW_FIN_WAIT), 30000,
		     "unset states keep the default");
	cr_assert_eq(disp_flow_timeout_class(t, 2, DISP_FLOW_ESTABLISHED), 0);
	keys(1, &o, &r);
	cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &slow), 0);
	keys(2, &o, &r);
	cr_assert_eq(disp_flow_insert(t, &o, &r, 0, &fast), 0);
	cr_assert_eq(disp_flow_set_class(t, fast, 1), 0);
	cr_assert_eq(disp_flow_set_class(t, fast, 2), -EINVAL);
	disp_flow_set_state(t, slow, DISP_FLOW_ESTABLISHED, 0);
	disp_flow_set_state(t, fast, DISP_FLOW_ESTABLISHED, 0);
	cr_assert_eq(disp_flow_expire(t, 100, 0), 1, "class 1 goes at 100 ms");
	cr_assert_null(disp_flow_lookup(t, &o, NULL));
	cr_assert_eq(disp_flow_expire(t, 999, 0), 0);
	cr_assert_eq(disp_flow_expire(t, 1000, 0), 1, "class 0 at 1000 ms");
	cr_assert_eq(rel.n, 2);
	disp_flow_table_destroy(t);
}
