/* splice_syn golden table: real Linux SYNs in, the exact SYN-ACK out.
 *
 * For each SYN (captured from the kernel; see splice_syn_golden.h for the
 * recipe) and a fixed key and clock, the SYN-ACK built from the parsed SYN
 * must equal, byte for byte, the one splice_syn_golden_gen.py packed by
 * hand with ISNs from OpenSSL's SipHash and tshark dissected. Both the
 * table path (ssyn_isn) and the cookie path are covered. A second check
 * compares with the SYN-ACK the Linux kernel itself sent to the same SYN:
 * given the kernel's MSS, window, window scale and TSval, ours differs
 * only in the ISN, the TCP checksum and (IPv6) the flow label. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_tcpopt.h>
#include "splice/syn/splice_syn.h"

struct golden_synack {
	const char *name;
	int cookie;
	uint32_t isn;
	struct ssyn_local local;
	const char *syn, *kernel, *synack;
};

#include "splice_syn_golden.h"

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex) / 2;

	cr_assert_leq(n, cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* Parses a SYN the way the engine will: tuple, client ISN, options. */
static void parse_syn(const char *hex, struct ssyn_tuple *t, uint32_t *cisn,
		      struct ssyn_opts *o)
{
	uint8_t b[128];
	size_t n = unhex(b, sizeof b, hex);
	struct raw_pkt p;
	struct raw_tcpopts to;

	cr_assert_eq(raw_parse_ip(&p, b, n), 0);
	cr_assert(p.is_tcp);
	cr_assert_eq(p.tcp_flags, RAW_TCP_SYN);
	cr_assert_eq(ssyn_tuple_from_pkt(&p, t), 0);
	cr_assert_eq(raw_pkt_tcpopts(&p, &to), 0);
	ssyn_opts_from_tcpopts(&to, o);
	*cisn = p.seq;
}

static int build(const struct golden_synack *g, uint8_t *out, size_t cap,
		 uint32_t *isn_out)
{
	struct ssyn_secret s;
	struct ssyn_tuple t;
	struct ssyn_opts o;
	uint32_t cisn, isn;

	parse_syn(g->syn, &t, &cisn, &o);
	cr_assert_eq(ssyn_secret_init(&s, (const uint8_t *)golden_key, 0), 0);
	isn = g->cookie ? ssyn_cookie_make(&s, &t, cisn, &o, GOLDEN_NOW_S)
			: ssyn_isn(&s, &t, GOLDEN_NOW_S);
	*isn_out = isn;
	return ssyn_build_synack(out, cap, &t, cisn, &o, isn, &g->local, NULL);
}

static void dump(const char *what, const uint8_t *b, size_t n)
{
	char hex[2 * 128 + 1];

	for (size_t i = 0; i < n && i < 128; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	cr_log_error("%s %s", what, hex);
}

Test(splice_syn_golden, synack_bytes_exact)
{
	for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
		const struct golden_synack *g = &golden[i];
		uint8_t got[128], want[128];
		size_t wn = unhex(want, sizeof want, g->synack);
		uint32_t isn;
		int n = build(g, got, sizeof got, &isn);

		cr_assert_eq(isn, g->isn, "%s: ISN %u, OpenSSL SipHash says %u",
			     g->name, isn, g->isn);
		cr_assert_eq((size_t)n, wn, "%s: length %d, want %zu", g->name, n, wn);
		if (memcmp(got, want, wn)) {
			dump("got ", got, wn);
			dump("want", want, wn);
			cr_assert_fail("%s: SYN-ACK bytes differ", g->name);
		}
	}
}

/* The kernel's own answer, with our ISN in it, is our answer. */
Test(splice_syn_golden, same_as_linux_but_isn)
{
	for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
		const struct golden_synack *g = &golden[i];
		uint8_t got[128], kern[128];
		size_t kn = unhex(kern, sizeof kern, g->kernel);
		uint32_t isn;
		int n = build(g, got, sizeof got, &isn);
		struct raw_pkt p;

		cr_assert_eq((size_t)n, kn, "%s", g->name);
		cr_assert_eq(raw_parse_ip(&p, kern, kn), 0);
		/* Put our ISN into the kernel's packet and fix its checksum. */
		for (int k = 0; k < 4; k++)
			kern[p.l4_off + 4 + k] = (uint8_t)(isn >> (24 - 8 * k));
		raw_tcp_csum_set(&p);
		if (p.family == AF_INET6) {
			/* flow label: the kernel's is random, ours 0 */
			kern[1] &= 0xf0;
			kern[2] = kern[3] = 0;
		}
		if (memcmp(got, kern, kn)) {
			dump("ours  ", got, kn);
			dump("kernel", kern, kn);
			cr_assert_fail("%s: differs from Linux's SYN-ACK beyond the ISN", g->name);
		}
	}
}

/* The cookie rows complete: the client's ACK to that SYN-ACK is accepted
 * and brings back what the SYN offered. */
Test(splice_syn_golden, cookie_rows_complete)
{
	unsigned n = 0;

	for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) {
		const struct golden_synack *g = &golden[i];
		struct ssyn_secret s;
		struct ssyn_tuple t;
		struct ssyn_opts o, r;
		uint32_t cisn;

		if (!g->cookie)
			continue;
		parse_syn(g->syn, &t, &cisn, &o);
		cr_assert_eq(ssyn_secret_init(&s, (const uint8_t *)golden_key, 0), 0);
		cr_assert_eq(ssyn_cookie_check(&s, &t, cisn + 1, g->isn + 1,
					       GOLDEN_NOW_S + SSYN_SLOT_SECS, &r), 0, "%s", g->name);
		cr_assert_eq(r.wscale, o.wscale, "%s", g->name);
		cr_assert_eq(r.sack_perm, o.sack_perm, "%s", g->name);
		cr_assert_eq(r.ts, o.ts, "%s", g->name);
		cr_assert_leq(r.mss, o.mss, "%s", g->name);
		n++;
	}
	cr_assert_eq(n, 4);
}
