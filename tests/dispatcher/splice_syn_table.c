/* splice_syn: the half-open table against a reference model.
 *
 * The churn test drives 10^6 random insert / lookup / remove / expire /
 * clock steps over a tuple universe larger than the table, checking each
 * result, each looked-up entry and the used count against a plain array
 * model. Deletion by backward shift is where open addressing goes wrong
 * (an entry stranded behind a hole becomes invisible), so the table is
 * small and kept near its bound. The seed is printed; SSYN_CHURN_SEED=N
 * replays a run. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "splice/syn/splice_syn.h"

static struct ssyn_tuple tup(uint32_t id)
{
	struct ssyn_tuple t = { .family = id & 1 ? AF_INET6 : AF_INET };

	if (t.family == AF_INET) {
		memcpy(t.caddr, (uint8_t[]){ 10, 1, (uint8_t)(id >> 16), (uint8_t)(id >> 8) }, 4);
		memcpy(t.vaddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	} else {
		t.caddr[0] = 0xfd;
		t.caddr[14] = (uint8_t)(id >> 16);
		t.caddr[15] = (uint8_t)(id >> 8);
		t.vaddr[0] = 0xfd;
		t.vaddr[15] = 1;
	}
	t.cport = (uint16_t)(1024 + (id & 0xff) * 7);
	t.vport = 443;
	return t;
}

/* xorshift64*: small, seedable, the same on every platform. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t seed_from_env(void)
{
	const char *s = getenv("SSYN_CHURN_SEED");
	uint64_t seed;

	if (s && *s)
		seed = strtoull(s, NULL, 0);
	else
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	if (seed == 0)
		seed = 1;
	return seed;
}

struct model {
	bool live;
	uint32_t client_isn, isn;
	uint64_t born;
};

struct churn_cfg {
	uint32_t cap, ttl, universe;
	unsigned long ops;
};

static void churn(const struct churn_cfg *cfg, uint64_t seed)
{
	struct ssyn_ho *h = ssyn_ho_new(cfg->cap, cfg->ttl);
	struct model *m = calloc(cfg->universe, sizeof *m);
	uint64_t now = 1000;
	uint32_t used = 0;
	struct ssyn_ho_stats st;

	cr_assert_not_null(h);
	cr_assert_not_null(m);
	rng_state = seed;
	for (unsigned long op = 0; op < cfg->ops; op++) {
		uint32_t id = (uint32_t)(rnd() % cfg->universe);
		struct ssyn_tuple t = tup(id);
		unsigned kind = (unsigned)(rnd() % 100);
		const struct ssyn_ho_entry *e = NULL;
		int rc;

		if (kind < 3) {
			/* clock step: mostly small, now and then past the TTL */
			now += rnd() % (kind == 0 ? 2 * cfg->ttl : 5);
			continue;
		}
		/* insert first expires everything due (the FIFO is in clock
		 * order); lookup drops only the due entry it finds; remove
		 * ignores the clock. The model mirrors each exactly, so the
		 * used counts must agree after every step. */
		if (kind < 45) {
			struct ssyn_ho_entry in = {
				.t = t, .client_isn = (uint32_t)rnd(), .isn = (uint32_t)rnd(),
				.opts = { .mss = 1460, .wscale = 7 },
			};
			uint32_t k = 0;

			for (uint32_t i = 0; i < cfg->universe; i++)
				if (m[i].live && now - m[i].born >= cfg->ttl) {
					m[i].live = false;
					k++;
				}
			used -= k;
			rc = ssyn_ho_insert(h, &in, now, &e);
			if (m[id].live) {
				cr_assert_eq(rc, -EEXIST, "op %lu seed %" PRIu64, op, seed);
				cr_assert_not_null(e);
				cr_assert_eq(e->isn, m[id].isn, "op %lu seed %" PRIu64, op, seed);
				cr_assert_eq(e->client_isn, m[id].client_isn);
			} else if (used == cfg->cap) {
				cr_assert_eq(rc, -ENOSPC, "op %lu seed %" PRIu64, op, seed);
			} else {
				cr_assert_eq(rc, 0, "op %lu seed %" PRIu64 " rc %d", op, seed, rc);
				cr_assert_not_null(e);
				cr_assert_eq(e->born_ms, now);
				m[id] = (struct model){ true, in.client_isn, in.isn, now };
				used++;
			}
		} else if (kind < 80) {
			e = ssyn_ho_lookup(h, &t, now);
			if (m[id].live && now - m[id].born >= cfg->ttl) {
				m[id].live = false;
				used--;
			}
			if (!m[id].live) {
				cr_assert_null(e, "op %lu seed %" PRIu64 ": stale hit", op, seed);
			} else {
				cr_assert_not_null(e, "op %lu seed %" PRIu64 ": entry lost", op, seed);
				cr_assert_eq(memcmp(&e->t, &t, sizeof t), 0);
				cr_assert_eq(e->isn, m[id].isn);
				cr_assert_eq(e->client_isn, m[id].client_isn);
				cr_assert_eq(e->born_ms, m[id].born);
				cr_assert_eq(e->opts.mss, 1460);
			}
		} else if (kind < 97) {
			rc = ssyn_ho_remove(h, &t);
			/* remove does not look at the clock: a due entry not
			 * yet expired is still removed */
			cr_assert_eq(rc, m[id].live ? 0 : -ENOENT, "op %lu seed %" PRIu64, op, seed);
			if (m[id].live)
				used--;
			m[id].live = false;
		} else {
			uint32_t k = 0, got = ssyn_ho_expire(h, now);

			for (uint32_t i = 0; i < cfg->universe; i++)
				if (m[i].live && now - m[i].born >= cfg->ttl) {
					m[i].live = false;
					k++;
				}
			used -= k;
			cr_assert_eq(got, k, "op %lu seed %" PRIu64, op, seed);
		}
		ssyn_ho_stats(h, &st);
		cr_assert_eq(st.used, used, "op %lu seed %" PRIu64 ": used %u, model %u",
			     op, seed, st.used, used);
		cr_assert_leq(st.used, cfg->cap);
	}
	/* Everything the model holds is found, nothing else is. */
	for (uint32_t i = 0; i < cfg->universe; i++) {
		struct ssyn_tuple t = tup(i);

		cr_assert_eq(ssyn_ho_lookup(h, &t, now) != NULL,
			     m[i].live && now - m[i].born < cfg->ttl, "id %u seed %" PRIu64, i, seed);
	}
	ssyn_ho_free(h);
	free(m);
}

Test(splice_syn_table, churn_against_model)
{
	uint64_t seed = seed_from_env();
	/* Small tables keep probe runs long and wrap around the index; the
	 * universe is 3x the capacity so the table is often full. The
	 * model's expiry scan is O(universe), so the universe stays small. */
	static const struct churn_cfg cfg[] = {
		{ .cap = 5, .ttl = 40, .universe = 16, .ops = 200000 },
		{ .cap = 64, .ttl = 300, .universe = 192, .ops = 300000 },
		{ .cap = 300, .ttl = 2000, .universe = 900, .ops = 500000 },
	};

	fprintf(stderr, "splice_syn churn: seed %" PRIu64 " (replay: SSYN_CHURN_SEED=%" PRIu64 ")\n",
		seed, seed);
	cr_log_info("seed %" PRIu64, seed);
	for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
		churn(&cfg[i], seed + i);
}

Test(splice_syn_table, retransmitted_syn_gets_original_entry)
{
	struct ssyn_ho *h = ssyn_ho_new(8, 3000);
	struct ssyn_ho_entry e = { .t = tup(7), .client_isn = 1111, .isn = 2222,
				   .opts = { .mss = 1400, .wscale = 9, .ts = true, .tsval = 5 } };
	struct ssyn_ho_entry again = e;
	const struct ssyn_ho_entry *out = NULL, *first = NULL;
	struct ssyn_ho_stats st;

	cr_assert_not_null(h);
	cr_assert_eq(ssyn_ho_insert(h, &e, 100, &first), 0);
	/* The retransmission would compute a fresh ISN (a new slot, say):
	 * the table must hand back the one already sent. */
	again.isn = 3333;
	again.opts.tsval = 6;
	cr_assert_eq(ssyn_ho_insert(h, &again, 1100, &out), -EEXIST);
	cr_assert_eq(out, first);
	cr_assert_eq(out->isn, 2222);
	cr_assert_eq(out->client_isn, 1111);
	cr_assert_eq(out->opts.mss, 1400);
	cr_assert_eq(out->born_ms, 100, "a retransmission must not extend the life");
	cr_assert_eq(ssyn_ho_insert(h, &again, 1100, NULL), -EEXIST);
	ssyn_ho_stats(h, &st);
	cr_assert_eq(st.dups, 2);
	cr_assert_eq(st.inserts, 1);
	cr_assert_eq(st.used, 1);
	/* Once expired the tuple is new again. */
	cr_assert_eq(ssyn_ho_insert(h, &again, 3100, &out), 0);
	cr_assert_eq(out->isn, 3333);
	ssyn_ho_free(h);
}

Test(splice_syn_table, capacity_bound_and_cookie_fallback)
{
	const uint32_t cap = 1000;
	struct ssyn_ho *h = ssyn_ho_new(cap, 5000);
	struct ssyn_ho_stats st;

	cr_assert_not_null(h);
	for (uint32_t i = 0; i < 3 * cap; i++) {
		struct ssyn_ho_entry e = { .t = tup(i), .isn = i };
		int rc = ssyn_ho_insert(h, &e, 10 + i / 1000, NULL);

		cr_assert_eq(rc, i < cap ? 0 : -ENOSPC, "insert %u", i);
	}
	ssyn_ho_stats(h, &st);
	cr_assert_eq(st.used, cap);
	cr_assert_eq(st.capacity, cap);
	cr_assert_eq(st.full, 2 * cap);
	/* Every admitted entry is still found while the flood is refused. */
	for (uint32_t i = 0; i < cap; i++) {
		struct ssyn_tuple t = tup(i);
		const struct ssyn_ho_entry *e = ssyn_ho_lookup(h, &t, 20);

		cr_assert_not_null(e, "entry %u", i);
		cr_assert_eq(e->isn, i);
	}
	/* After the TTL the whole table frees up, oldest first. */
	cr_assert_eq(ssyn_ho_expire(h, 5010), cap);
	ssyn_ho_stats(h, &st);
	cr_assert_eq(st.used, 0);
	cr_assert_eq(st.expired, cap);
	{
		struct ssyn_ho_entry e = { .t = tup(5) };

		cr_assert_eq(ssyn_ho_insert(h, &e, 5010, NULL), 0);
	}
	ssyn_ho_free(h);
}

Test(splice_syn_table, bad_arguments)
{
	errno = 0;
	cr_assert_null(ssyn_ho_new(0, 1000));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(ssyn_ho_new((1u << 24) + 1, 1000));
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_null(ssyn_ho_new(16, 0));
	cr_assert_eq(errno, EINVAL);
	ssyn_ho_free(NULL);
}

Test(splice_syn_table, remove_and_ttl_edges)
{
	struct ssyn_ho *h = ssyn_ho_new(2, 100);
	struct ssyn_ho_entry e = { .t = tup(1) };

	cr_assert_eq(ssyn_ho_remove(h, &e.t), -ENOENT);
	cr_assert_eq(ssyn_ho_insert(h, &e, 1000, NULL), 0);
	cr_assert_not_null(ssyn_ho_lookup(h, &e.t, 1099));
	/* ttl_ms after insertion the entry is gone */
	cr_assert_null(ssyn_ho_lookup(h, &e.t, 1100));
	cr_assert_eq(ssyn_ho_remove(h, &e.t), -ENOENT);
	cr_assert_eq(ssyn_ho_insert(h, &e, 2000, NULL), 0);
	cr_assert_eq(ssyn_ho_remove(h, &e.t), 0);
	cr_assert_null(ssyn_ho_lookup(h, &e.t, 2000));
	ssyn_ho_free(h);
}

/* A SYN on a tuple in the table with another client ISN is a new attempt
 * (the client gave up on the first), not a retransmission: the table
 * still says -EEXIST and shows the old entry, so the caller can see the
 * ISNs differ and remove it before inserting the new attempt. */
Test(splice_syn_table, new_attempt_on_same_tuple_is_visible)
{
	struct ssyn_ho *h = ssyn_ho_new(4, 3000);
	struct ssyn_ho_entry old = { .t = tup(3), .client_isn = 100, .isn = 7 };
	struct ssyn_ho_entry neu = { .t = tup(3), .client_isn = 90000, .isn = 8 };
	const struct ssyn_ho_entry *out;

	cr_assert_not_null(h);
	cr_assert_eq(ssyn_ho_insert(h, &old, 0, NULL), 0);
	cr_assert_eq(ssyn_ho_insert(h, &neu, 10, &out), -EEXIST);
	cr_assert_neq(out->client_isn, neu.client_isn);
	cr_assert_eq(ssyn_ho_remove(h, &neu.t), 0);
	cr_assert_eq(ssyn_ho_insert(h, &neu, 10, &out), 0);
	cr_assert_eq(ssyn_ho_lookup(h, &neu.t, 11)->client_isn, 90000);
	ssyn_ho_free(h);
}
