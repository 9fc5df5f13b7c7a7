/* Software segmentation of super-packets: the segments must carry exactly
 * the original payload, in order, with contiguous sequence numbers, valid
 * checksums, FIN/PSH only on the last and CWR only on the first.
 * Input packets are made with raw_tcp_build (raw-parse). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>

#include "../../dispatcher/engine_int.h"

static const uint8_t a4[4] = { 10, 0, 1, 2 }, b4[4] = { 10, 0, 11, 2 };
static const uint8_t a6[16] = { 0xfd, 0, 0, 1, [15] = 2 };
static const uint8_t b6[16] = { 0xfd, 0, 0, 0x11, [15] = 2 };

struct sink {
	uint8_t payload[70000];
	size_t got;
	unsigned n;
	uint32_t next_seq;
	uint16_t last_id;
	int family;
	bool fail;
	uint8_t flags[64];
};

static int collect(const uint8_t *pkt, size_t len, void *arg)
{
	struct sink *s = arg;
	struct raw_pkt q;
	uint8_t copy[2000];

	cr_assert_leq(len, 1500);
	memcpy(copy, pkt, len);
	cr_assert_eq(raw_parse_ip(&q, copy, len), 0);
	cr_assert(q.is_tcp);
	cr_assert(raw_tcp_csum_ok(&q), "segment %u checksum", s->n);
	if (s->family == AF_INET) {
		cr_assert(raw_ipv4_csum_ok(&q));
		if (s->n)
			cr_assert_eq((uint16_t)(copy[4] << 8 | copy[5]),
				     (uint16_t)(s->last_id + 1), "IPv4 ID steps");
		s->last_id = (uint16_t)(copy[4] << 8 | copy[5]);
	}
	if (s->n)
		cr_assert_eq(q.seq, s->next_seq, "contiguous seq");
	s->next_seq = q.seq + q.payload_len;
	memcpy(s->payload + s->got, copy + q.payload_off, q.payload_len);
	s->got += q.payload_len;
	s->flags[s->n++] = q.tcp_flags;
	return 0;
}

static void run(int family, size_t plen, unsigned want_segs)
{
	static uint8_t buf[70000], data[66000];
	static struct sink s;
	struct raw_pkt p;
	uint8_t opts[12] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 }; /* NOP NOP TS */
	struct raw_tcp_spec sp = {
		.family = family,
		.saddr = family == AF_INET ? a4 : a6,
		.daddr = family == AF_INET ? b4 : b6,
		.sport = 80, .dport = 40000, .seq = 0xfffff000u, .ack = 7,
		.flags = RAW_TCP_ACK | RAW_TCP_PSH | RAW_TCP_FIN | 0x80,
		.window = 512, .opts = opts, .opts_len = sizeof(opts),
		.payload = data, .payload_len = plen,
	};
	int len, n;

	for (size_t i = 0; i < plen; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	memset(&s, 0, sizeof(s));
	s.family = family;
	len = raw_tcp_build(buf, sizeof(buf), &sp, &p);
	cr_assert_gt(len, 0);
	n = disp_gso_segment(&p, 1500, collect, &s);
	cr_assert_eq(n, (int)want_segs);
	cr_assert_eq(s.n, want_segs);
	cr_assert_eq(s.got, plen);
	cr_assert_eq(memcmp(s.payload, data, plen), 0, "payload intact, in order");
	for (unsigned i = 0; i < s.n; i++) {
		bool last = i + 1 == s.n;

		cr_assert_eq(!!(s.flags[i] & RAW_TCP_FIN), last, "FIN on seg %u", i);
		cr_assert_eq(!!(s.flags[i] & RAW_TCP_PSH), last, "PSH on seg %u", i);
		cr_assert_eq(!!(s.flags[i] & 0x80), i == 0, "CWR on seg %u", i);
		cr_assert(s.flags[i] & RAW_TCP_ACK);
	}
}

/* IPv4: 20 + 32 header bytes leave 1448 of payload per 1500-byte segment. */
Test(gso, ipv4_64k_super_packet)
{
	run(AF_INET, 65000, (65000 + 1447) / 1448);
}

Test(gso, ipv4_just_over_one_mtu)
{
	run(AF_INET, 1449, 2);
}

/* IPv6: 40 + 32 header bytes leave 1428; seq wraps inside the run. */
Test(gso, ipv6_super_packet)
{
	run(AF_INET6, 30000, (30000 + 1427) / 1428);
}

Test(gso, mtu_too_small_for_headers)
{
	static uint8_t buf[4000];
	struct raw_pkt p;
	struct raw_tcp_spec sp = { .family = AF_INET, .saddr = a4, .daddr = b4,
				   .flags = RAW_TCP_ACK, .payload = buf + 2000,
				   .payload_len = 1000 };

	cr_assert_gt(raw_tcp_build(buf, 2000, &sp, &p), 0);
	cr_assert_eq(disp_gso_segment(&p, 40, collect, NULL), -EINVAL);
}
