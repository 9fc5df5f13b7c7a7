/* raw_io_tcp_split: software segmentation of GRO/TSO super-packets. Input
 * packets come from raw_tcp_build; every piece is parsed back and checked
 * field by field, and the pieces' payloads must rebuild the original. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>

#define PAYLOAD_MAX 8000

static uint8_t in[PAYLOAD_MAX + 200], out[2000], payload[PAYLOAD_MAX];
static struct raw_pkt orig;

struct pieces {
	int n;
	size_t len[16];
	struct raw_pkt v[16];
	uint8_t bytes[16][2000];
	uint8_t joined[PAYLOAD_MAX];
	size_t joined_len;
	int fail_at; /* emit returns -EPIPE on this piece, -1: never */
};
static struct pieces got;

static int collect(void *ctx, uint8_t *pkt, size_t len)
{
	struct pieces *g = ctx;

	if (g->n == g->fail_at)
		return -EPIPE;
	cr_assert_lt(g->n, 16);
	memcpy(g->bytes[g->n], pkt, len);
	g->len[g->n] = len;
	cr_assert_eq(raw_parse_ip(&g->v[g->n], g->bytes[g->n], len), 0);
	memcpy(g->joined + g->joined_len, pkt + g->v[g->n].payload_off,
	       g->v[g->n].payload_len);
	g->joined_len += g->v[g->n].payload_len;
	g->n++;
	return 0;
}

static void build(int family, size_t plen, uint8_t flags)
{
	static const uint8_t s4[4] = { 10, 0, 11, 2 }, d4[4] = { 10, 0, 1, 2 };
	static const uint8_t s6[16] = { 0xfd, 0, 0, 0x11, [15] = 2 };
	static const uint8_t d6[16] = { 0xfd, 0, 0, 1, [15] = 2 };
	/* NOP NOP timestamps: the 12 option bytes bulk traffic carries. */
	static const uint8_t ts[12] = { 1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9 };
	struct raw_tcp_spec s = {
		.family = family,
		.saddr = family == AF_INET ? s4 : s6,
		.daddr = family == AF_INET ? d4 : d6,
		.sport = 8080, .dport = 40000, .seq = 0xfffffc00u, .ack = 77,
		.flags = flags, .window = 500, .opts = ts, .opts_len = sizeof(ts),
		.payload = payload, .payload_len = plen,
	};
	int n;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	n = raw_tcp_build(in, sizeof(in), &s, NULL);
	cr_assert_gt(n, 0);
	cr_assert_eq(raw_parse_ip(&orig, in, (size_t)n), 0);
	memset(&got, 0, sizeof(got));
	got.fail_at = -1;
}

Test(io_split, ipv4_super_packet_becomes_mtu_sized_segments)
{
	uint16_t id0;

	build(AF_INET, 3000, RAW_TCP_ACK | RAW_TCP_PSH | RAW_TCP_FIN | RAW_TCP_CWR);
	id0 = (uint16_t)(in[4] << 8 | in[5]);
	/* 20 IP + 32 TCP = 52 bytes of headers: 1448 payload bytes a piece. */
	cr_assert_eq(raw_io_tcp_split(&orig, 1500, out, sizeof(out), collect, &got), 3);
	cr_assert_eq(got.len[0], 1500);
	cr_assert_eq(got.len[1], 1500);
	cr_assert_eq(got.len[2], 52 + 3000 - 2 * 1448);
	for (int i = 0; i < 3; i++) {
		struct raw_pkt *v = &got.v[i];

		cr_assert(raw_ipv4_csum_ok(v), "piece %d IP checksum", i);
		cr_assert(raw_tcp_csum_ok(v), "piece %d TCP checksum", i);
		/* seq wraps past 2^32 on the way: mod-2^32 arithmetic. */
		cr_assert_eq(v->seq, (uint32_t)(0xfffffc00u + 1448u * (unsigned)i));
		cr_assert_eq(v->ack, 77);
		cr_assert_eq((uint16_t)(got.bytes[i][4] << 8 | got.bytes[i][5]),
			     (uint16_t)(id0 + i));
		cr_assert_eq(v->opt_len, 12, "options repeated in every piece");
		cr_assert_eq(memcmp(got.bytes[i] + v->opt_off, in + orig.opt_off, 12), 0);
		cr_assert_eq(!!(v->tcp_flags & RAW_TCP_FIN), i == 2);
		cr_assert_eq(!!(v->tcp_flags & RAW_TCP_PSH), i == 2);
		cr_assert_eq(!!(v->tcp_flags & RAW_TCP_CWR), i == 0);
		cr_assert(v->tcp_flags & RAW_TCP_ACK);
	}
	cr_assert_eq(got.joined_len, 3000);
	cr_assert_eq(memcmp(got.joined, payload, 3000), 0);
}

Test(io_split, ipv6_payload_length_is_per_piece)
{
	build(AF_INET6, 2000, RAW_TCP_ACK);
	/* 40 + 32 = 72 bytes of headers at MTU 1280: 1208 a piece. */
	cr_assert_eq(raw_io_tcp_split(&orig, 1280, out, sizeof(out), collect, &got), 2);
	cr_assert_eq(got.len[0], 1280);
	cr_assert_eq(got.v[0].l3_len, 1280);
	cr_assert_eq(got.v[1].payload_len, 2000 - 1208);
	cr_assert(raw_tcp_csum_ok(&got.v[0]));
	cr_assert(raw_tcp_csum_ok(&got.v[1]));
	cr_assert_eq(got.joined_len, 2000);
	cr_assert_eq(memcmp(got.joined, payload, 2000), 0);
}

Test(io_split, packet_within_mtu_comes_out_unchanged)
{
	build(AF_INET, 600, RAW_TCP_ACK | RAW_TCP_PSH);
	cr_assert_eq(raw_io_tcp_split(&orig, 1500, out, sizeof(out), collect, &got), 1);
	cr_assert_eq(got.len[0], orig.l3_len);
	cr_assert_eq(memcmp(got.bytes[0], in, orig.l3_len), 0);
}

Test(io_split, bare_ack_is_one_piece)
{
	build(AF_INET6, 0, RAW_TCP_ACK);
	cr_assert_eq(raw_io_tcp_split(&orig, 1500, out, sizeof(out), collect, &got), 1);
	cr_assert_eq(memcmp(got.bytes[0], in, orig.l3_len), 0);
}

Test(io_split, rejections)
{
	build(AF_INET, 3000, RAW_TCP_ACK);
	cr_assert_eq(raw_io_tcp_split(&orig, 52, out, sizeof(out), collect, &got),
		     -EMSGSIZE, "headers alone fill the MTU");
	cr_assert_eq(raw_io_tcp_split(&orig, 1500, out, 1000, collect, &got), -ENOSPC);
	got.fail_at = 1;
	cr_assert_eq(raw_io_tcp_split(&orig, 1500, out, sizeof(out), collect, &got),
		     -EPIPE, "emit's error stops the split");
	cr_assert_eq(got.n, 1);
	orig.is_tcp = false;
	cr_assert_eq(raw_io_tcp_split(&orig, 1500, out, sizeof(out), collect, &got),
		     -EINVAL);
}
