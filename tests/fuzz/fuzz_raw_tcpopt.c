/* libFuzzer harness for the TCP option parser. Checks that the iterator
 * and raw_tcpopt_parse agree, that every reported offset lies inside the
 * option space, and, for accepted option lists, that a segment built with
 * them parses to the same options and survives every option rewrite with
 * right checksums. Input: byte 0 picks IPv4/IPv6, the rest is the option
 * space. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "splicekit/raw_csum.h"
#include "splicekit/raw_pkt.h"
#include "splicekit/raw_rewrite.h"
#include "splicekit/raw_tcpopt.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t A[16] = { 0xfd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t B[16] = { 10, 0, 0, 9, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16 };

static void csums_ok(const struct raw_pkt *p)
{
	CHECK(raw_tcp_csum_ok(p));
	CHECK(p->ethertype != RAW_ETHERTYPE_IPV4 || raw_ipv4_csum_ok(p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raw_tcpopts o, po;
	struct raw_tcpopt_iter it;
	struct raw_tcpopt t;
	enum raw_reason why = RAW_R_OK, iwhy = RAW_R_OK;
	uint8_t *opt, space[40] = { 0 }, pkt[256];
	struct raw_pkt p;
	size_t n;
	int r, ir, count = 0;

	if (size < 1)
		return 0;
	n = size - 1;
	opt = malloc(n ? n : 1);
	CHECK(opt);
	memcpy(opt, data + 1, n);

	r = raw_tcpopt_parse(opt, n, &o, &why);
	if (n > 40) {
		CHECK(r == -EINVAL);
		goto out;
	}
	raw_tcpopt_iter_init(&it, opt, n);
	while ((ir = raw_tcpopt_next(&it, &t, &iwhy)) == 1) {
		CHECK(t.len >= 2 && (size_t)t.off + t.len <= n);
		CHECK(t.data == opt + t.off + 2);
		CHECK(++count <= 20);
	}
	CHECK(ir == 0 || ir == -EBADMSG);
	CHECK(raw_tcpopt_next(&it, &t, &iwhy) == 0);
	if (r < 0) {
		CHECK(r == -EBADMSG);
		CHECK(why >= RAW_R_TCPOPT_TRUNC && why <= RAW_R_TCPOPT_DUP);
		/* Framing errors are the iterator's; the others are about
		 * known kinds the iterator accepted. */
		if (why == RAW_R_TCPOPT_TRUNC || why == RAW_R_TCPOPT_LEN)
			CHECK(ir == -EBADMSG && iwhy == why);
		goto out;
	}
	CHECK(ir == 0);
	if (o.present & RAW_TCPOPT_F_MSS)
		CHECK(o.mss_off + 4u <= n && opt[o.mss_off] == 2);
	if (o.present & RAW_TCPOPT_F_WSCALE)
		CHECK(o.wscale_off + 3u <= n && opt[o.wscale_off] == 3);
	if (o.present & RAW_TCPOPT_F_SACK_PERM)
		CHECK(o.sack_perm_off + 2u <= n && opt[o.sack_perm_off] == 4);
	if (o.present & RAW_TCPOPT_F_SACK)
		CHECK(o.sack_n >= 1 && o.sack_n <= 4 &&
		      o.sack_off + 2u + 8u * o.sack_n <= n && opt[o.sack_off] == 5);
	if (o.present & RAW_TCPOPT_F_TS)
		CHECK(o.ts_off + 10u <= n && opt[o.ts_off] == 8);

	/* The same list inside a real segment (EOL-padded to a multiple of
	 * 4, which cannot change its meaning). */
	memcpy(space, opt, n);
	{
		struct raw_tcp_spec s = {
			.family = data[0] & 1 ? AF_INET6 : AF_INET, .saddr = A, .daddr = B,
			.sport = 1, .dport = 2, .seq = 3, .ack = 4, .flags = 0x10,
			.window = 5, .opts = space, .opts_len = (n + 3) & ~(size_t)3,
			.payload = data, .payload_len = size > 33 ? 33 : size,
		};
		CHECK(raw_tcp_build(pkt, sizeof(pkt), &s, &p) > 0);
	}
	CHECK(raw_pkt_tcpopts(&p, &po) == 0);
	CHECK(po.present == o.present && po.mss == o.mss && po.ts_off == o.ts_off &&
	      po.sack_n == o.sack_n && po.n_unknown == o.n_unknown);
	csums_ok(&p);
	r = raw_rw_sack_add(&p, &po, 0x9e3779b9u);
	CHECK(r == 0 || r == -ENOENT);
	csums_ok(&p);
	r = raw_rw_ts(&p, &po, 0xfffffffeu, (uint32_t)size);
	CHECK(r == 0 || r == -ENOENT);
	csums_ok(&p);
	r = raw_rw_mss(&p, &po, 1220);
	CHECK(r == 0 || r == -ENOENT);
	csums_ok(&p);
	CHECK(raw_pkt_tcpopts(&p, &o) == 0);
	CHECK(o.present == po.present && o.tsval == po.tsval && o.mss == po.mss);
	for (unsigned i = 0; i < o.sack_n; i++)
		CHECK(o.sack[i].left == po.sack[i].left);
out:
	free(opt);
	return 0;
}
