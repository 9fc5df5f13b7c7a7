/* Cluster records: a golden encoding (bytes written out by hand from the
 * format in cl_rec.h), the round trip, and every rejection branch. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cl_rec.h"

static struct cl_rec sample(void)
{
	struct cl_rec r = {
		.type = CL_REC_SESSION, .origin_len = 2, .key_len = 3, .n_cands = 1,
		.ttl_ms = 300000, .sent_us = 0x0102030405060708ull,
		.origin = "d1", .key = {0xaa, 0xbb, 0xcc},
		.cands = {{.family = 4, .addr = {10, 0, 50, 101}, .port = 443,
			   .stamp_ms = 0x1122334455ull}},
	};
	return r;
}

/* sample() by hand: magic+version, type, origin, key, ttl, sent, cands. */
static const uint8_t golden[] = {
	'S', 'K', 'C', 1, 1, 2, 'd', '1', 3, 0xaa, 0xbb, 0xcc,
	0x00, 0x04, 0x93, 0xe0,                          /* 300000 */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	1, 4, 10, 0, 50, 101, 0x01, 0xbb,
	0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55,
};

Test(cl_rec, golden_encoding)
{
	struct cl_rec r = sample(), back;
	uint8_t buf[CL_WIRE_MAX];
	int n = cl_rec_encode(&r, buf, sizeof(buf));

	cr_assert_eq(n, (int)sizeof(golden));
	cr_assert_arr_eq(buf, golden, sizeof(golden));
	cr_assert_eq(cl_rec_decode(golden, sizeof(golden), &back, NULL), 0);
	cr_assert_eq(back.ttl_ms, 300000);
	cr_assert_eq(back.sent_us, r.sent_us);
	cr_assert_eq(back.cands[0].port, 443);
	cr_assert_eq(back.cands[0].stamp_ms, r.cands[0].stamp_ms);
	cr_assert_arr_eq(back.cands[0].addr, r.cands[0].addr, 4);
	cr_assert_arr_eq(back.origin, "d1", 2);
}

Test(cl_rec, largest_record_fits_wire_max)
{
	struct cl_rec r = sample(), back;
	uint8_t buf[CL_WIRE_MAX];

	r.origin_len = CL_ORIGIN_MAX;
	memset(r.origin, 'o', CL_ORIGIN_MAX);
	r.key_len = CL_KEY_MAX;
	memset(r.key, 7, CL_KEY_MAX);
	r.n_cands = CL_CANDS_MAX;
	for (int i = 0; i < CL_CANDS_MAX; i++) {
		r.cands[i].family = 6;
		r.cands[i].port = (uint16_t)(1 + i);
		memset(r.cands[i].addr, i, 16);
	}
	cr_assert_eq(cl_rec_encode(&r, buf, sizeof(buf)), CL_WIRE_MAX);
	cr_assert_eq(cl_rec_encode(&r, buf, CL_WIRE_MAX - 1), -ENOSPC);
	cr_assert_eq(cl_rec_decode(buf, CL_WIRE_MAX, &back, NULL), 0);
	cr_assert_eq(memcmp(&back.cands, &r.cands, sizeof(r.cands)), 0);
}

Test(cl_rec, encode_refuses_bad_records)
{
	uint8_t buf[CL_WIRE_MAX];
	struct cl_rec r;

	r = sample(); r.type = 0;
	cr_assert_eq(cl_rec_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = sample(); r.origin_len = 0;
	cr_assert_eq(cl_rec_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = sample(); r.key_len = CL_KEY_MAX + 1;
	cr_assert_eq(cl_rec_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = sample(); r.type = CL_REC_BUSY; r.n_cands = 2;
	cr_assert_eq(cl_rec_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = sample(); r.cands[0].port = 0;
	cr_assert_eq(cl_rec_encode(&r, buf, sizeof(buf)), -EINVAL);
}

/* One row per rejection: golden bytes with one change, and the field
 * decode must name. */
struct bad {
	const char *what;
	size_t off;      /* byte to change (SIZE_MAX: none) */
	uint8_t val;
	size_t len;      /* bytes to decode (0: all, +1 appends a zero) */
	const char *why;
};

Test(cl_rec, decode_rejections_name_the_field)
{
	static const struct bad rows[] = {
		{"magic", 0, 'X', 0, "magic"},
		{"version 2", 3, 2, 0, "version"},
		{"type 0", 4, 0, 0, "type"},
		{"type 4", 4, 4, 0, "type"},
		{"origin length 0", 5, 0, 0, "origin length"},
		{"origin length 33", 5, 33, 0, "origin length"},
		{"key length 0", 8, 0, 0, "key length"},
		{"key length 49", 8, 49, 0, "key length"},
		{"key past the end", 8, 40, 0, "key length"},
		{"5 candidates", 24, 5, 0, "candidate count"},
		{"no candidate", 24, 0, 0, "candidate count"},
		{"family 5", 25, 5, 0, "candidate family"},
		{"family 6, 4 bytes", 25, 6, 0, "candidate address"},
		{"truncated stamp", SIZE_MAX, 0, sizeof(golden) - 1, "candidate port or stamp"},
		{"truncated times", SIZE_MAX, 0, 20, "times"},
		{"empty", SIZE_MAX, 0, 1, "magic"},
		{"trailing byte", SIZE_MAX, 0, sizeof(golden) + 1, "trailing bytes"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t buf[sizeof(golden) + 1] = {0};
		struct cl_rec r;
		const char *why = NULL;
		size_t len = rows[i].len ? rows[i].len : sizeof(golden);

		memcpy(buf, golden, sizeof(golden));
		if (rows[i].off != SIZE_MAX)
			buf[rows[i].off] = rows[i].val;
		cr_assert_eq(cl_rec_decode(buf, len, &r, &why), -EBADMSG, "%s", rows[i].what);
		cr_assert_str_eq(why, rows[i].why, "%s", rows[i].what);
	}
}

Test(cl_rec, busy_needs_exactly_one_candidate)
{
	uint8_t buf[sizeof(golden)];
	struct cl_rec r;
	const char *why;

	memcpy(buf, golden, sizeof(golden));
	buf[4] = CL_REC_BUSY;
	cr_assert_eq(cl_rec_decode(buf, sizeof(buf), &r, &why), 0);
	cr_assert_eq(r.type, CL_REC_BUSY);
}

Test(cl_rec, port_zero_is_refused)
{
	uint8_t buf[sizeof(golden)];
	struct cl_rec r;
	const char *why;

	memcpy(buf, golden, sizeof(golden));
	buf[30] = buf[31] = 0;
	cr_assert_eq(cl_rec_decode(buf, sizeof(buf), &r, &why), -EBADMSG);
	cr_assert_str_eq(why, "candidate port");
}

/* The fuzzer's seeds (tests/fuzz/seeds/cl_rec, made by hand from the
 * format) are all valid records that re-encode to themselves. */
Test(cl_rec, fuzz_seeds_are_valid_records)
{
	static const char *seeds[] = {"session-v4", "session-4cands", "busy-v6", "idle-v4"};
	const char *src = getenv("SPLICEKIT_SRC");

	cr_assert_not_null(src, "SPLICEKIT_SRC is not set");
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[512];
		uint8_t buf[CL_WIRE_MAX + 1], out[CL_WIRE_MAX];
		struct cl_rec r;
		const char *why = "";

		snprintf(path, sizeof(path), "%s/tests/fuzz/seeds/cl_rec/%s", src, seeds[i]);
		FILE *f = fopen(path, "rb");
		cr_assert_not_null(f, "%s", path);
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		cr_assert_eq(cl_rec_decode(buf, n, &r, &why), 0, "%s: %s", seeds[i], why);
		cr_assert_eq(cl_rec_encode(&r, out, sizeof(out)), (int)n, "%s", seeds[i]);
		cr_assert_arr_eq(out, buf, n, "%s", seeds[i]);
	}
}
