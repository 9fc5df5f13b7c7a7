/* LARD/R: each rule of the algorithm on hand-made loads. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lard.h"

static struct lard *mk(unsigned targets)
{
	struct lard_conf c = {.t_low = 2, .t_high = 6, .shrink_ms = 1000,
			      .targets = targets, .seed = 42};
	struct lard *l = lard_new(&c);

	cr_assert(l);
	return l;
}

#define PICK(l, t, loads, n, elig, now) \
	lard_pick(l, t, strlen(t), loads, n, elig, now)

Test(lard, new_target_least_loaded_then_sticks)
{
	struct lard *l = mk(64);
	unsigned loads[3] = {5, 1, 3};

	cr_assert_eq(PICK(l, "/a", loads, 3, 7, 0), 1);
	/* backend 1 is now busier than 2, but below t_high: locality wins */
	loads[1] = 5;
	loads[2] = 0;
	cr_assert_eq(PICK(l, "/a", loads, 3, 7, 10), 1);
	cr_assert_eq(lard_set(l, "/a", 2), 1u << 1);
	lard_free(l);
}

Test(lard, idle_backends_share_new_targets)
{
	struct lard *l = mk(1024);
	unsigned loads[4] = {0};
	unsigned used = 0;
	char t[16];

	for (int i = 0; i < 64; i++) {
		int b;

		snprintf(t, sizeof(t), "/t%d", i);
		b = PICK(l, t, loads, 4, 15, 0);
		cr_assert(b >= 0 && b < 4);
		used |= 1u << b;
	}
	cr_assert_eq(used, 15u, "ties all went to backends %#x", used);
	lard_free(l);
}

Test(lard, grows_when_overloaded_and_another_is_idle)
{
	struct lard *l = mk(64);
	unsigned loads[3] = {0, 9, 9};

	cr_assert_eq(PICK(l, "/hot", loads, 3, 7, 0), 0);
	loads[0] = 7;  /* > t_high 6, and nobody below t_low 2 */
	cr_assert_eq(PICK(l, "/hot", loads, 3, 7, 1), 0);
	loads[2] = 1;  /* now one below t_low: add it */
	cr_assert_eq(PICK(l, "/hot", loads, 3, 7, 2), 2);
	cr_assert_eq(lard_set(l, "/hot", 4), (1u << 0) | (1u << 2));
	lard_free(l);
}

Test(lard, grows_at_twice_t_high)
{
	struct lard *l = mk(64);
	unsigned loads[2] = {0, 20};

	cr_assert_eq(PICK(l, "/x", loads, 2, 3, 0), 0);
	loads[0] = 12; /* 2 * t_high, though backend 1 is busier still */
	cr_assert_eq(PICK(l, "/x", loads, 2, 3, 1), 1);
	cr_assert_eq(lard_set(l, "/x", 2), 3u);
	lard_free(l);
}

Test(lard, shrinks_after_k_unchanged)
{
	struct lard *l = mk(64);
	unsigned loads[2] = {0, 20};

	PICK(l, "/x", loads, 2, 3, 0);
	loads[0] = 12;
	PICK(l, "/x", loads, 2, 3, 100);  /* set {0,1}, changed at 100 */
	loads[0] = 1;
	loads[1] = 3;
	cr_assert_eq(PICK(l, "/x", loads, 2, 3, 1100), 0);
	cr_assert_eq(lard_set(l, "/x", 2), 3u, "not yet: 1000 ms is not > K");
	cr_assert_eq(PICK(l, "/x", loads, 2, 3, 1101), 0);
	cr_assert_eq(lard_set(l, "/x", 2), 1u, "the most loaded member leaves");
	lard_free(l);
}

Test(lard, ineligible_members_leave)
{
	struct lard *l = mk(64);
	unsigned loads[3] = {0, 1, 2};

	cr_assert_eq(PICK(l, "/a", loads, 3, 7, 0), 0);
	cr_assert_eq(PICK(l, "/a", loads, 3, 6, 1), 1, "0 is down: least of 1, 2");
	cr_assert_eq(lard_set(l, "/a", 2), 1u << 1);
	cr_assert_eq(PICK(l, "/a", loads, 3, 0, 2), -EAGAIN);
	cr_assert_eq(PICK(l, "/a", loads, 0, 7, 2), -EINVAL);
	cr_assert_eq(PICK(l, "/a", loads, 65, 7, 2), -EINVAL);
	/* eligibility bits past n are ignored */
	cr_assert_eq(PICK(l, "/a", loads, 3, 1ull << 5, 2), -EAGAIN);
	lard_free(l);
}

Test(lard, full_bucket_evicts_least_recently_used)
{
	struct lard *l = mk(4); /* one bucket of four */
	unsigned loads[2] = {0, 0};
	char t[8];

	for (int i = 0; i < 4; i++) {
		snprintf(t, sizeof(t), "/%d", i);
		PICK(l, t, loads, 2, 3, (uint64_t)i + 1);
	}
	PICK(l, "/0", loads, 2, 3, 10); /* /1 is now the oldest */
	PICK(l, "/new", loads, 2, 3, 11);
	cr_assert_eq(lard_set(l, "/1", 2), 0, "evicted");
	cr_assert_neq(lard_set(l, "/0", 2), 0);
	cr_assert_neq(lard_set(l, "/new", 4), 0);
	lard_free(l);
}

Test(lard, target_len)
{
	cr_assert_eq(lard_target_len("/a/b/c", 6, 0), 6);
	cr_assert_eq(lard_target_len("/a/b/c", 6, 1), 2);
	cr_assert_eq(lard_target_len("/a/b/c", 6, 2), 4);
	cr_assert_eq(lard_target_len("/a/b/c", 6, 3), 6);
	cr_assert_eq(lard_target_len("/a/b/c", 6, 9), 6);
	cr_assert_eq(lard_target_len("/", 1, 1), 1);
	cr_assert_eq(lard_target_len("", 0, 1), 0);
}

Test(lard, bad_conf)
{
	struct lard_conf c = LARD_CONF_DEFAULT;

	c.t_low = c.t_high;
	cr_assert_null(lard_new(&c));
	cr_assert_eq(errno, EINVAL);
	c = (struct lard_conf)LARD_CONF_DEFAULT;
	c.targets = 0;
	cr_assert_null(lard_new(&c));
	c.targets = (1u << 24) + 1;
	cr_assert_null(lard_new(&c));
	c = (struct lard_conf)LARD_CONF_DEFAULT;
	c.t_high = 0;
	c.t_low = 0;
	cr_assert_null(lard_new(&c));
}
