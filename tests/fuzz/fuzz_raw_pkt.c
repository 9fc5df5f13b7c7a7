/* libFuzzer harness for the packet parser (raw_parse) and, on accepted TCP
 * packets, the option parser and every rewrite helper. Invariants checked:
 * the view's offsets tile the datagram exactly, a rejection always names
 * its reason, and after any sequence of incremental rewrites both
 * checksums equal a full recomputation and the bytes parse back to the
 * view. Input: byte 0 picks the link type, the rest is the packet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splicekit/raw_csum.h"
#include "splicekit/raw_pkt.h"
#include "splicekit/raw_rewrite.h"
#include "splicekit/raw_tcpopt.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t mix(const uint8_t *d, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ d[i]) * 16777619u;
	return h;
}

static void csums_ok(const struct raw_pkt *p, const char *what)
{
	if (!raw_tcp_csum_ok(p) ||
	    (p->ethertype == RAW_ETHERTYPE_IPV4 && !raw_ipv4_csum_ok(p))) {
		fprintf(stderr, "checksum wrong after %s\n", what);
		abort();
	}
}

static void rewrite_all(struct raw_pkt *p, struct raw_tcpopts *o, uint32_t h)
{
	uint8_t addr[17];
	int r;

	for (int i = 0; i < 17; i++)
		addr[i] = (uint8_t)(h >> (i % 4 * 8)) ^ (uint8_t)i;
	CHECK(raw_rw_saddr(p, addr) == 0);
	csums_ok(p, "saddr");
	CHECK(raw_rw_daddr(p, addr + 1) == 0);
	csums_ok(p, "daddr");
	CHECK(raw_rw_sport(p, (uint16_t)h) == 0);
	CHECK(raw_rw_dport(p, (uint16_t)(h >> 16)) == 0);
	csums_ok(p, "ports");
	CHECK(raw_rw_seq_add(p, h) == 0);
	CHECK(raw_rw_ack_add(p, ~h) == 0);
	CHECK(raw_rw_window(p, (uint16_t)(h >> 7)) == 0);
	csums_ok(p, "seq/ack/window");
	r = raw_rw_sack_add(p, o, h * 3);
	CHECK(r == 0 || (r == -ENOENT && !(o->present & RAW_TCPOPT_F_SACK)));
	csums_ok(p, "sack");
	r = raw_rw_sack_drop_left_in(p, o, h * 5, h * 5 + (h >> 16));
	CHECK(r >= 0 || (r == -ENOENT && !(o->present & RAW_TCPOPT_F_SACK)));
	csums_ok(p, "sack drop");
	r = raw_rw_ts(p, o, h ^ 0x5a5a5a5a, h + 1);
	CHECK(r == 0 || (r == -ENOENT && !(o->present & RAW_TCPOPT_F_TS)));
	csums_ok(p, "ts");
	r = raw_rw_mss_clamp(p, o, (uint16_t)(h >> 3));
	CHECK(r >= 0 || (r == -ENOENT && !(o->present & RAW_TCPOPT_F_MSS)));
	csums_ok(p, "mss");
	r = raw_rw_ttl_dec(p);
	CHECK(r == 0 || (r == -ETIMEDOUT && p->ttl <= 1));
	csums_ok(p, "ttl");
	if (p->payload_len) {
		uint32_t at = h % p->payload_len;
		CHECK(raw_rw_tcp_bytes(p, p->payload_off + at, addr,
				       p->payload_len - at < 16 ? p->payload_len - at : 16) == 0);
		csums_ok(p, "payload");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raw_pkt p, q;
	struct raw_tcpopts o, qo;
	enum raw_link link;
	uint8_t *buf;
	size_t n;
	int r;

	if (size < 1)
		return 0;
	link = (enum raw_link)(data[0] % 3 + 1);
	n = size - 1;
	/* An exact-size heap copy, so ASan sees any read past the capture. */
	buf = malloc(n ? n : 1);
	CHECK(buf);
	memcpy(buf, data + 1, n);

	r = raw_parse(&p, buf, n, link);
	if (r < 0) {
		CHECK(p.reason != RAW_R_OK && p.reason < RAW_R_MAX);
		CHECK(strcmp(raw_reason_str(p.reason), "unknown") != 0);
		CHECK(!p.is_tcp);
		goto out;
	}
	CHECK(r == 0 && p.reason == RAW_R_OK);
	CHECK(p.cap == n && p.len <= p.cap);
	CHECK(p.l3_off + p.l3_len == p.len);
	CHECK(p.l4_off == p.l3_off + p.l3_hlen);
	CHECK(p.l4_off + p.l4_len == p.len);
	if (!p.is_tcp)
		goto out;
	CHECK(p.l4_proto == RAW_IPPROTO_TCP);
	CHECK(p.tcp_hlen >= 20 && p.tcp_hlen <= 60 && p.tcp_hlen <= p.l4_len);
	CHECK(p.opt_off == p.l4_off + 20 && p.opt_len == p.tcp_hlen - 20);
	CHECK(p.payload_off + p.payload_len == p.len);

	r = raw_pkt_tcpopts(&p, &o);
	if (r < 0) {
		CHECK(p.reason >= RAW_R_TCPOPT_TRUNC && p.reason <= RAW_R_TCPOPT_DUP);
		goto out;
	}
	if (o.present & RAW_TCPOPT_F_SACK)
		CHECK(o.sack_off + 2u + 8u * o.sack_n <= p.opt_len);
	if (o.present & RAW_TCPOPT_F_TS)
		CHECK(o.ts_off + 10u <= p.opt_len);
	if (o.present & RAW_TCPOPT_F_MSS)
		CHECK(o.mss_off + 4u <= p.opt_len);

	/* Start from right checksums, then every incremental step must keep
	 * them right. */
	raw_ipv4_csum_set(&p);
	raw_tcp_csum_set(&p);
	csums_ok(&p, "full set");
	rewrite_all(&p, &o, mix(data, size, 2166136261u));

	CHECK(raw_parse(&q, buf, n, link) == 0);
	CHECK(q.seq == p.seq && q.ack == p.ack && q.window == p.window && q.ttl == p.ttl);
	CHECK(q.sport == p.sport && q.dport == p.dport);
	CHECK(memcmp(q.saddr, p.saddr, 16) == 0 && memcmp(q.daddr, p.daddr, 16) == 0);
	CHECK(raw_pkt_tcpopts(&q, &qo) == 0);
	CHECK(qo.present == o.present && qo.mss == o.mss && qo.tsval == o.tsval &&
	      qo.tsecr == o.tsecr && qo.sack_n == o.sack_n);
	for (unsigned i = 0; i < o.sack_n; i++)
		CHECK(qo.sack[i].left == o.sack[i].left && qo.sack[i].right == o.sack[i].right);
out:
	free(buf);
	return 0;
}
