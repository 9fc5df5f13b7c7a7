/* Checksums: the full sum against a plain reference, and every
 * incremental update (RFC 1624) against a full recomputation over random
 * data, random packets and random field changes. The seed is fixed and
 * printed; set RAW_TEST_SEED to replay another. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "helpers.h"
#include "splicekit/raw_csum.h"
#include "splicekit/raw_pkt.h"
#include "splicekit/raw_rewrite.h"
#include "splicekit/raw_tcpopt.h"

static uint64_t seed(void)
{
	const char *e = getenv("RAW_TEST_SEED");
	uint64_t s = e ? strtoull(e, NULL, 0) : 0x5eed5111ce2026ULL;

	cr_log_info("RAW_TEST_SEED=0x%llx", (unsigned long long)s);
	return s ? s : 1;
}

/* RFC 1071 section 4.1, done the slow obvious way. */
static uint16_t ref_csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

Test(csum, rfc1071_example)
{
	/* RFC 1071 1.3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
	static const uint8_t b[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	cr_assert_eq(raw_csum(b, 8), (uint16_t)~0xddf2);
	cr_assert_eq(raw_csum(b, 0), 0xffff);
	/* An odd last byte is the high half of a zero-padded word. */
	cr_assert_eq(raw_csum(b + 2, 1), (uint16_t)~0xf200);
}

Test(csum, full_matches_reference)
{
	uint64_t s = seed();
	uint8_t buf[2100];

	for (int i = 0; i < 20000; i++) {
		size_t len = rnd(&s) % 2049, off = rnd(&s) % 8;

		for (size_t k = 0; k < len; k++)
			buf[off + k] = (uint8_t)rnd(&s);
		if (i % 97 == 0)
			memset(buf + off, 0xff, len);
		cr_assert_eq(raw_csum(buf + off, len), ref_csum(buf + off, len),
			     "case %d len %zu off %zu", i, len, off);
		/* Chaining even pieces gives the same sum. */
		size_t cut = (rnd(&s) % (len + 1)) & ~(size_t)1;
		cr_assert_eq(raw_csum_fold(raw_csum_add(raw_csum_add(0, buf + off, cut),
							buf + off + cut, len - cut)),
			     ref_csum(buf + off, len));
	}
}

Test(csum, incremental_fields_match_full)
{
	uint64_t s = seed();
	uint8_t buf[64];
	int n = 0;

	for (int i = 0; i < 100000; i++) {
		size_t len = 8 + 2 * (rnd(&s) % 28);
		size_t at = 2 * (rnd(&s) % ((len - 4) / 2));
		uint16_t c0, c1;

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rnd(&s);
		c0 = raw_csum(buf, len);
		switch (i % 3) {
		case 0: {
			uint16_t o = (uint16_t)(buf[at] << 8 | buf[at + 1]);
			uint16_t v = (uint16_t)rnd(&s);
			buf[at] = (uint8_t)(v >> 8);
			buf[at + 1] = (uint8_t)v;
			c1 = raw_csum_update16(c0, o, v);
			break;
		}
		case 1: {
			uint32_t o = (uint32_t)buf[at] << 24 | (uint32_t)buf[at + 1] << 16 |
				     (uint32_t)buf[at + 2] << 8 | buf[at + 3];
			uint32_t v = (uint32_t)rnd(&s);
			buf[at] = (uint8_t)(v >> 24);
			buf[at + 1] = (uint8_t)(v >> 16);
			buf[at + 2] = (uint8_t)(v >> 8);
			buf[at + 3] = (uint8_t)v;
			c1 = raw_csum_update32(c0, o, v);
			break;
		}
		default: {
			size_t alen = (rnd(&s) & 1) && len >= 24 ? 16 : 4;
			uint8_t o[16], v[16];
			at = 2 * (rnd(&s) % ((len - alen) / 2 + 1));
			memcpy(o, buf + at, alen);
			for (size_t k = 0; k < alen; k++)
				v[k] = (uint8_t)rnd(&s);
			memcpy(buf + at, v, alen);
			c1 = raw_csum_update_bytes(c0, o, v, alen);
			break;
		}
		}
		cr_assert_eq(c1, raw_csum(buf, len), "case %d", i);
		n++;
	}
	cr_log_info("%d incremental field updates checked", n);
}

/* Appends a random, valid option layout (NOPs sprinkled so fields land at
 * odd offsets, one unknown kind) to o; returns its padded length. */
static size_t random_opts(uint64_t *s, uint8_t *o, bool syn)
{
	size_t n = 0;
	int order[6] = { 0, 1, 2, 3, 4, 5 };

	for (int i = 5; i > 0; i--) {
		int j = (int)(rnd(s) % (uint64_t)(i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < 6; i++) {
		size_t nops = rnd(s) % 3;
		size_t need;
		int k = order[i];

		need = k == 0 ? 4 : k == 1 ? 3 : k == 2 ? 2 : k == 3 ? 10 : k == 4 ? 26 : 4;
		if (rnd(s) % 4 == 0 || n + nops + need > 40)
			continue;
		if (k == 4 && syn)
			continue;
		while (nops--)
			o[n++] = 1;
		switch (k) {
		case 0: o[n] = 2; o[n + 1] = 4; o[n + 2] = (uint8_t)rnd(s); o[n + 3] = (uint8_t)rnd(s); break;
		case 1: o[n] = 3; o[n + 1] = 3; o[n + 2] = (uint8_t)(rnd(s) % 15); break;
		case 2: o[n] = 4; o[n + 1] = 2; break;
		case 3: o[n] = 8; o[n + 1] = 10; break;
		case 4: o[n] = 5; o[n + 1] = 26; break;
		case 5: o[n] = 30; o[n + 1] = 4; break; /* unknown kind */
		}
		for (size_t b = (k == 0 || k == 1 || k == 2) ? need : 2; b < need; b++)
			o[n + b] = (uint8_t)rnd(s);
		n += need;
	}
	while (n % 4)
		o[n++] = (rnd(s) & 1) ? 1 : 0;
	return n;
}

Test(csum, incremental_rewrite_random_packets)
{
	uint64_t s = seed();
	uint8_t buf[600], opts[40], pay[301], addr[16];
	long ops = 0, odd = 0;
	const int packets = 100000;

	for (int i = 0; i < packets; i++) {
		int fam = (rnd(&s) & 1) ? AF_INET : AF_INET6;
		uint8_t sa[16], da[16];
		struct raw_tcp_spec sp = { .family = fam, .saddr = sa, .daddr = da };
		struct raw_pkt p;
		struct raw_tcpopts o;
		int len;

		for (int k = 0; k < 16; k++) {
			sa[k] = (uint8_t)rnd(&s);
			da[k] = (uint8_t)rnd(&s);
		}
		sp.sport = (uint16_t)rnd(&s);
		sp.dport = (uint16_t)rnd(&s);
		sp.seq = (uint32_t)rnd(&s);
		sp.ack = (uint32_t)rnd(&s);
		sp.flags = (uint8_t)rnd(&s);
		sp.window = (uint16_t)rnd(&s);
		sp.ttl = (uint8_t)rnd(&s);
		sp.opts = opts;
		sp.opts_len = random_opts(&s, opts, false);
		sp.payload_len = rnd(&s) % sizeof(pay);
		for (size_t k = 0; k < sp.payload_len; k++)
			pay[k] = (uint8_t)rnd(&s);
		sp.payload = pay;
		len = raw_tcp_build(buf, sizeof(buf), &sp, &p);
		cr_assert_gt(len, 0);
		cr_assert_eq(raw_pkt_tcpopts(&p, &o), 0, "case %d: %s", i,
			     raw_reason_str(p.reason));

		for (int step = 0, nsteps = 1 + (int)(rnd(&s) % 4); step < nsteps; step++) {
			uint32_t v = (uint32_t)rnd(&s);
			int op = (int)(rnd(&s) % 13), r = 0;

			switch (op) {
			case 0: case 1:
				for (int k = 0; k < 16; k++)
					addr[k] = (uint8_t)rnd(&s);
				r = op ? raw_rw_daddr(&p, addr) : raw_rw_saddr(&p, addr);
				break;
			case 2: r = raw_rw_sport(&p, (uint16_t)v); break;
			case 3: r = raw_rw_dport(&p, (uint16_t)v); break;
			case 4: r = raw_rw_seq_add(&p, v); break;
			case 5: r = raw_rw_ack_add(&p, v); break;
			case 6: r = raw_rw_window(&p, (uint16_t)v); break;
			case 7: r = raw_rw_sack_add(&p, &o, v); break;
			case 8: r = raw_rw_ts(&p, &o, v, (uint32_t)rnd(&s)); break;
			case 9: r = raw_rw_mss_clamp(&p, &o, (uint16_t)v); r = r > 0 ? 0 : r; break;
			case 10: r = raw_rw_seq(&p, v); break;
			case 11: r = raw_rw_ack(&p, v); break;
			default:
				/* Any payload span, odd offsets and the odd last byte
				 * included. */
				if (p.payload_len == 0) {
					r = -ENOENT;
					break;
				}
				{
					uint32_t at = (uint32_t)(rnd(&s) % p.payload_len);
					size_t n = 1 + rnd(&s) % (p.payload_len - at);
					uint8_t w[301];
					for (size_t k = 0; k < n; k++)
						w[k] = (uint8_t)rnd(&s);
					odd += at & 1;
					r = raw_rw_tcp_bytes(&p, p.payload_off + at, w, n);
				}
			}
			cr_assert(r == 0 || r == -ENOENT, "case %d op %d: %d", i, op, r);
			ops += r == 0;
			if ((op == 7 || op == 8 || op == 9) && r == 0) {
				size_t off = op == 7 ? o.sack_off : op == 8 ? o.ts_off : o.mss_off;
				odd += off & 1;
			}
			cr_assert(raw_tcp_csum_ok(&p), "case %d step %d op %d: TCP checksum "
				  "%s after incremental update", i, step, op, "wrong");
			if (fam == AF_INET)
				cr_assert(raw_ipv4_csum_ok(&p), "case %d op %d: IPv4 checksum", i, op);
		}
		/* The rewritten bytes parse back to the view we kept. */
		{
			struct raw_pkt q;
			struct raw_tcpopts qo;
			cr_assert_eq(raw_parse_ip(&q, buf, (size_t)len), 0);
			cr_assert_eq(q.seq, p.seq);
			cr_assert_eq(q.ack, p.ack);
			cr_assert_eq(q.sport, p.sport);
			cr_assert_eq(q.dport, p.dport);
			cr_assert_eq(q.window, p.window);
			cr_assert_arr_eq(q.saddr, p.saddr, 16);
			cr_assert_arr_eq(q.daddr, p.daddr, 16);
			cr_assert_eq(raw_pkt_tcpopts(&q, &qo), 0);
			cr_assert_eq(qo.tsval, o.tsval);
			cr_assert_eq(qo.tsecr, o.tsecr);
			cr_assert_eq(qo.mss, o.mss);
			for (int k = 0; k < o.sack_n; k++)
				cr_assert_eq(qo.sack[k].left, o.sack[k].left);
		}
	}
	cr_log_info("%d random packets, %ld rewrites (%ld at odd offsets), "
		    "each checked by full recomputation", packets, ops, odd);
	cr_assert_gt(odd, 1000);
}

Test(csum, wrong_checksum_stays_wrong)
{
	uint8_t buf[200];
	uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 }, c[4] = { 192, 0, 2, 1 };
	struct raw_tcp_spec sp = { .family = AF_INET, .saddr = a, .daddr = b,
				   .sport = 1, .dport = 2, .flags = 0x10 };
	struct raw_pkt p;

	cr_assert_gt(raw_tcp_build(buf, sizeof(buf), &sp, &p), 0);
	buf[20 + 17] ^= 0x01; /* damage the TCP checksum */
	cr_assert_not(raw_tcp_csum_ok(&p));
	cr_assert_eq(raw_rw_daddr(&p, c), 0);
	cr_assert_eq(raw_rw_seq_add(&p, 77), 0);
	cr_assert_not(raw_tcp_csum_ok(&p));
	/* Recomputing is the way back. */
	raw_tcp_csum_set(&p);
	cr_assert(raw_tcp_csum_ok(&p));
}
