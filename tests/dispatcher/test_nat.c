/* nat mode, packet in -> packets out, on a detached engine (no sockets;
 * the worker's tx_hook collects what it would send). Inputs are built with
 * raw_tcp_build; every output must parse, carry right IPv4 and TCP
 * checksums, and have exactly the addresses and ports nat mode promises. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "backend/backend.h"
#include "conf/config.h"
#include <splicekit/raw_csum.h>
#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>

#include "engine/worker.h"
#include "modes.h"

static const uint8_t CLI[4] = { 10, 0, 1, 2 }, VIP[4] = { 10, 0, 100, 1 },
		     BE1[4] = { 10, 0, 11, 2 }, BE2[4] = { 10, 0, 12, 2 },
		     SNAT[4] = { 10, 0, 200, 1 };

struct out {
	uint8_t pkt[16][1600];
	size_t len[16];
	unsigned n;
};

static struct disp_config *cfg;
static struct disp_pool *pool;
static struct disp_engine *eng;
static struct disp_worker *w;
static struct out sent;

static int hook(void *arg, int family, const uint8_t *pkt, size_t len)
{
	struct out *o = arg;

	cr_assert_eq(family, AF_INET);
	cr_assert_leq(len, 1500, "nothing over the MTU leaves");
	cr_assert_lt(o->n, 16);
	memcpy(o->pkt[o->n], pkt, len);
	o->len[o->n++] = len;
	return 0;
}

static void start_text(const char *text)
{
	char err[256];

	cr_assert_eq(disp_config_parse(text, strlen(text), "t.conf", &cfg, err,
				       sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	cr_assert_eq(disp_engine_create_detached(&eng, cfg, pool, spliced_modes, err, sizeof(err)),
		     0, "%s", err);
	w = &eng->w[0];
	w->tx_hook = hook;
	w->tx_hook_arg = &sent;
	memset(&sent, 0, sizeof(sent));
}

static void start(const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "service web {\n vip 10.0.100.1:80\n client-interface c0\n"
		 " server-interface s0\n backend 10.0.11.2:8080\n"
		 " backend 10.0.12.2:8080\n max-flows 2\n%s}\n", extra);
	start_text(text);
}

static void stop(void)
{
	disp_engine_destroy(eng);
	disp_pool_free(pool);
	disp_config_free(cfg);
}

/* Feeds one segment; returns how many packets came out. */
static unsigned feed(const uint8_t *s, uint16_t sp, const uint8_t *d, uint16_t dp,
		     uint8_t flags, uint32_t seq, size_t plen, uint32_t frame_flags)
{
	static uint8_t buf[70000], data[66000];
	struct raw_tcp_spec t = { .family = AF_INET, .saddr = s, .daddr = d,
				  .sport = sp, .dport = dp, .seq = seq, .ack = 1,
				  .flags = flags, .window = 1000, .payload = data,
				  .payload_len = plen };
	struct disp_frame fr;
	unsigned before = sent.n;
	int n;

	memset(data, 'x', plen);
	n = raw_tcp_build(buf, sizeof(buf), &t, NULL);
	cr_assert_gt(n, 0);
	fr = (struct disp_frame){ .data = buf, .len = (uint32_t)n,
				  .link = RAW_LINK_IP, .flags = frame_flags };
	disp_engine_input(w, &fr, 1000);
	return sent.n - before;
}

/* Checks output i: well-formed, checksums right, the given endpoints. */
static struct raw_pkt check(unsigned i, const uint8_t *s, uint16_t sp,
			    const uint8_t *d, uint16_t dp)
{
	struct raw_pkt p;

	cr_assert_eq(raw_parse_ip(&p, sent.pkt[i], sent.len[i]), 0);
	cr_assert(p.is_tcp);
	cr_assert(raw_ipv4_csum_ok(&p), "IPv4 header checksum");
	cr_assert(raw_tcp_csum_ok(&p), "TCP checksum");
	cr_assert_eq(memcmp(p.saddr, s, 4), 0, "source address");
	cr_assert_eq(memcmp(p.daddr, d, 4), 0, "destination address");
	cr_assert_eq(p.sport, sp);
	cr_assert_eq(p.dport, dp);
	return p;
}

#define SYN RAW_TCP_SYN
#define ACK RAW_TCP_ACK

Test(nat, transparent_both_directions_and_round_robin)
{
	struct raw_pkt p;

	start("");
	cr_assert_eq(feed(CLI, 40000, VIP, 80, SYN, 111, 0, 0), 1);
	p = check(0, CLI, 40000, BE1, 8080);
	cr_assert_eq(p.seq, 111, "nat mode never touches sequence numbers");
	cr_assert_eq(feed(BE1, 8080, CLI, 40000, SYN | ACK, 999, 0, 0), 1);
	check(1, VIP, 80, CLI, 40000);
	cr_assert_eq(feed(CLI, 40000, VIP, 80, ACK, 112, 100, 0), 1);
	check(2, CLI, 40000, BE1, 8080);
	/* The next client goes to the second backend. */
	cr_assert_eq(feed(CLI, 40001, VIP, 80, SYN, 5, 0, 0), 1);
	check(3, CLI, 40001, BE2, 8080);
	stop();
}

Test(nat, source_nat_rewrites_the_client_side_too)
{
	start(" source-nat 10.0.200.1\n");
	cr_assert_eq(feed(CLI, 40000, VIP, 80, SYN, 1, 0, 0), 1);
	check(0, SNAT, 40000, BE1, 8080);
	cr_assert_eq(feed(BE1, 8080, SNAT, 40000, SYN | ACK, 7, 0, 0), 1);
	check(1, VIP, 80, CLI, 40000);
	stop();
}

Test(nat, full_table_answers_rst_and_counts)
{
	struct raw_pkt p;
	struct disp_engine_stats st;

	start("");
	cr_assert_eq(feed(CLI, 1001, VIP, 80, SYN, 1, 0, 0), 1);
	cr_assert_eq(feed(CLI, 1002, VIP, 80, SYN, 1, 0, 0), 1);
	cr_assert_eq(feed(CLI, 1003, VIP, 80, SYN, 500, 0, 0), 1);
	p = check(2, VIP, 80, CLI, 1003);
	cr_assert_eq(p.tcp_flags, RAW_TCP_RST | RAW_TCP_ACK);
	cr_assert_eq(p.ack, 501, "RST acknowledges the SYN");
	/* Existing flows still pass. */
	cr_assert_eq(feed(BE1, 8080, CLI, 1001, SYN | ACK, 9, 0, 0), 1);
	check(3, VIP, 80, CLI, 1001);
	disp_engine_stats(eng, &st);
	cr_assert_eq(st.refused_full, 1);
	cr_assert_eq(st.rst_sent, 1);
	cr_assert_eq(st.flows_created, 2);
	stop();
}

Test(nat, no_backend_up_answers_rst)
{
	struct disp_bset *bs;
	struct disp_engine_stats st;

	start("");
	bs = disp_pool_bset(pool, 0);
	for (size_t i = 0; i < disp_bset_count(bs); i++)
		disp_backend_set_admin(disp_bset_get(bs, i), DISP_BE_DOWN);
	cr_assert_eq(feed(CLI, 1001, VIP, 80, SYN, 1, 0, 0), 1);
	cr_assert_eq(check(0, VIP, 80, CLI, 1001).tcp_flags, RAW_TCP_RST | RAW_TCP_ACK);
	disp_engine_stats(eng, &st);
	cr_assert_eq(st.refused_nobackend, 1);
	stop();
}

Test(nat, backend_reset_of_the_syn_holds_it_down)
{
	struct disp_engine_stats st;
	struct disp_backend *be1;

	start("");
	be1 = disp_bset_get(disp_pool_bset(pool, 0), 0);
	feed(CLI, 1001, VIP, 80, SYN, 100, 0, 0);
	check(0, CLI, 1001, BE1, 8080);
	cr_assert_eq(feed(BE1, 8080, CLI, 1001, RAW_TCP_RST | ACK, 0, 0, 0), 1);
	check(1, VIP, 80, CLI, 1001);
	cr_assert_eq(disp_backend_state(be1), DISP_BE_DOWN, "held by passive health");
	cr_assert_eq(disp_backend_passive_downs(be1), 1);
	/* Every next client goes to BE2 while BE1 is held (round-robin
	 * would give the second one BE2 anyway, so the pick is asked too). */
	cr_assert_eq(feed(CLI, 1002, VIP, 80, SYN, 5, 0, 0), 1);
	check(sent.n - 1, CLI, 1002, BE2, 8080);
	/* (max-flows 2 here: the scheduler is asked directly.) */
	for (int i = 0; i < 4; i++)
		cr_assert_neq(disp_bset_pick(disp_pool_bset(pool, 0), NULL), be1);
	/* A reset of an established flow is not a refusal. */
	feed(BE2, 8080, CLI, 1002, SYN | ACK, 900, 0, 0);
	feed(CLI, 1002, VIP, 80, ACK, 6, 0, 0);
	feed(BE2, 8080, CLI, 1002, RAW_TCP_RST, 901, 0, 0);
	cr_assert_eq(disp_backend_passive_downs(disp_bset_get(disp_pool_bset(pool, 0), 1)), 0);
	disp_engine_stats(eng, &st);
	cr_assert_eq(st.be_passive_down, 1);
	stop();
}

Test(nat, stray_and_foreign_packets_are_not_forwarded)
{
	struct disp_engine_stats st;
	static const uint8_t OTHER[4] = { 10, 0, 50, 5 };

	start("");
	cr_assert_eq(feed(CLI, 1001, VIP, 80, ACK, 1, 10, 0), 0, "no flow, not a SYN");
	cr_assert_eq(feed(CLI, 1001, VIP, 81, SYN, 1, 0, 0), 0, "not a VIP port");
	cr_assert_eq(feed(CLI, 1001, OTHER, 80, SYN, 1, 0, 0), 0, "not a VIP");
	cr_assert_eq(feed(BE1, 8080, CLI, 1001, SYN | ACK, 1, 0, 0), 0, "no flow");
	disp_engine_stats(eng, &st);
	cr_assert_eq(st.dropped_noflow, 1);
	cr_assert_eq(st.ignored, 3);
	cr_assert_eq(st.flows_created, 0);
	stop();
}

Test(nat, corrupt_checksum_is_dropped_partial_is_completed)
{
	static uint8_t buf[200];
	struct raw_tcp_spec t = { .family = AF_INET, .saddr = CLI, .daddr = VIP,
				  .sport = 1001, .dport = 80, .flags = SYN };
	struct disp_frame fr = { .data = buf, .link = RAW_LINK_IP };
	struct raw_pkt p;
	struct disp_engine_stats st;
	int n;

	start("");
	n = raw_tcp_build(buf, sizeof(buf), &t, &p);
	buf[p.l4_off + 16] ^= 0x55; /* damage the TCP checksum */
	fr.len = (uint32_t)n;
	disp_engine_input(w, &fr, 1);
	cr_assert_eq(sent.n, 0, "corrupt segment forwarded");
	disp_engine_stats(eng, &st);
	cr_assert_eq(st.csum_bad, 1);

	/* A CHECKSUM_PARTIAL frame holds the pseudo-header sum only. */
	n = raw_tcp_build(buf, sizeof(buf), &t, &p);
	buf[p.l4_off + 16] = 0;
	buf[p.l4_off + 17] = 0;
	{
		uint16_t ps = (uint16_t)~raw_csum_fold(
			raw_csum_pseudo4(CLI, VIP, 6, p.l4_len));
		buf[p.l4_off + 16] = (uint8_t)(ps >> 8);
		buf[p.l4_off + 17] = (uint8_t)ps;
	}
	fr.flags = RAW_FRAME_CSUM_PARTIAL;
	disp_engine_input(w, &fr, 2);
	cr_assert_eq(sent.n, 1);
	check(0, CLI, 1001, BE1, 8080);
	stop();
}

Test(nat, super_packet_leaves_in_mtu_segments)
{
	struct raw_pkt p;
	uint32_t seq = 1001;

	start("");
	cr_assert_eq(feed(CLI, 1001, VIP, 80, SYN, 1000, 0, 0), 1);
	cr_assert_eq(feed(CLI, 1001, VIP, 80, ACK | RAW_TCP_PSH, 1001, 4000,
			  RAW_FRAME_BIG), 3, "4000 bytes at MSS 1460");
	for (unsigned i = 1; i < 4; i++) {
		p = check(i, CLI, 1001, BE1, 8080);
		cr_assert_eq(p.seq, seq);
		seq += p.payload_len;
	}
	cr_assert_eq(seq, 1001 + 4000);
	stop();
}

Test(nat, closed_connection_releases_its_backend_count)
{
	struct disp_backend *be;

	start("");
	be = disp_bset_get(disp_pool_bset(pool, 0), 0);
	feed(CLI, 1001, VIP, 80, SYN, 100, 0, 0);
	cr_assert_eq(disp_backend_conns(be), 1);
	feed(BE1, 8080, CLI, 1001, SYN | ACK, 500, 0, 0);
	feed(CLI, 1001, VIP, 80, RAW_TCP_RST, 101, 0, 0);
	cr_assert_eq(disp_backend_conns(be), 0, "released at RST, not after linger");
	cr_assert_eq(disp_backend_total(be), 1);
	stop();
}

Test(nat, each_service_keeps_its_own_flow_bound)
{
	struct disp_engine_stats st;

	start_text("service a {\n vip 10.0.100.1:80\n client-interface c0\n"
		   " backend 10.0.11.2:8080\n max-flows 1\n}\n"
		   "service b {\n vip 10.0.100.1:443\n client-interface c0\n"
		   " backend 10.0.12.2:8443\n max-flows 1\n}\n");
	cr_assert_eq(feed(CLI, 1001, VIP, 80, SYN, 1, 0, 0), 1);
	check(0, CLI, 1001, BE1, 8080);
	cr_assert_eq(feed(CLI, 1002, VIP, 80, SYN, 1, 0, 0), 1);
	cr_assert_eq(check(1, VIP, 80, CLI, 1002).tcp_flags, RAW_TCP_RST | RAW_TCP_ACK,
		     "service a is full");
	cr_assert_eq(feed(CLI, 1003, VIP, 443, SYN, 1, 0, 0), 1);
	check(2, CLI, 1003, BE2, 8443);
	/* Service a's flow ends: a admits again. */
	cr_assert_eq(feed(CLI, 1001, VIP, 80, RAW_TCP_RST, 2, 0, 0), 1);
	disp_flow_expire(w->ft, 1000000, 0);
	cr_assert_eq(feed(CLI, 1004, VIP, 80, SYN, 1, 0, 0), 1);
	check(4, CLI, 1004, BE1, 8080);
	disp_engine_stats(eng, &st);
	cr_assert_eq(st.refused_full, 1);
	cr_assert_eq(st.flow_capacity, 2);
	stop();
}

Test(nat, statistics_module_counts_retransmissions_from_events)
{
	struct disp_engine_stats st;

	start("");
	feed(CLI, 1001, VIP, 80, SYN, 100, 0, 0);
	feed(CLI, 1001, VIP, 80, SYN, 100, 0, 0); /* SYN again */
	feed(BE1, 8080, CLI, 1001, SYN | ACK, 500, 0, 0);
	feed(CLI, 1001, VIP, 80, ACK, 101, 0, 0);
	feed(CLI, 1001, VIP, 80, ACK, 101, 50, 0);
	feed(CLI, 1001, VIP, 80, ACK, 101, 50, 0); /* data again */
	feed(BE1, 8080, CLI, 1001, RAW_TCP_RST, 501, 0, 0);
	cr_assert_eq(sent.n, 7, "retransmissions are forwarded too");
	disp_engine_stats(eng, &st);
	cr_assert_eq(st.retransmits, 0, "batched: nothing before the flush");
	disp_ev_flush(w->bus);
	disp_engine_stats(eng, &st);
	cr_assert_eq(st.retransmits, 2);
	cr_assert_eq(st.resets, 1);
	stop();
}

Test(nat, each_service_keeps_its_own_timeouts)
{
	struct disp_backend *ba, *bb;

	start_text("service a {\n vip 10.0.100.1:80\n client-interface c0\n"
		   " backend 10.0.11.2:8080\n timeout syn 1s\n}\n"
		   "service b {\n vip 10.0.100.1:443\n client-interface c0\n"
		   " backend 10.0.12.2:8443\n timeout syn 5s\n}\n");
	ba = disp_bset_get(disp_pool_bset(pool, 0), 0);
	bb = disp_bset_get(disp_pool_bset(pool, 1), 0);
	feed(CLI, 1001, VIP, 80, SYN, 1, 0, 0);   /* at 1000 ms */
	feed(CLI, 1002, VIP, 443, SYN, 1, 0, 0);
	cr_assert_eq(disp_flow_count(w->ft), 2);
	disp_flow_expire(w->ft, 1999, 0);
	cr_assert_eq(disp_flow_count(w->ft), 2);
	disp_flow_expire(w->ft, 2000, 0);
	cr_assert_eq(disp_flow_count(w->ft), 1, "service a's half-open flow left");
	cr_assert_eq(disp_backend_conns(ba), 0);
	cr_assert_eq(disp_backend_conns(bb), 1);
	disp_flow_expire(w->ft, 6000, 0);
	cr_assert_eq(disp_flow_count(w->ft), 0);
	stop();
}
