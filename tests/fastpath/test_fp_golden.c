/* Golden tests of the tc translator: every frame goes through the BPF
 * program (BPF_PROG_TEST_RUN) and through the user-space translator
 * (fp_ref.c: raw_rw_* with the splice translation's arithmetic), and the
 * two must agree byte for byte. Frames are built by raw_tcp_build with
 * full checksums; option layouts put SACK and TS at odd offsets. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <linux/pkt_cls.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_tcpopt.h>

#include "fp_ref.h"

static struct disp_fp *fp;

/* Opens the fast path or skips: loading BPF needs privileges. */
static void open_fp(uint32_t max_flows)
{
	char err[512];
	int r;

	if (geteuid() != 0)
		cr_skip_test("needs root (CAP_BPF + CAP_NET_ADMIN)");
	r = disp_fp_open(&fp, NULL, max_flows, err, sizeof(err));
	cr_assert_eq(r, 0, "disp_fp_open: %d %s", r, err);
}

static void close_fp(void)
{
	disp_fp_close(fp, false);
	fp = NULL;
}

static struct fp_tuple tuple(int family)
{
	struct fp_tuple t = { .family = family, .sport = 40001, .dport = 443 };

	if (family == AF_INET) {
		inet_pton(AF_INET, "10.1.0.2", t.saddr);
		inet_pton(AF_INET, "10.1.0.100", t.daddr);
	} else {
		inet_pton(AF_INET6, "fd00:1::2", t.saddr);
		inet_pton(AF_INET6, "fd00:1::100", t.daddr);
	}
	return t;
}

/* Option layouts: name, bytes, whether raw/ (and so the program) accepts
 * them. Offsets are from the start of the option space. */
static const struct layout {
	const char *name;
	uint8_t len;
	uint8_t b[40];
	int ok;
} layouts[] = {
	{ "none", 0, { 0 }, 1 },
	{ "nop-nop-ts", 12, { 1, 1, 8, 10, 0, 0, 0, 7, 0x80, 0, 0, 9 }, 1 },
	{ "ts@1-sack3@11", 40, { 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
	  0x77, 0x88, 5, 26, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10, 0x12, 0x34,
	  0x56, 0x78, 0x12, 0x34, 0x60, 0, 0x9e, 0x37, 0x79, 0xb9, 0x9e, 0x37,
	  0x80, 0, 0, 0, 0 }, 1 },
	{ "sack4@0", 40, { 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff,
	  0xfe, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0x80, 0, 0, 1, 0x7f,
	  0xff, 0xff, 0xff, 0x80, 0, 0x10, 0, 1, 1, 1, 1, 1, 1 }, 1 },
	{ "exp3-ts@3-sack1@13", 24, { 253, 3, 0x42, 8, 10, 0xde, 0xad, 0xbe,
	  0xef, 0, 0, 0, 1, 5, 10, 0x40, 0, 0, 0, 0x40, 0, 0x05, 0xb4, 1 }, 1 },
	{ "nop3-sack2@3", 24, { 1, 1, 1, 5, 18, 0, 0, 0x10, 0, 0, 0, 0x20, 0,
	  0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x0f, 1, 1, 1 }, 1 },
	{ "unknown-only", 4, { 30, 4, 0x12, 0x34 }, 1 },
	{ "ts-len1", 4, { 1, 8, 1, 0 }, 0 },
	{ "ts-twice", 24, { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 8, 10,
	  0, 0, 0, 3, 0, 0, 0, 4 }, 0 },
	{ "sack-badlen", 12, { 1, 1, 5, 9, 0, 0, 0, 1, 0, 0, 0, 0 }, 0 },
};

struct flowdef {
	const char *name;
	uint32_t seq, ack, tsval, tsecr;
	uint8_t win_from, win_to;
	int snat;        /* rewrite the source too */
};

#define DELTA 0x9e3779b9u
#define TSD   0x00fffff1u

static const struct flowdef flows[] = {
	/* client -> backend, backend refused window scaling */
	{ "splice-c2s", 0, -DELTA, 0, -TSD, 7, 0, 0 },
	{ "splice-c2s-snat", 0, -DELTA, 0, -TSD, 7, 7, 1 },
	/* backend -> client, the backend's shift 2 to our 7 */
	{ "splice-s2c", DELTA, 0, TSD, 0, 2, 7, 1 },
	{ "nat-c2s", 0, 0, 0, 0, 0, 0, 0 },
	{ "nat-snat", 0, 0, 0, 0, 0, 0, 1 },
	{ "rescale-cap", 5, 6, 7, 8, 9, 2, 1 },
};

static struct disp_fp_flow make_flow(const struct flowdef *d, int family)
{
	struct disp_fp_flow f;
	struct fp_tuple t = tuple(family);
	static const uint8_t dmac[6] = { 0x02, 0xbe, 0, 0, 0, 0x11 };
	static const uint8_t smac[6] = { 0x02, 0xd1, 0, 0, 0, 0x01 };

	memset(&f, 0, sizeof(f));
	memcpy(f.saddr, t.saddr, 16);
	if (family == AF_INET) {
		inet_pton(AF_INET, "10.2.0.11", f.daddr);
		if (d->snat)
			inet_pton(AF_INET, "10.2.0.1", f.saddr);
	} else {
		inet_pton(AF_INET6, "fd00:2::11", f.daddr);
		if (d->snat)
			inet_pton(AF_INET6, "fd00:2::1", f.saddr);
	}
	f.sport = htons(d->snat ? 61234 : t.sport);
	f.dport = htons(8443);
	f.seq_delta = d->seq;
	f.ack_delta = d->ack;
	f.tsval_delta = d->tsval;
	f.tsecr_delta = d->tsecr;
	f.win_from = d->win_from;
	f.win_to = d->win_to;
	f.ifindex = 7;
	memcpy(f.dmac, dmac, 6);
	memcpy(f.smac, smac, 6);
	return f;
}

static struct disp_fp_key key_of(const uint8_t *frame, size_t len)
{
	uint8_t copy[FP_FRAME_MAX];
	struct disp_fp_key k;
	struct raw_pkt p;

	memcpy(copy, frame, len);
	cr_assert_eq(raw_parse_eth(&p, copy, len), 0);
	cr_assert_eq(disp_fp_key_from_pkt(&k, &p), 0);
	return k;
}

/* Runs one frame both ways and compares; returns 1 if translated. */
static int check_frame(const uint8_t *in, size_t len, uint16_t gso,
		       const struct disp_fp_flow *f, int expect_xlate,
		       const char *what)
{
	uint8_t want[FP_FRAME_MAX], got[FP_FRAME_MAX];
	uint32_t got_len = 0, ret = 0;
	struct raw_pkt p;
	size_t i;

	memcpy(want, in, len);
	if (expect_xlate) {
		cr_assert_eq(fp_ref_xlate(want, len, f), 0, "%s: ref", what);
		/* The reference itself must produce valid checksums. */
		cr_assert_eq(raw_parse_eth(&p, want, len), 0);
		cr_assert(raw_tcp_csum_ok(&p), "%s: ref tcp csum", what);
		cr_assert(p.family != AF_INET || raw_ipv4_csum_ok(&p),
			  "%s: ref ip csum", what);
	}
	cr_assert_eq(fp_run_tc(disp_fp_tc_prog_fd(fp), in, len, gso, got,
			       &got_len, &ret), 0, "%s: test run", what);
	cr_assert_eq(ret, expect_xlate ? TC_ACT_REDIRECT : TC_ACT_OK,
		     "%s: verdict %u", what, ret);
	cr_assert_eq(got_len, len, "%s: length %u", what, got_len);
	for (i = 0; i < len; i++)
		cr_assert_eq(got[i], want[i],
			     "%s: byte %zu is %02x, user space says %02x",
			     what, i, got[i], want[i]);
	return expect_xlate;
}

static const uint8_t pkt_flags[] = {
	RAW_TCP_ACK, RAW_TCP_ACK | RAW_TCP_PSH, RAW_TCP_FIN | RAW_TCP_ACK,
	RAW_TCP_RST, RAW_TCP_RST | RAW_TCP_ACK,
};
static const uint16_t wins[] = { 0, 1, 502, 0xffff };
static const size_t payloads[] = { 0, 1, 1001 };

static unsigned golden_family(int family)
{
	struct fp_tuple t = tuple(family);
	uint8_t frame[FP_FRAME_MAX];
	struct disp_fp_counters c;
	struct disp_fp_key k;
	unsigned fi, li, xi, wi, pi, n, total = 0;
	uint64_t bytes;
	char what[160];
	size_t len;

	for (fi = 0; fi < sizeof(flows) / sizeof(flows[0]); fi++) {
		struct disp_fp_flow f = make_flow(&flows[fi], family);

		n = 0;
		bytes = 0;
		len = fp_frame(frame, &t, 1, 1, RAW_TCP_ACK, 1, NULL, 0, 0);
		k = key_of(frame, len);
		cr_assert_eq(disp_fp_insert(fp, &k, &f), 0);
		for (li = 0; li < sizeof(layouts) / sizeof(layouts[0]); li++)
		for (xi = 0; xi < sizeof(pkt_flags); xi++)
		for (wi = 0; wi < 4; wi++)
		for (pi = 0; pi < 3; pi++) {
			const struct layout *l = &layouts[li];

			len = fp_frame(frame, &t, 0xfffffff0u + pi * 7,
				       0x61c88646u * (wi + 1), pkt_flags[xi],
				       wins[wi], l->b, l->len, payloads[pi]);
			cr_assert(len > 0);
			snprintf(what, sizeof(what), "v%d %s %s flags %02x win %u "
				 "payload %zu", family == AF_INET ? 4 : 6,
				 flows[fi].name, l->name, pkt_flags[xi],
				 wins[wi], payloads[pi]);
			if (check_frame(frame, len, 0, &f, l->ok, what)) {
				n++;
				bytes += len - 14;
			}
			total++;
		}
		cr_assert_eq(disp_fp_read(fp, &k, &c), 0);
		cr_assert_eq(c.packets, n, "%s: counted %llu of %u",
			     flows[fi].name, (unsigned long long)c.packets, n);
		cr_assert_eq(c.bytes, bytes);
		cr_assert_neq(c.last_seen_ns, 0);
		cr_assert_eq(disp_fp_remove(fp, &k), 0);
	}
	return total;
}

Test(fp_golden, ipv4_all_layouts, .fini = close_fp)
{
	open_fp(64);
	cr_log_info("%u frames", golden_family(AF_INET));
}

Test(fp_golden, ipv6_all_layouts, .fini = close_fp)
{
	open_fp(64);
	cr_log_info("%u frames", golden_family(AF_INET6));
}

/* GSO-sized skbs (gso_size set, longer than an MTU) are rewritten whole. */
Test(fp_golden, gso_sized, .fini = close_fp)
{
	uint8_t frame[FP_FRAME_MAX];
	int fam[2] = { AF_INET, AF_INET6 };
	unsigned i, fi, li;
	char what[96];
	size_t len;

	open_fp(64);
	for (i = 0; i < 2; i++) {
		struct fp_tuple t = tuple(fam[i]);

		for (fi = 0; fi < 3; fi++) {
			struct disp_fp_flow f = make_flow(&flows[fi], fam[i]);
			struct disp_fp_key k;

			len = fp_frame(frame, &t, 1, 1, RAW_TCP_ACK, 1, NULL, 0, 0);
			k = key_of(frame, len);
			cr_assert_eq(disp_fp_insert(fp, &k, &f), 0);
			for (li = 0; li < 3; li++) {
				len = fp_frame(frame, &t, 0x7ffff000u, 0x12345678u,
					       RAW_TCP_ACK | RAW_TCP_PSH, 0x1234,
					       layouts[li].b, layouts[li].len,
					       2896 - layouts[li].len);
				snprintf(what, sizeof(what), "gso v%d %s %s",
					 fam[i] == AF_INET ? 4 : 6,
					 flows[fi].name, layouts[li].name);
				check_frame(frame, len, 1448, &f, 1, what);
			}
			cr_assert_eq(disp_fp_remove(fp, &k), 0);
		}
	}
}

/* What user space must keep: SYNs of offloaded tuples, unknown tuples. */
Test(fp_golden, syn_and_unknown_pass, .fini = close_fp)
{
	struct fp_tuple t = tuple(AF_INET), u = tuple(AF_INET);
	struct disp_fp_flow f = make_flow(&flows[0], AF_INET);
	uint8_t frame[FP_FRAME_MAX];
	struct disp_fp_stats st;
	struct disp_fp_key k;
	size_t len;

	open_fp(64);
	len = fp_frame(frame, &t, 1, 0, RAW_TCP_SYN, 1, layouts[1].b, 12, 0);
	k = key_of(frame, len);
	cr_assert_eq(disp_fp_insert(fp, &k, &f), 0);
	check_frame(frame, len, 0, &f, 0, "syn");
	len = fp_frame(frame, &t, 1, 5, RAW_TCP_SYN | RAW_TCP_ACK, 1, NULL, 0, 0);
	check_frame(frame, len, 0, &f, 0, "syn-ack");
	u.sport++;
	len = fp_frame(frame, &u, 1, 5, RAW_TCP_ACK, 1, NULL, 0, 10);
	check_frame(frame, len, 0, &f, 0, "unknown tuple");
	cr_assert_eq(disp_fp_stats(fp, &st), 0);
	cr_assert_eq(st.st[DISP_FP_ST_TC_SYN], 2);
	cr_assert_eq(st.st[DISP_FP_ST_TC_NOFLOW], 1);
	cr_assert_eq(st.flows, 1);
}

/* Headers the program does not parse go to user space untouched, even
 * for a tuple in the map: IPv4 options, fragments, IPv6 extension
 * headers, VLAN tags. */
Test(fp_golden, unparsed_pass, .fini = close_fp)
{
	struct fp_tuple t4 = tuple(AF_INET), t6 = tuple(AF_INET6);
	struct disp_fp_flow f4 = make_flow(&flows[0], AF_INET);
	struct disp_fp_flow f6 = make_flow(&flows[0], AF_INET6);
	uint8_t frame[FP_FRAME_MAX], x[FP_FRAME_MAX];
	struct disp_fp_stats st;
	struct disp_fp_key k;
	struct raw_pkt p;
	size_t len;

	open_fp(64);
	len = fp_frame(frame, &t4, 1, 1, RAW_TCP_ACK, 1, NULL, 0, 20);
	k = key_of(frame, len);
	cr_assert_eq(disp_fp_insert(fp, &k, &f4), 0);
	/* IPv4 with 4 bytes of NOP options (IHL 6). */
	memcpy(x, frame, 34);
	memset(x + 34, 1, 4);
	memcpy(x + 38, frame + 34, len - 34);
	x[14] = 0x46;
	x[17] += 4; /* total length (low byte has room) */
	cr_assert_eq(raw_parse_eth(&p, x, len + 4), 0);
	raw_ipv4_csum_set(&p);
	check_frame(x, len + 4, 0, &f4, 0, "ipv4 options");
	/* A first fragment (MF). */
	memcpy(x, frame, len);
	x[20] |= 0x20;
	cr_assert_eq(raw_parse_eth(&p, x, len), -EOPNOTSUPP);
	check_frame(x, len, 0, &f4, 0, "ipv4 MF");
	/* One 802.1Q tag. */
	memcpy(x, frame, 12);
	x[12] = 0x81; x[13] = 0; x[14] = 0; x[15] = 5;
	memcpy(x + 16, frame + 12, len - 12);
	check_frame(x, len + 4, 0, &f4, 0, "vlan");
	/* IPv6 with an 8-byte destination-options header. */
	len = fp_frame(frame, &t6, 1, 1, RAW_TCP_ACK, 1, NULL, 0, 20);
	k = key_of(frame, len);
	cr_assert_eq(disp_fp_insert(fp, &k, &f6), 0);
	memcpy(x, frame, 54);
	x[20] = 60;                     /* next header: dest options */
	x[19] += 8;                     /* payload length */
	x[54] = 6; x[55] = 0;           /* -> TCP, 8 bytes */
	x[56] = 1; x[57] = 4;           /* PadN */
	memset(x + 58, 0, 4);
	memcpy(x + 62, frame + 54, len - 54);
	cr_assert_eq(raw_parse_eth(&p, x, len + 8), 0);
	check_frame(x, len + 8, 0, &f6, 0, "ipv6 ext header");
	cr_assert_eq(disp_fp_stats(fp, &st), 0);
	cr_assert_eq(st.st[DISP_FP_ST_TC_UNPARSED], 4);
	cr_assert_eq(st.st[DISP_FP_ST_TC_XLATE], 0);
}

/* The table's layouts agree with raw/'s option policy. */
Test(fp_golden, layouts_match_raw_policy)
{
	struct raw_tcpopts o;
	unsigned i;

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		cr_assert_eq(raw_tcpopt_parse(layouts[i].b, layouts[i].len, &o,
					      NULL) == 0, layouts[i].ok,
			     "%s", layouts[i].name);
}

Test(fp_golden, insert_errors, .fini = close_fp)
{
	struct fp_tuple t = tuple(AF_INET);
	struct disp_fp_flow f = make_flow(&flows[0], AF_INET);
	uint8_t frame[FP_FRAME_MAX];
	struct disp_fp_key k;
	unsigned i;
	size_t len;

	open_fp(4);
	len = fp_frame(frame, &t, 1, 1, RAW_TCP_ACK, 1, NULL, 0, 0);
	k = key_of(frame, len);
	for (i = 0; i < 4; i++) {
		k.sport = htons(1000 + i);
		cr_assert_eq(disp_fp_insert(fp, &k, &f), 0);
	}
	cr_assert_eq(disp_fp_insert(fp, &k, &f), -EEXIST);
	k.sport = htons(2000);
	cr_assert_eq(disp_fp_insert(fp, &k, &f), -ENOSPC);
	k.family = 5;
	cr_assert_eq(disp_fp_insert(fp, &k, &f), -EINVAL);
	k.family = DISP_FP_FAM_V4;
	f.win_to = 15;
	cr_assert_eq(disp_fp_insert(fp, &k, &f), -EINVAL);
	f.win_to = 0;
	f.ifindex = 0;
	cr_assert_eq(disp_fp_insert(fp, &k, &f), -EINVAL);
	cr_assert_eq(disp_fp_remove(fp, &k), -ENOENT);
}
