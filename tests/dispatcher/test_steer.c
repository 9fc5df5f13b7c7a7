/* The fanout steering program (steer.c) run by a small classic-BPF
 * interpreter written for this test (only the instructions steer.c emits;
 * anything else fails the test). What must hold: for IPv4 and IPv6, the
 * client->VIP packet and the backend's answer return the same value, and
 * it is disp_steer_mix(client port); non-TCP goes to 0. Packets are built
 * with raw_tcp_build (raw-parse), as the kernel's network header sees them. */
#include <criterion/criterion.h>
#include <linux/filter.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>

#include "engine/worker.h"

/* Loads n bytes big-endian at network-header offset off; false if out of
 * the packet (the kernel then ends the program with 0). */
static bool load(const uint8_t *pkt, size_t len, int64_t k, unsigned n,
		 uint32_t *v)
{
	int64_t off = k - SKF_NET_OFF;

	if (k >= 0 || off < 0 || (size_t)off + n > len)
		return false;
	*v = 0;
	for (unsigned i = 0; i < n; i++)
		*v = *v << 8 | pkt[off + i];
	return true;
}

static uint32_t run(const struct sock_filter *f, int n, const uint8_t *pkt,
		    size_t len, uint16_t proto)
{
	uint32_t A = 0, X = 0, v;

	for (int pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];
		int64_t k = (int32_t)i->k;

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert_eq(k, SKF_AD_OFF + SKF_AD_PROTOCOL);
			A = proto;
			break;
		case BPF_LD | BPF_B | BPF_ABS:
		case BPF_LD | BPF_H | BPF_ABS:
			if (!load(pkt, len, k, BPF_SIZE(i->code) == BPF_B ? 1 : 2, &A))
				return 0;
			break;
		case BPF_LD | BPF_H | BPF_IND:
			if (!load(pkt, len, k + X, 2, &A))
				return 0;
			break;
		case BPF_LDX | BPF_B | BPF_MSH:
			if (!load(pkt, len, k, 1, &v))
				return 0;
			X = 4 * (v & 0xf);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += A == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JA:
			pc += (int)i->k;
			break;
		case BPF_ALU | BPF_MUL | BPF_K:
			A *= i->k;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			A >>= i->k;
			break;
		case BPF_RET | BPF_A:
			return A;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			cr_assert_fail("instruction %#x not expected", i->code);
		}
		cr_assert_lt(pc + 1, n + 1, "jump out of the program");
	}
	cr_assert_fail("fell off the end");
	return 0;
}

static size_t build(uint8_t *buf, int family, const uint8_t *s, uint16_t sp,
		    const uint8_t *d, uint16_t dp)
{
	struct raw_tcp_spec t = { .family = family, .saddr = s, .daddr = d,
				  .sport = sp, .dport = dp, .flags = RAW_TCP_SYN };
	int n = raw_tcp_build(buf, 256, &t, NULL);

	cr_assert_gt(n, 0);
	return (size_t)n;
}

static void both_directions(int family, const uint16_t *vports, unsigned nv,
			    uint16_t vport, uint16_t bport)
{
	static const uint8_t c4[4] = { 10, 0, 1, 2 }, v4[4] = { 10, 0, 100, 1 },
			     b4[4] = { 10, 0, 11, 2 };
	static const uint8_t c6[16] = { 0xfd, 0, 0, 1, [15] = 2 },
			     v6[16] = { 0xfd, 0, 1, 0, [15] = 1 },
			     b6[16] = { 0xfd, 0, 0, 0x11, [15] = 2 };
	const uint8_t *c = family == AF_INET ? c4 : c6, *v = family == AF_INET ? v4 : v6,
		      *b = family == AF_INET ? b4 : b6;
	uint16_t proto = family == AF_INET ? 0x0800 : 0x86dd;
	struct sock_filter prog[19 + 2 * 64];
	uint8_t pkt[256];
	int n = disp_steer_prog(vports, nv, prog, 19 + 2 * 64);

	cr_assert_gt(n, 0);
	for (uint32_t cport = 32768; cport < 61000; cport += 97) {
		size_t l1 = build(pkt, family, c, (uint16_t)cport, v, vport);
		uint32_t fwd = run(prog, n, pkt, l1, proto);
		size_t l2 = build(pkt, family, b, bport, c, (uint16_t)cport);
		uint32_t rev = run(prog, n, pkt, l2, proto);

		cr_assert_eq(fwd, disp_steer_mix((uint16_t)cport), "port %u", cport);
		cr_assert_eq(rev, fwd, "answer to port %u steers elsewhere", cport);
	}
}

Test(steer, ipv4_both_directions_meet)
{
	const uint16_t vp[] = { 80 };

	both_directions(AF_INET, vp, 1, 80, 8080);
}

Test(steer, ipv6_both_directions_meet)
{
	const uint16_t vp[] = { 443, 80 };

	both_directions(AF_INET6, vp, 2, 80, 80);
}

Test(steer, even_ports_spread_over_two_workers)
{
	unsigned w[2] = { 0, 0 };

	/* Linux connect() uses even ports only. */
	for (uint32_t p = 32768; p < 61000; p += 2)
		w[disp_steer_mix((uint16_t)p) % 2]++;
	cr_assert_gt(w[0], w[1] / 2);
	cr_assert_gt(w[1], w[0] / 2);
}

Test(steer, not_tcp_goes_to_zero)
{
	const uint16_t vp[] = { 80 };
	struct sock_filter prog[21];
	uint8_t udp[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17 };
	int n = disp_steer_prog(vp, 1, prog, 21);

	cr_assert_gt(n, 0);
	cr_assert_eq(run(prog, n, udp, sizeof(udp), 0x0800), 0);
	cr_assert_eq(run(prog, n, udp, sizeof(udp), 0x0806), 0, "ARP");
	cr_assert_eq(disp_steer_prog(vp, 1, prog, 20), -EINVAL, "too small");
	cr_assert_eq(disp_steer_prog(vp, 0, prog, 21), -EINVAL, "no ports");
}
