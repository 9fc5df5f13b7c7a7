/* TCP reassembly used by splicectl inspect: order, overlap, retransmits,
 * sequence wrap and the caps. Segments are built here because a real peer
 * on loopback never reorders; the tshark test covers real captures. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../tools/splicectl/reasm.h"

static struct sc_stream s;
static const uint8_t MSG[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static void teardown(void)
{
	sc_stream_free(&s);
}

TestSuite(reasm, .fini = teardown);

static void seg(uint32_t base, size_t off, size_t len)
{
	cr_assert_eq(sc_stream_add(&s, base + (uint32_t)off, false, MSG + off, len), 0);
}

static void expect_all(void)
{
	cr_assert_eq(s.len, 36, "have %zu bytes", s.len);
	cr_assert_eq(memcmp(s.buf, MSG, 36), 0);
}

Test(reasm, in_order_after_syn)
{
	cr_assert_eq(sc_stream_add(&s, 999, true, NULL, 0), 0);
	seg(1000, 0, 10);
	seg(1000, 10, 26);
	expect_all();
	cr_assert_eq(s.next_seq, 1036);
}

Test(reasm, out_of_order_is_held_then_drained)
{
	cr_assert_eq(sc_stream_add(&s, 999, true, NULL, 0), 0);
	seg(1000, 20, 16);
	seg(1000, 10, 10);
	cr_assert_eq(s.len, 0);
	cr_assert_eq(s.n_pending, 2);
	seg(1000, 0, 10);
	expect_all();
	cr_assert_eq(s.n_pending, 0);
}

Test(reasm, retransmit_and_overlap_keep_first_copy)
{
	cr_assert_eq(sc_stream_add(&s, 999, true, NULL, 0), 0);
	seg(1000, 0, 12);
	seg(1000, 0, 12);   /* full retransmit */
	seg(1000, 8, 12);   /* overlaps 4 old bytes */
	seg(1000, 25, 11);  /* hole at 20..25 */
	seg(1000, 18, 10);  /* fills the hole and overlaps both sides */
	expect_all();
	cr_assert_eq(s.dup_bytes, 12 + 4 + 2 + 3);
}

Test(reasm, sequence_numbers_wrap)
{
	uint32_t base = 0xfffffff0u;

	cr_assert_eq(sc_stream_add(&s, base - 1, true, NULL, 0), 0);
	seg(base, 20, 16);
	seg(base, 0, 20);   /* crosses 2^32 */
	expect_all();
	cr_assert_eq(s.next_seq, base + 36);
}

Test(reasm, capture_without_syn_starts_at_first_segment)
{
	seg(5000, 0, 36);
	expect_all();
}

Test(reasm, pending_cap_marks_truncated)
{
	uint8_t b = 'x';

	cr_assert_eq(sc_stream_add(&s, 0, true, NULL, 0), 0);
	for (uint32_t i = 0; i < SC_REASM_MAX_PENDING + 5; i++)
		cr_assert_eq(sc_stream_add(&s, 10 + 2 * i, false, &b, 1), 0);
	cr_assert_eq(s.n_pending, SC_REASM_MAX_PENDING);
	cr_assert(s.truncated);
}

Test(reasm, byte_cap_stops_growth_but_keeps_sequence)
{
	static uint8_t big[65536];

	cr_assert_eq(sc_stream_add(&s, 0, true, NULL, 0), 0);
	for (uint32_t i = 0; i < 5; i++)
		cr_assert_eq(sc_stream_add(&s, 1 + i * 65536u, false, big, sizeof(big)), 0);
	cr_assert_eq(s.len, SC_REASM_MAX_BYTES);
	cr_assert(s.truncated);
	cr_assert_eq(s.next_seq, 1 + 5 * 65536u);
}

Test(reasm, give_up_stops_the_stream)
{
	cr_assert_eq(sc_stream_add(&s, 0, true, NULL, 0), 0);
	seg(1, 10, 5);
	sc_stream_give_up(&s);
	seg(1, 0, 10);
	cr_assert(s.gap);
	cr_assert_eq(s.len, 0);
	cr_assert_eq(s.n_pending, 0);
}
