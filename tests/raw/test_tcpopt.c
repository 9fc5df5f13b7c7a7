/* TCP options: the accepted layouts, a rejection test per malformed case
 * (policy in include/splicekit/raw_tcpopt.h), option rewrite helpers on
 * absent options, and the SYN option / segment builders. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "helpers.h"
#include "splicekit/raw_csum.h"
#include "splicekit/raw_pkt.h"
#include "splicekit/raw_rewrite.h"
#include "splicekit/raw_tcpopt.h"

static void bad(const char *hex, enum raw_reason why)
{
	uint8_t o[64];
	struct raw_tcpopts t;
	enum raw_reason r = RAW_R_OK;
	int n = unhex(hex, o, sizeof(o));

	cr_assert_geq(n, 0);
	cr_assert_eq(raw_tcpopt_parse(o, (size_t)n, &t, &r), -EBADMSG, "%s", hex);
	cr_assert_eq(r, why, "%s: %s, want %s", hex, raw_reason_str(r),
		     raw_reason_str(why));
}

static struct raw_tcpopts good(const char *hex)
{
	uint8_t o[64];
	struct raw_tcpopts t;
	enum raw_reason r = RAW_R_OK;
	int n = unhex(hex, o, sizeof(o));

	cr_assert_geq(n, 0);
	cr_assert_eq(raw_tcpopt_parse(o, (size_t)n, &t, &r), 0, "%s: %s", hex,
		     raw_reason_str(r));
	return t;
}

Test(tcpopt, linux_syn_layout)
{
	/* Kernel SYN from tests/raw/golden_pkts.h frame 1. */
	struct raw_tcpopts t = good("020405b40402080a6e23bb5e000000000103030a");

	cr_assert_eq(t.present, RAW_TCPOPT_F_MSS | RAW_TCPOPT_F_SACK_PERM |
				RAW_TCPOPT_F_TS | RAW_TCPOPT_F_WSCALE);
	cr_assert_eq(t.mss, 1460);
	cr_assert_eq(t.wscale, 10);
	cr_assert_eq(t.tsval, 0x6e23bb5e);
	cr_assert_eq(t.tsecr, 0);
	cr_assert_eq(t.mss_off, 0);
	cr_assert_eq(t.sack_perm_off, 4);
	cr_assert_eq(t.ts_off, 6);
	cr_assert_eq(t.wscale_off, 17);
}

Test(tcpopt, empty_nop_eol)
{
	struct raw_tcpopts t = good("");

	cr_assert_eq(t.present, 0);
	t = good("01010101");
	cr_assert_eq(t.present, 0);
	/* After EOL everything is padding, even bytes that would be errors. */
	t = good("020405dc00ff0001");
	cr_assert_eq(t.present, RAW_TCPOPT_F_MSS);
	cr_assert_eq(t.mss, 1500);
}

Test(tcpopt, unknown_kinds_skipped)
{
	/* TFO cookie (34), an experiment (254) and MD5 (19): kept, counted. */
	struct raw_tcpopts t = good("2206aabbccdd" "fe04f989" "1212" "00112233445566778899aabbccddeeff" "0402");

	cr_assert_eq(t.n_unknown, 3);
	cr_assert_eq(t.present, RAW_TCPOPT_F_SACK_PERM);
	cr_assert_eq(t.sack_perm_off, 28);
	t = good("1e02" "0101" "080a0000000100000002");
	cr_assert_eq(t.n_unknown, 1);
	cr_assert_eq(t.ts_off, 4);
	cr_assert_eq(t.tsecr, 2);
}

Test(tcpopt, sack_blocks)
{
	struct raw_tcpopts t = good("0101050a0000000a00000014");

	cr_assert_eq(t.sack_n, 1);
	cr_assert_eq(t.sack_off, 2);
	cr_assert_eq(t.sack[0].left, 10);
	cr_assert_eq(t.sack[0].right, 20);
	t = good("0522" "0000000100000002" "0000000300000004" "0000000500000006" "0000000700000008" "0101");
	cr_assert_eq(t.sack_n, 4);
	cr_assert_eq(t.sack[3].right, 8);
}

Test(tcpopt, reject_length_0_and_1)
{
	bad("0200", RAW_R_TCPOPT_LEN);
	bad("0201", RAW_R_TCPOPT_LEN);
	bad("fe00", RAW_R_TCPOPT_LEN); /* unknown kinds too: else we loop */
	bad("01010801", RAW_R_TCPOPT_LEN);
}

Test(tcpopt, reject_overrun)
{
	bad("02", RAW_R_TCPOPT_TRUNC);       /* no length byte */
	bad("010102", RAW_R_TCPOPT_TRUNC);
	bad("020405", RAW_R_TCPOPT_TRUNC);   /* body cut */
	bad("080a00000000", RAW_R_TCPOPT_TRUNC);
	bad("fe28", RAW_R_TCPOPT_TRUNC);     /* 40 claimed, 2 present */
	bad("0101fe03", RAW_R_TCPOPT_TRUNC);
}

Test(tcpopt, reject_wrong_fixed_length)
{
	bad("020300", RAW_R_TCPOPT_BADLEN);
	bad("0205000000", RAW_R_TCPOPT_BADLEN);
	bad("0302", RAW_R_TCPOPT_BADLEN);
	bad("03040000", RAW_R_TCPOPT_BADLEN);
	bad("040300", RAW_R_TCPOPT_BADLEN);
	bad("0502", RAW_R_TCPOPT_BADLEN);    /* SACK without a block */
	bad("0509000000000000000000", RAW_R_TCPOPT_BADLEN);
	bad("0511" "00000000000000000000000000000000" "00", RAW_R_TCPOPT_BADLEN);
	bad("0808000000000000", RAW_R_TCPOPT_BADLEN);
	bad("080c000000000000000000000000", RAW_R_TCPOPT_BADLEN);
}

Test(tcpopt, reject_duplicates)
{
	bad("020405b4020405b4", RAW_R_TCPOPT_DUP);
	bad("0303070303030101", RAW_R_TCPOPT_DUP);
	bad("04020402", RAW_R_TCPOPT_DUP);
	bad("080a0000000000000000" "080a0000000000000000", RAW_R_TCPOPT_DUP);
	bad("050a0000000100000002" "050a0000000100000002", RAW_R_TCPOPT_DUP);
}

Test(tcpopt, iterator)
{
	uint8_t o[16];
	int n = unhex("0101020405b4fe02" "0303070000", o, sizeof(o));
	struct raw_tcpopt_iter it;
	struct raw_tcpopt t;
	enum raw_reason why = RAW_R_OK;

	raw_tcpopt_iter_init(&it, o, (size_t)n);
	cr_assert_eq(raw_tcpopt_next(&it, &t, &why), 1);
	cr_assert_eq(t.kind, 2);
	cr_assert_eq(t.len, 4);
	cr_assert_eq(t.off, 2);
	cr_assert_eq(t.data, o + 4);
	cr_assert_eq(raw_tcpopt_next(&it, &t, &why), 1);
	cr_assert_eq(t.kind, 254);
	cr_assert_eq(t.len, 2);
	cr_assert_eq(raw_tcpopt_next(&it, &t, &why), 1);
	cr_assert_eq(t.kind, 3);
	cr_assert_eq(t.data[0], 7);
	cr_assert_eq(raw_tcpopt_next(&it, &t, &why), 0);
	cr_assert_eq(raw_tcpopt_next(&it, &t, &why), 0);
	/* After an error the iterator stays at the end. */
	n = unhex("0200020405b4", o, sizeof(o));
	raw_tcpopt_iter_init(&it, o, (size_t)n);
	cr_assert_eq(raw_tcpopt_next(&it, &t, &why), -EBADMSG);
	cr_assert_eq(why, RAW_R_TCPOPT_LEN);
	cr_assert_eq(raw_tcpopt_next(&it, &t, &why), 0);
}

static const uint8_t A[4] = { 192, 0, 2, 1 }, B[4] = { 192, 0, 2, 2 };

Test(tcpopt, rewrite_absent_options)
{
	uint8_t buf[128], copy[128];
	struct raw_tcp_spec s = { .family = AF_INET, .saddr = A, .daddr = B,
				  .sport = 5, .dport = 6, .flags = 0x10 };
	struct raw_pkt p;
	struct raw_tcpopts o;
	int n = raw_tcp_build(buf, sizeof(buf), &s, &p);

	cr_assert_eq(n, 40);
	cr_assert_eq(raw_pkt_tcpopts(&p, &o), 0);
	memcpy(copy, buf, (size_t)n);
	cr_assert_eq(raw_rw_mss(&p, &o, 1000), -ENOENT);
	cr_assert_eq(raw_rw_mss_clamp(&p, &o, 1000), -ENOENT);
	cr_assert_eq(raw_rw_ts(&p, &o, 1, 2), -ENOENT);
	cr_assert_eq(raw_rw_sack_add(&p, &o, 3), -ENOENT);
	cr_assert_arr_eq(buf, copy, (size_t)n);
	/* The checksum field and bytes outside the segment are off limits. */
	cr_assert_eq(raw_rw_tcp_bytes(&p, p.l4_off + 16, "ab", 2), -ERANGE);
	cr_assert_eq(raw_rw_tcp_bytes(&p, p.l4_off + 15, "ab", 2), -ERANGE);
	cr_assert_eq(raw_rw_tcp_bytes(&p, p.l4_off - 1, "ab", 2), -ERANGE);
	cr_assert_eq(raw_rw_tcp_bytes(&p, p.l4_off + 39, "ab", 2), -ERANGE);
	cr_assert_eq(raw_rw_tcp_bytes(&p, UINT32_MAX, "ab", 2), -ERANGE);
	cr_assert_arr_eq(buf, copy, (size_t)n);
}

Test(tcpopt, mss_clamp)
{
	uint8_t buf[128], opts[40];
	int olen = raw_tcpopt_build_syn(opts, sizeof(opts), 1460, true, true, 7, 0, 7);
	struct raw_tcp_spec s = { .family = AF_INET6, .saddr = (const uint8_t *)"0123456789abcdef",
				  .daddr = (const uint8_t *)"fedcba9876543210",
				  .flags = 0x02, .opts = opts, .opts_len = (size_t)olen };
	struct raw_pkt p;
	struct raw_tcpopts o;

	cr_assert_gt(raw_tcp_build(buf, sizeof(buf), &s, &p), 0);
	cr_assert_eq(raw_pkt_tcpopts(&p, &o), 0);
	cr_assert_eq(raw_rw_mss_clamp(&p, &o, 1500), 0);
	cr_assert_eq(raw_rw_mss_clamp(&p, &o, 1460), 0);
	cr_assert_eq(raw_rw_mss_clamp(&p, &o, 1400), 1);
	cr_assert_eq(o.mss, 1400);
	cr_assert(raw_tcp_csum_ok(&p));
	cr_assert_eq(raw_pkt_tcpopts(&p, &o), 0);
	cr_assert_eq(o.mss, 1400);
}

Test(build, syn_options_match_linux)
{
	uint8_t o[40], want[40];
	int n = raw_tcpopt_build_syn(o, sizeof(o), 1460, true, true, 0x6e23bb5e, 0, 10);
	int m = unhex("020405b40402080a6e23bb5e000000000103030a", want, sizeof(want));

	cr_assert_eq(n, m);
	cr_assert_arr_eq(o, want, (size_t)n);
	/* Without timestamps SACK-permitted gets its own NOPs. */
	n = raw_tcpopt_build_syn(o, sizeof(o), 536, true, false, 0, 0, -1);
	m = unhex("0204021801010402", want, sizeof(want));
	cr_assert_eq(n, m);
	cr_assert_arr_eq(o, want, (size_t)n);
	n = raw_tcpopt_build_syn(o, sizeof(o), 0, false, true, 1, 2, 20);
	m = unhex("0101080a00000001000000020103030e", want, sizeof(want));
	cr_assert_eq(n, m);
	cr_assert_arr_eq(o, want, (size_t)n);
	cr_assert_eq(raw_tcpopt_build_syn(o, 19, 1460, true, true, 1, 2, 7), -ENOSPC);
}

Test(build, rejects_bad_specs)
{
	uint8_t buf[128], opts[4] = { 1, 1, 1, 1 };
	struct raw_tcp_spec s = { .family = AF_INET, .saddr = A, .daddr = B };

	cr_assert_eq(raw_tcp_build(buf, 39, &s, NULL), -ENOSPC);
	s.family = AF_UNIX;
	cr_assert_eq(raw_tcp_build(buf, sizeof(buf), &s, NULL), -EINVAL);
	s.family = AF_INET;
	s.opts = opts;
	s.opts_len = 3;
	cr_assert_eq(raw_tcp_build(buf, sizeof(buf), &s, NULL), -EINVAL);
	s.opts_len = 44;
	cr_assert_eq(raw_tcp_build(buf, sizeof(buf), &s, NULL), -EINVAL);
	s.opts_len = 4;
	s.payload_len = 70000;
	s.payload = buf;
	cr_assert_eq(raw_tcp_build(buf, sizeof(buf), &s, NULL), -EINVAL);
	s.payload_len = 0;
	s.saddr = NULL;
	cr_assert_eq(raw_tcp_build(buf, sizeof(buf), &s, NULL), -EINVAL);
}

/* An RST as the engine would send it: exact bytes, checked field by field
 * against RFC 791/9293 layout. */
Test(build, rst_exact_bytes)
{
	uint8_t buf[64], want[64];
	struct raw_tcp_spec s = { .family = AF_INET, .saddr = A, .daddr = B,
				  .sport = 443, .dport = 50000, .seq = 0x01020304,
				  .ack = 0, .flags = 0x04, .window = 0 };
	struct raw_pkt p;
	int n = raw_tcp_build(buf, sizeof(buf), &s, &p);
	int m = unhex("45000028000040004006b6ccc0000201c0000202"
		      "01bbc35001020304000000005004000062cb0000", want, sizeof(want));

	cr_assert_eq(n, 40);
	cr_assert_eq(m, 40);
	/* Both checksums (b6cc, 62cb) computed independently with a few lines
	 * of python following RFC 1071. */
	cr_assert_arr_eq(buf, want, 40);
	cr_assert(raw_ipv4_csum_ok(&p));
	cr_assert(raw_tcp_csum_ok(&p));
	cr_assert_eq(p.tcp_flags, 0x04);
	cr_assert_eq(p.seq, 0x01020304);
}
