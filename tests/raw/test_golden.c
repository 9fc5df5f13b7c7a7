/* Golden tables: real kernel packets parsed and rewritten, checked against
 * tshark's dissection and against independently computed bytes. The table
 * and how it was made: tests/raw/golden_pkts.h, capture-golden.sh. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/socket.h>

#include "helpers.h"
#include "splicekit/raw_csum.h"
#include "splicekit/raw_pkt.h"
#include "splicekit/raw_rewrite.h"
#include "splicekit/raw_tcpopt.h"

struct golden {
	int frame, stream, vlan, family;
	const char *src, *dst;
	int ttl, sport, dport;
	uint32_t seq, ack;
	int flags, window, thl, paylen, mss, ws, sack_perm, ts;
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[8];
	int tcp_csum_good;
	const char *hex;
};

enum rw_op { RW_SADDR, RW_DADDR, RW_SPORT, RW_DPORT, RW_SEQ_ADD, RW_ACK_ADD,
	     RW_WINDOW, RW_MSS_CLAMP, RW_TS, RW_SACK_ADD };

struct golden_rw {
	const char *name;
	enum rw_op op;
	const char *addr;
	uint32_t a, b;
	const char *in, *out;
};

#include "golden_pkts.h"

#define NGOLDEN (sizeof(golden_pkts) / sizeof(golden_pkts[0]))
#define NRW (sizeof(golden_rw) / sizeof(golden_rw[0]))

static void check_fields(const struct golden *g, const struct raw_pkt *p)
{
	uint8_t a[16] = { 0 };
	int fam = g->family == 4 ? AF_INET : AF_INET6;
	unsigned alen = g->family == 4 ? 4 : 16;

	cr_assert_eq(p->family, fam, "frame %d family", g->frame);
	cr_assert(p->is_tcp, "frame %d tcp", g->frame);
	cr_assert_eq(inet_pton(fam, g->src, a), 1);
	cr_assert_arr_eq(p->saddr, a, alen, "frame %d src", g->frame);
	cr_assert_eq(inet_pton(fam, g->dst, a), 1);
	cr_assert_arr_eq(p->daddr, a, alen, "frame %d dst", g->frame);
	cr_assert_eq(p->ttl, g->ttl, "frame %d ttl", g->frame);
	cr_assert_eq(p->sport, g->sport, "frame %d sport", g->frame);
	cr_assert_eq(p->dport, g->dport, "frame %d dport", g->frame);
	cr_assert_eq(p->seq, g->seq, "frame %d seq", g->frame);
	cr_assert_eq(p->ack, g->ack, "frame %d ack", g->frame);
	cr_assert_eq(p->tcp_flags, g->flags, "frame %d flags", g->frame);
	cr_assert_eq(p->window, g->window, "frame %d window", g->frame);
	cr_assert_eq(p->tcp_hlen, g->thl, "frame %d thl", g->frame);
	cr_assert_eq(p->payload_len, (uint32_t)g->paylen, "frame %d paylen", g->frame);
	cr_assert_eq(p->l4_proto, 6);
	cr_assert_eq(p->opt_len, g->thl - 20);
	cr_assert_eq(p->payload_off + p->payload_len, p->len, "frame %d end", g->frame);
	cr_assert_eq(raw_tcp_csum_ok(p), g->tcp_csum_good, "frame %d csum", g->frame);
	if (g->family == 4)
		cr_assert(raw_ipv4_csum_ok(p), "frame %d ip csum", g->frame);
}

static void check_opts(const struct golden *g, struct raw_pkt *p)
{
	struct raw_tcpopts o;

	cr_assert_eq(raw_pkt_tcpopts(p, &o), 0, "frame %d: %s", g->frame,
		     raw_reason_str(p->reason));
	cr_assert_eq(!!(o.present & RAW_TCPOPT_F_MSS), g->mss >= 0, "frame %d", g->frame);
	if (g->mss >= 0)
		cr_assert_eq(o.mss, g->mss);
	cr_assert_eq(!!(o.present & RAW_TCPOPT_F_WSCALE), g->ws >= 0);
	if (g->ws >= 0)
		cr_assert_eq(o.wscale, g->ws);
	cr_assert_eq(!!(o.present & RAW_TCPOPT_F_SACK_PERM), g->sack_perm);
	cr_assert_eq(!!(o.present & RAW_TCPOPT_F_TS), g->ts);
	if (g->ts) {
		cr_assert_eq(o.tsval, g->tsval, "frame %d tsval", g->frame);
		cr_assert_eq(o.tsecr, g->tsecr, "frame %d tsecr", g->frame);
	}
	cr_assert_eq(o.sack_n, g->nsack, "frame %d nsack", g->frame);
	for (int i = 0; i < g->nsack; i++) {
		cr_assert_eq(o.sack[i].left, g->sack[2 * i]);
		cr_assert_eq(o.sack[i].right, g->sack[2 * i + 1]);
	}
	cr_assert_eq(o.n_unknown, 0);
}

Test(golden, table_is_real)
{
	int v4 = 0, v6 = 0, vlan = 0, sack = 0, syn = 0;

	for (size_t i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden_pkts[i];
		v4 += g->family == 4;
		v6 += g->family == 6;
		vlan += g->vlan >= 0;
		sack += g->nsack > 0;
		syn += (g->flags & 0x02) != 0;
	}
	cr_log_info("golden: %d IPv4, %d IPv6, %d VLAN, %d with SACK, %d SYN/SYN-ACK",
		    v4, v6, vlan, sack, syn);
	cr_assert(v4 > 0 && v6 > 0 && vlan > 0 && sack > 0 && syn >= 4);
}

Test(golden, parse_ethernet)
{
	for (size_t i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden_pkts[i];
		uint8_t buf[2048];
		struct raw_pkt p;
		int n = unhex(g->hex, buf, sizeof(buf));

		cr_assert_gt(n, 0);
		cr_assert_eq(raw_parse_eth(&p, buf, (size_t)n), 0, "frame %d: %s",
			     g->frame, raw_reason_str(p.reason));
		cr_assert_eq(p.reason, RAW_R_OK);
		cr_assert_eq(p.has_vlan, g->vlan >= 0, "frame %d vlan", g->frame);
		if (g->vlan >= 0)
			cr_assert_eq(p.vlan_tci & 0x0fff, g->vlan);
		cr_assert_eq(p.l3_off, g->vlan >= 0 ? 18u : 14u);
		cr_assert_eq(p.len, (uint32_t)n);
		check_fields(g, &p);
		check_opts(g, &p);
	}
}

/* Raw sockets hand us the IP datagram; so do cooked captures after 16
 * bytes. Same fields either way. */
Test(golden, parse_ip_and_sll)
{
	for (size_t i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden_pkts[i];
		uint8_t buf[2048], sll[2048];
		struct raw_pkt p;
		int n = unhex(g->hex, buf, sizeof(buf));
		size_t l3 = g->vlan >= 0 ? 18 : 14;

		cr_assert_eq(raw_parse_ip(&p, buf + l3, (size_t)n - l3), 0,
			     "frame %d: %s", g->frame, raw_reason_str(p.reason));
		cr_assert_eq(p.l3_off, 0);
		check_fields(g, &p);
		memset(sll, 0, 14);
		sll[14] = g->family == 4 ? 0x08 : 0x86;
		sll[15] = g->family == 4 ? 0x00 : 0xdd;
		memcpy(sll + 16, buf + l3, (size_t)n - l3);
		cr_assert_eq(raw_parse(&p, sll, (size_t)n - l3 + 16, RAW_LINK_SLL), 0);
		cr_assert_eq(p.l3_off, 16);
		check_fields(g, &p);
	}
}

/* Short frames arrive padded to 60 bytes by real NICs; the padding must
 * be trimmed and not counted as payload or checksummed. */
Test(golden, link_padding_trimmed)
{
	for (size_t i = 0; i < NGOLDEN; i++) {
		const struct golden *g = &golden_pkts[i];
		uint8_t buf[2048];
		struct raw_pkt p;
		int n = unhex(g->hex, buf, sizeof(buf));

		memset(buf + n, 0xa5, 24);
		cr_assert_eq(raw_parse_eth(&p, buf, (size_t)n + 24), 0);
		cr_assert_eq(p.len, (uint32_t)n);
		cr_assert_eq(p.cap, (uint32_t)n + 24);
		check_fields(g, &p);
	}
}

static int apply(const struct golden_rw *c, struct raw_pkt *p)
{
	struct raw_tcpopts o;
	uint8_t a[16];
	int r = raw_pkt_tcpopts(p, &o);

	cr_assert_eq(r, 0, "%s: options: %s", c->name, raw_reason_str(p->reason));
	switch (c->op) {
	case RW_SADDR:
	case RW_DADDR:
		cr_assert_eq(inet_pton(p->family, c->addr, a), 1);
		return c->op == RW_SADDR ? raw_rw_saddr(p, a) : raw_rw_daddr(p, a);
	case RW_SPORT: return raw_rw_sport(p, (uint16_t)c->a);
	case RW_DPORT: return raw_rw_dport(p, (uint16_t)c->a);
	case RW_SEQ_ADD: return raw_rw_seq_add(p, c->a);
	case RW_ACK_ADD: return raw_rw_ack_add(p, c->a);
	case RW_WINDOW: return raw_rw_window(p, (uint16_t)c->a);
	case RW_MSS_CLAMP:
		r = raw_rw_mss_clamp(p, &o, (uint16_t)c->a);
		return r < 0 ? r : 0;
	case RW_TS: return raw_rw_ts(p, &o, c->a, c->b);
	case RW_SACK_ADD: return raw_rw_sack_add(p, &o, c->a);
	}
	return -1;
}

Test(golden, rewrite_exact_bytes)
{
	for (size_t i = 0; i < NRW; i++) {
		const struct golden_rw *c = &golden_rw[i];
		uint8_t buf[2048], want[2048];
		struct raw_pkt p, q;
		int n = unhex(c->in, buf, sizeof(buf));
		int m = unhex(c->out, want, sizeof(want));

		cr_assert_eq(n, m);
		cr_assert_eq(raw_parse_eth(&p, buf, (size_t)n), 0);
		cr_assert_eq(apply(c, &p), 0, "%s", c->name);
		for (int k = 0; k < n; k++)
			cr_assert_eq(buf[k], want[k], "%s: byte %d is %02x, want %02x",
				     c->name, k, buf[k], want[k]);
		/* The view follows the bytes. */
		cr_assert_eq(raw_parse_eth(&q, buf, (size_t)n), 0);
		cr_assert_eq(q.seq, p.seq, "%s", c->name);
		cr_assert_eq(q.ack, p.ack);
		cr_assert_eq(q.sport, p.sport);
		cr_assert_eq(q.dport, p.dport);
		cr_assert_eq(q.window, p.window);
		cr_assert_arr_eq(q.saddr, p.saddr, 16);
		cr_assert_arr_eq(q.daddr, p.daddr, 16);
	}
}
