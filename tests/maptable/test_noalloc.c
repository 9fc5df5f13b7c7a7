/* The lookup path must not allocate: a dispatcher calls it per connection
 * and must not stall in malloc or fail under memory pressure. This binary
 * interposes malloc and friends (glibc exports __libc_* for exactly this)
 * and counts calls made by this thread while the flag is set. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "maptable/maptable.h"

#include "../common/alloc_count.h"

#ifdef ALLOC_COUNT_UNDER_ASAN
/* ASan owns malloc; a second interposer would hand its pointers to the
 * wrong allocator. The plain build runs this test. */
Test(noalloc, every_call_after_create_is_allocation_free)
{
	cr_skip_test("malloc interposition conflicts with ASan; runs in the plain build");
}
#else

Test(noalloc, every_call_after_create_is_allocation_free)
{
	struct mt_config cfg;
	struct mt_table *t;
	uint32_t active[4] = { 5, 1, 2, 3 };
	bool down[4] = { false, false, true, false };
	struct mt_load l = { .active = active, .down = down, .n = 4 };
	uint8_t key[32] = { 0 };
	uint16_t b;

	mt_config_default(&cfg, 64, 4);
	cfg.lifetime_ms = 100;
	cr_assert_eq(mt_create(&cfg, &t), 0);
	mt_load_sum(&l);

	/* The counter must see an allocation, or the test proves nothing. */
	alloc_counting = 1;
	void *volatile probe = malloc(16);
	free(probe);
	alloc_counting = 0;
	cr_assert_eq(alloc_calls, 2, "counter saw %lu calls", alloc_calls);
	alloc_calls = 0;

	alloc_counting = 1;
	for (uint32_t i = 0; i < 10000; i++) {
		key[0] = (uint8_t)i;
		key[1] = (uint8_t)(i >> 8);
		(void)mt_learn(t, key, sizeof(key), (uint16_t)(i % 4), i);
		(void)mt_pick(t, key, sizeof(key), i, &l, &b);
		(void)mt_acquire(t, key, sizeof(key), (uint16_t)(i % 4), i);
		(void)mt_release(t, key, sizeof(key), (uint16_t)(i % 4), i);
		if (i % 97 == 0)
			(void)mt_expire(t, i, 8);
		if (i % 31 == 0)
			(void)mt_forget(t, key, sizeof(key));
	}
	alloc_counting = 0;
	cr_assert_eq(alloc_calls, 0, "%lu allocations on the lookup path", alloc_calls);
	mt_destroy(t);
}
#endif
