/* splice_syn: memory stays flat. After ssyn_ho_new() nothing on the SYN
 * path allocates: a flood must not grow the daemon or stall it in malloc.
 * This binary interposes malloc and friends (glibc exports __libc_* for
 * that) and counts calls made by this thread while the flag is set, as
 * tests/maptable/test_noalloc.c does. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "splice/syn/splice_syn.h"

#include "../common/alloc_count.h"

#ifdef ALLOC_COUNT_UNDER_ASAN
Test(splice_syn_noalloc, flood_after_new_is_allocation_free)
{
	cr_skip_test("malloc interposition conflicts with ASan; runs in the plain build");
}
#else

Test(splice_syn_noalloc, interposer_counts)
{
	void *p;

	alloc_counting = 1;
	p = malloc(16);
	alloc_counting = 0;
	free(p);
	cr_assert_eq(alloc_calls, 1, "the counter must see a real malloc");
	alloc_calls = 0;
}

/* A flood of distinct SYNs (5x the capacity, all refused once full, so
 * cookies take over), retransmissions, lookups, completions and expiry,
 * with ISNs, cookies and SYN-ACKs computed along the way. */
Test(splice_syn_noalloc, flood_after_new_is_allocation_free)
{
	const uint32_t cap = 4096;
	struct ssyn_ho *h = ssyn_ho_new(cap, 3000);
	struct ssyn_secret s;
	static const uint8_t key[16] = "0123456789abcdef";
	struct ssyn_local l = { .mss = 1460, .wscale = 7, .tsval = 1 };
	struct ssyn_ho_stats st;
	uint8_t buf[128];
	unsigned long refused = 0;

	cr_assert_not_null(h);
	cr_assert_eq(ssyn_secret_init(&s, key, 0), 0);
	alloc_calls = 0;
	alloc_counting = 1;
	for (uint32_t i = 0; i < 200000; i++) {
		uint64_t now_ms = i / 10;
		struct ssyn_ho_entry e = { .t = { .family = AF_INET, .vport = 443 },
					   .client_isn = i * 2654435761u,
					   .opts = { .mss = 1460, .wscale = 7, .ts = true } };
		const struct ssyn_ho_entry *out;
		int rc;

		memcpy(e.t.caddr, (uint8_t[]){ 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i }, 4);
		memcpy(e.t.vaddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
		e.t.cport = (uint16_t)(i * 7);
		e.isn = ssyn_isn(&s, &e.t, now_ms / 1000);
		rc = ssyn_ho_insert(h, &e, now_ms, &out);
		if (rc == -ENOSPC) {
			uint32_t c = ssyn_cookie_make(&s, &e.t, e.client_isn, &e.opts, now_ms / 1000);

			refused++;
			if (ssyn_cookie_check(&s, &e.t, e.client_isn + 1, c + 1,
					      now_ms / 1000, NULL) != 0)
				break;
			continue;
		}
		if (ssyn_build_synack(buf, sizeof buf, &e.t, e.client_isn, &e.opts,
				      out->isn, &l, NULL) <= 0)
			break;
		if (i % 3 == 0)
			(void)ssyn_ho_insert(h, &e, now_ms, NULL);
		if (i % 5 == 0 && ssyn_ho_lookup(h, &e.t, now_ms))
			(void)ssyn_ho_remove(h, &e.t);
		if (i % 1000 == 0)
			(void)ssyn_ho_expire(h, now_ms);
	}
	alloc_counting = 0;
	ssyn_ho_stats(h, &st);
	cr_assert_eq(alloc_calls, 0, "%lu allocations after ssyn_ho_new()", alloc_calls);
	cr_assert_gt(refused, 0, "the flood never filled the table");
	cr_assert_leq(st.used, cap);
	cr_assert_gt(st.expired, 0);
	ssyn_ho_free(h);
}
#endif
