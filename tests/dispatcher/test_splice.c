/* splice mode, packet in -> packets out, on a detached engine (no sockets:
 * the worker's tx_hook collects what it would send). Walks connections
 * through every phase and checks each segment spliced writes or
 * translates: addresses, ports, sequence and acknowledgement numbers,
 * SACK blocks, timestamps, window scaling, and both checksums. The peers
 * are simulated here because the point is the exact bytes; the netns
 * suite runs the same paths against real kernels, nginx and OpenSSL. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend/backend.h"
#include "conf/config.h"
#include <splicekit/raw_csum.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>
#include <splicekit/raw_tcpopt.h>

#include "splice/splice_int.h"
#include "modes.h"
#include "splice/splice_mode.h"

static const uint8_t CLI[4] = { 10, 0, 1, 2 }, VIP[4] = { 10, 0, 100, 1 },
		     BE1[4] = { 10, 0, 11, 2 }, BE2[4] = { 10, 0, 12, 2 },
		     SNAT[4] = { 10, 0, 200, 1 };

#define NOUT 512
struct out {
	uint8_t pkt[NOUT][1600];
	size_t len[NOUT];
	unsigned n;
};

static struct disp_config *cfg;
static struct disp_pool *pool;
static struct disp_engine *eng;
static struct disp_worker *w;
static struct out sent;
static uint64_t now = 1000000;

static int hook(void *arg, int family, const uint8_t *pkt, size_t len)
{
	struct out *o = arg;

	cr_assert_eq(family, AF_INET);
	cr_assert_leq(len, 1500, "nothing over the MTU leaves");
	if (o->n == NOUT)
		o->n = 0; /* floods: only the newest matter */
	memcpy(o->pkt[o->n], pkt, len);
	o->len[o->n++] = len;
	return 0;
}

static void start(const char *extra)
{
	char text[1024], err[256];

	snprintf(text, sizeof(text),
		 "service tls {\n vip 10.0.100.1:443\n mode splice\n"
		 " client-interface c0\n server-interface s0\n"
		 " backend 10.0.11.2:8443\n backend 10.0.12.2:8443\n%s}\n",
		 extra);
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

static void stop(void)
{
	disp_engine_destroy(eng);
	disp_pool_free(pool);
	disp_config_free(cfg);
}

struct seg {
	const uint8_t *s, *d;
	uint16_t sp, dp;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	const uint8_t *opts;
	size_t olen;
	const void *data;
	size_t dlen;
};

/* Feeds one segment at `now`; returns how many packets came out. */
static unsigned feed(const struct seg *g)
{
	static uint8_t buf[70000];
	struct raw_tcp_spec t = {
		.family = AF_INET, .saddr = g->s, .daddr = g->d, .sport = g->sp,
		.dport = g->dp, .seq = g->seq, .ack = g->ack, .flags = g->flags,
		.window = g->win ? g->win : 1000, .opts = g->opts,
		.opts_len = g->olen, .payload = g->data, .payload_len = g->dlen,
	};
	struct disp_frame fr;
	unsigned before = sent.n;
	int n = raw_tcp_build(buf, sizeof(buf), &t, NULL);

	cr_assert_gt(n, 0);
	fr = (struct disp_frame){ .data = buf, .len = (uint32_t)n,
				  .link = RAW_LINK_IP };
	disp_engine_input(w, &fr, now);
	return sent.n - before;
}

/* Output i: well-formed, both checksums right, the given endpoints. */
static struct raw_pkt check(unsigned i, const uint8_t *s, uint16_t sp,
			    const uint8_t *d, uint16_t dp, struct raw_tcpopts *o)
{
	struct raw_pkt p;

	cr_assert_lt(i, sent.n);
	cr_assert_eq(raw_parse_ip(&p, sent.pkt[i], sent.len[i]), 0);
	cr_assert(p.is_tcp);
	cr_assert(raw_ipv4_csum_ok(&p), "IPv4 header checksum of output %u", i);
	cr_assert(raw_tcp_csum_ok(&p), "TCP checksum of output %u", i);
	cr_assert_eq(memcmp(p.saddr, s, 4), 0, "source address of output %u", i);
	cr_assert_eq(memcmp(p.daddr, d, 4), 0, "destination of output %u", i);
	cr_assert_eq(p.sport, sp);
	cr_assert_eq(p.dport, dp);
	if (o)
		cr_assert_eq(raw_pkt_tcpopts(&p, o), 0);
	return p;
}

#define SYN RAW_TCP_SYN
#define ACK RAW_TCP_ACK
#define RST RAW_TCP_RST
#define FIN RAW_TCP_FIN
#define PSH RAW_TCP_PSH

static size_t syn_opts(uint8_t *b, uint16_t mss, int ws, uint32_t tsval,
		       uint32_t tsecr)
{
	int n = raw_tcpopt_build_syn(b, 40, mss, true, true, tsval, tsecr, ws);

	cr_assert_gt(n, 0);
	return (size_t)n;
}

/* A minimal TLS 1.2 ClientHello offering session ID 0x11 x 32. */
static size_t client_hello(uint8_t *b)
{
	size_t n = 0, body;

	b[n++] = 0x16; b[n++] = 3; b[n++] = 1; n += 2;   /* record */
	b[n++] = 1; n += 3;                               /* ClientHello */
	b[n++] = 3; b[n++] = 3;
	memset(b + n, 0x42, 32); n += 32;                 /* random */
	b[n++] = 32; memset(b + n, 0x11, 32); n += 32;    /* session ID */
	b[n++] = 0; b[n++] = 2; b[n++] = 0x00; b[n++] = 0x2f;
	b[n++] = 1; b[n++] = 0;                           /* compression */
	body = n - 9;
	b[3] = (uint8_t)((n - 5) >> 8); b[4] = (uint8_t)(n - 5);
	b[6] = (uint8_t)(body >> 16); b[7] = (uint8_t)(body >> 8); b[8] = (uint8_t)body;
	return n;
}

/* The state a test carries from one step to the next. */
struct conn {
	uint16_t cport;
	uint32_t c_isn, v_isn, s_isn;
	uint32_t hello_len;
	uint8_t hello[256];
};

/* Client SYN -> our SYN-ACK; client ACK -> nothing. */
static void handshake(struct conn *k)
{
	uint8_t o[40];
	struct raw_tcpopts so;
	struct raw_pkt p;
	size_t ol = syn_opts(o, 1460, 6, 7000, 0);
	unsigned at = sent.n;

	cr_assert_eq(feed(&(struct seg){ CLI, VIP, k->cport, 443, SYN, k->c_isn, 0,
					 64240, o, ol, NULL, 0 }), 1, "SYN -> SYN-ACK");
	p = check(at, VIP, 443, CLI, k->cport, &so);
	cr_assert_eq(p.tcp_flags, SYN | ACK);
	cr_assert_eq(p.ack, k->c_isn + 1);
	cr_assert(so.present & RAW_TCPOPT_F_WSCALE);
	cr_assert_eq(so.wscale, SPLICE_WSCALE);
	cr_assert(so.present & RAW_TCPOPT_F_TS);
	cr_assert_eq(so.tsecr, 7000, "TSecr echoes the client's TSval");
	cr_assert(so.present & RAW_TCPOPT_F_SACK_PERM);
	cr_assert_geq(p.window, 2 * 1460, "a ClientHello of 2 MSS fits");
	k->v_isn = p.seq;
	ol = splice_ts_opt(o, 7001, so.tsval);
	cr_assert_eq(feed(&(struct seg){ CLI, VIP, k->cport, 443, ACK, k->c_isn + 1,
					 k->v_isn + 1, 502, o, ol, NULL, 0 }), 0,
		     "the handshake's ACK is not answered");
}

/* Backend SYN-ACK (WS 9, TS 50000) -> replay of the hello. */
static void backend_accepts_to(struct conn *k, const uint8_t *be, const uint8_t *to,
			      unsigned at)
{
	uint8_t o[40];
	size_t ol = syn_opts(o, 1400, 9, 50000, 7002);
	struct raw_tcpopts ro;
	struct raw_pkt p;

	k->s_isn = 0x80000000u;
	cr_assert_eq(feed(&(struct seg){ be, to, 8443, k->cport, SYN | ACK, k->s_isn,
					 k->c_isn + 1, 65160, o, ol, NULL, 0 }), 1,
		     "SYN-ACK -> the replayed hello, in one segment");
	p = check(at, to, k->cport, be, 8443, &ro);
	cr_assert_eq(p.tcp_flags & (ACK | SYN), ACK);
	cr_assert_eq(p.seq, k->c_isn + 1, "replay starts at the client's first byte");
	cr_assert_eq(p.ack, k->s_isn + 1);
	cr_assert_eq(p.payload_len, k->hello_len);
	cr_assert_eq(memcmp(p.buf + p.payload_off, k->hello, k->hello_len), 0,
		     "the backend gets the client's exact bytes");
	cr_assert_eq(ro.tsecr, 50000, "TSecr: the backend's clock");
}

static void backend_accepts(struct conn *k, const uint8_t *be, unsigned at)
{
	backend_accepts_to(k, be, CLI, at);
}

Test(splice, full_path_translates_every_field)
{
	struct conn k = { .cport = 40000, .c_isn = 0xfffffff0u };
	uint8_t o[40];
	struct raw_tcpopts so, bo;
	struct raw_pkt p;
	size_t ol;
	unsigned at;
	uint32_t our_ts;

	start("");
	handshake(&k);
	/* The hello in two segments: each is ACKed, the second completes it
	 * and the backend leg opens with the client's ISN and options. */
	k.hello_len = (uint32_t)client_hello(k.hello);
	at = sent.n;
	ol = splice_ts_opt(o, 7002, 0);
	cr_assert_eq(feed(&(struct seg){ CLI, VIP, 40000, 443, ACK, k.c_isn + 1,
					 k.v_isn + 1, 502, o, ol, k.hello, 10 }), 1);
	p = check(at, VIP, 443, CLI, 40000, &so);
	cr_assert_eq(p.ack, k.c_isn + 11, "the first 10 bytes are ACKed");
	cr_assert_eq(so.tsecr, 7002);
	our_ts = so.tsval;
	cr_assert_eq(feed(&(struct seg){ CLI, VIP, 40000, 443, ACK | PSH, k.c_isn + 11,
					 k.v_isn + 1, 502, o, ol, k.hello + 10,
					 k.hello_len - 10 }), 2, "ACK + backend SYN");
	p = check(at + 1, VIP, 443, CLI, 40000, NULL);
	cr_assert_eq(p.ack, k.c_isn + 1 + k.hello_len);
	p = check(at + 2, CLI, 40000, BE1, 8443, &bo);
	cr_assert_eq(p.tcp_flags, SYN);
	cr_assert_eq(p.seq, k.c_isn, "backend SYN carries the client's ISN");
	cr_assert_eq(bo.mss, 1460);
	cr_assert_eq(bo.wscale, 6, "the client's window scale");
	cr_assert(bo.present & RAW_TCPOPT_F_SACK_PERM);
	cr_assert_eq(bo.tsval, 7002, "the client's latest TSval");

	at = sent.n;
	backend_accepts(&k, BE1, at);
	cr_assert_eq(w->st.splice_bound, 1);

	/* S->C: seq shifted into our space, TSval onto the clock the client
	 * saw (strictly above what we sent), window rescaled 9 -> 7. */
	at = sent.n;
	ol = splice_ts_opt(o, 50010, 7002);
	cr_assert_eq(feed(&(struct seg){ BE1, CLI, 8443, 40000, ACK, k.s_isn + 1,
					 k.c_isn + 1 + (uint32_t)k.hello_len, 100, o,
					 ol, "HELLO", 5 }), 1);
	p = check(at, VIP, 443, CLI, 40000, &so);
	cr_assert_eq(p.seq, k.v_isn + 1, "server bytes continue our sequence");
	cr_assert_eq(p.ack, k.c_isn + 1 + k.hello_len);
	cr_assert_eq(p.window, 400, "100 << 9 >> 7");
	cr_assert_gt((int32_t)(so.tsval - our_ts), 0, "PAWS: TSval never goes back");
	cr_assert_eq(so.tsecr, 7002);

	/* C->S: ack and SACK blocks back into the server's space, TSecr onto
	 * the server's clock, nothing else changed. */
	{
		uint8_t sack[40];
		size_t n = 0;
		uint32_t l = k.v_isn + 100, r = k.v_isn + 200;

		n = splice_ts_opt(sack, 7003, so.tsval);
		sack[n++] = 1; sack[n++] = 1; sack[n++] = 5; sack[n++] = 10;
		for (int i = 0; i < 4; i++)
			sack[n + i] = (uint8_t)(l >> (24 - 8 * i));
		for (int i = 0; i < 4; i++)
			sack[n + 4 + i] = (uint8_t)(r >> (24 - 8 * i));
		n += 8;
		at = sent.n;
		cr_assert_eq(feed(&(struct seg){ CLI, VIP, 40000, 443, ACK,
						 k.c_isn + 1 + (uint32_t)k.hello_len,
						 k.v_isn + 6, 501, sack, n, NULL, 0 }), 1);
		p = check(at, CLI, 40000, BE1, 8443, &bo);
		cr_assert_eq(p.ack, k.s_isn + 6);
		cr_assert_eq(p.seq, k.c_isn + 1 + k.hello_len);
		cr_assert_eq(p.window, 501, "both legs use the client's scale");
		cr_assert_eq(bo.sack_n, 1);
		cr_assert_eq(bo.sack[0].left, k.s_isn + 100);
		cr_assert_eq(bo.sack[0].right, k.s_isn + 200);
		cr_assert_eq(bo.tsecr, 50010, "the server's own TSval comes back");
		cr_assert_eq(bo.tsval, 7003);
	}
	/* Client FIN, backend FIN+ACK, client ACK: closed, and the backend's
	 * connection count is released. */
	cr_assert_eq(disp_backend_conns(disp_bset_get(disp_pool_bset(pool, 0), 0)), 1);
	feed(&(struct seg){ CLI, VIP, 40000, 443, FIN | ACK,
			    k.c_isn + 1 + (uint32_t)k.hello_len, k.v_isn + 6, 501,
			    NULL, 0, NULL, 0 });
	feed(&(struct seg){ BE1, CLI, 8443, 40000, FIN | ACK, k.s_isn + 6,
			    k.c_isn + 2 + (uint32_t)k.hello_len, 100, NULL, 0, NULL, 0 });
	feed(&(struct seg){ CLI, VIP, 40000, 443, ACK,
			    k.c_isn + 2 + (uint32_t)k.hello_len, k.v_isn + 7, 501,
			    NULL, 0, NULL, 0 });
	cr_assert_eq(disp_backend_conns(disp_bset_get(disp_pool_bset(pool, 0), 0)), 0,
		     "the connection count ends with the connection");
	stop();
}

Test(splice, one_byte_segments_and_source_nat)
{
	struct conn k = { .cport = 40001, .c_isn = 1000 };
	uint8_t o[12];
	size_t ol = splice_ts_opt(o, 7002, 0);
	unsigned at, outs = 0;
	struct raw_pkt p;

	start(" source-nat 10.0.200.1\n");
	handshake(&k);
	k.hello_len = (uint32_t)client_hello(k.hello);
	for (size_t i = 0; i < k.hello_len; i++) {
		at = sent.n;
		outs = feed(&(struct seg){ CLI, VIP, 40001, 443, ACK,
					   k.c_isn + 1 + (uint32_t)i, k.v_isn + 1, 502,
					   o, ol, k.hello + i, 1 });
		p = check(at, VIP, 443, CLI, 40001, NULL);
		cr_assert_eq(p.ack, k.c_isn + 2 + i, "byte %zu ACKed", i);
		if (i + 1 < k.hello_len)
			cr_assert_eq(outs, 1, "no backend before the hello is whole");
	}
	cr_assert_eq(outs, 2, "the last byte opens the backend leg");
	p = check(sent.n - 1, SNAT, 40001, BE1, 8443, NULL);
	cr_assert_eq(p.seq, k.c_isn);
	backend_accepts_to(&k, BE1, SNAT, sent.n);
	/* Backend answers go to the source-NAT address and come back to the
	 * client from the VIP. */
	at = sent.n;
	cr_assert_eq(feed(&(struct seg){ BE1, SNAT, 8443, 40001, ACK, k.s_isn + 1,
					 k.c_isn + 1 + (uint32_t)k.hello_len, 100, NULL,
					 0, "x", 1 }), 1);
	(void)check(at, VIP, 443, CLI, 40001, NULL);
	stop();
}

Test(splice, not_tls_binds_at_once_and_replay_is_retransmitted)
{
	struct conn k = { .cport = 40002, .c_isn = 5 };
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	uint8_t o[12];
	size_t ol = splice_ts_opt(o, 7002, 0);
	unsigned at;
	struct raw_pkt p;

	start("");
	handshake(&k);
	k.hello_len = (uint32_t)sizeof(req) - 1;
	memcpy(k.hello, req, k.hello_len);
	at = sent.n;
	cr_assert_eq(feed(&(struct seg){ CLI, VIP, 40002, 443, ACK | PSH, k.c_isn + 1,
					 k.v_isn + 1, 502, o, ol, req, k.hello_len }), 2,
		     "not TLS: ACK, and the backend SYN at once");
	cr_assert_eq(w->st.splice_not_tls, 1);
	backend_accepts(&k, BE1, sent.n);
	/* The backend does not ACK the replay: it is sent again, then again
	 * after a doubled timeout. */
	now += SPLICE_REPLAY_RTO_MS;
	at = sent.n;
	splice_timer(w, now);
	cr_assert_eq(sent.n - at, 1, "replay retransmitted");
	p = check(at, CLI, 40002, BE1, 8443, NULL);
	cr_assert_eq(p.seq, k.c_isn + 1);
	cr_assert_eq(p.payload_len, k.hello_len);
	now += SPLICE_REPLAY_RTO_MS;
	at = sent.n;
	splice_timer(w, now);
	cr_assert_eq(sent.n - at, 0, "the second retransmission waits twice as long");
	now += SPLICE_REPLAY_RTO_MS;
	splice_timer(w, now);
	cr_assert_eq(sent.n - at, 1);
	/* Once ACKed, nothing more is resent. */
	feed(&(struct seg){ BE1, CLI, 8443, 40002, ACK, k.s_isn + 1,
			    k.c_isn + 1 + (uint32_t)k.hello_len, 100, NULL, 0, NULL, 0 });
	at = sent.n;
	now += 10000;
	splice_timer(w, now);
	cr_assert_eq(sent.n - at, 0);
	stop();
}

/* Backend ACK with timestamps and the given SACK blocks (pairs). */
static size_t sack_opts(uint8_t *b, const uint32_t *edges, unsigned nblocks)
{
	size_t n = splice_ts_opt(b, 50100, 7002);

	b[n++] = 1;
	b[n++] = 1;
	b[n++] = 5;
	b[n++] = (uint8_t)(2 + 8 * nblocks);
	for (unsigned i = 0; i < 2 * nblocks; i++)
		for (int j = 0; j < 4; j++)
			b[n++] = (uint8_t)(edges[i] >> (24 - 8 * j));
	return n;
}

/* What reaches the client of a backend ACK (ack, SACK blocks). */
static struct raw_tcpopts backend_ack(const struct conn *k, uint32_t ack,
				      const uint32_t *edges, unsigned nblocks)
{
	uint8_t o[40];
	size_t ol = sack_opts(o, edges, nblocks);
	struct raw_tcpopts co;
	unsigned at = sent.n;

	cr_assert_eq(feed(&(struct seg){ BE1, CLI, 8443, k->cport, ACK, k->s_isn + 1,
					 ack, 100, o, ol, NULL, 0 }), 1);
	(void)check(at, VIP, 443, CLI, k->cport, &co);
	cr_assert_eq(co.tsecr, 7002, "the rest of the options is untouched");
	return co;
}

Test(splice, dsack_of_replayed_first_data_not_passed_to_client)
{
	/* The first data [c_isn + 1, edge) wraps past 2^32. */
	struct conn k = { .cport = 40012, .c_isn = 0xffffffd0u };
	uint8_t o[12];
	size_t ol = splice_ts_opt(o, 7002, 0);
	uint32_t edge, b[4];
	struct raw_tcpopts co;

	start("");
	handshake(&k);
	k.hello_len = (uint32_t)client_hello(k.hello);
	feed(&(struct seg){ CLI, VIP, k.cport, 443, ACK | PSH, k.c_isn + 1,
			    k.v_isn + 1, 502, o, ol, k.hello, k.hello_len });
	backend_accepts(&k, BE1, sent.n);
	edge = k.c_isn + 1 + k.hello_len;
	/* The replay arrived twice: the backend ACKs it all and D-SACKs the
	 * copy. The client never sent that segment to the backend (we ACKed
	 * it ourselves): the block does not reach it. */
	b[0] = k.c_isn + 1;
	b[1] = edge;
	co = backend_ack(&k, edge, b, 1);
	cr_assert_not(co.present & RAW_TCPOPT_F_SACK, "D-SACK of our replay dropped");
	/* The client's next bytes: a D-SACK of them, and a SACK block above
	 * the ack, pass; a D-SACK starting one byte below the edge does not. */
	b[0] = edge;
	b[1] = edge + 10;
	co = backend_ack(&k, edge + 10, b, 1);
	cr_assert_eq(co.sack_n, 1);
	cr_assert_eq(co.sack[0].left, edge, "the client's own D-SACK passes");
	b[0] = edge - 1;
	b[1] = edge + 10;
	b[2] = edge + 20;
	b[3] = edge + 30;
	co = backend_ack(&k, edge + 10, b, 2);
	cr_assert_eq(co.sack_n, 1);
	cr_assert_eq(co.sack[0].left, edge + 20);
	cr_assert_eq(co.sack[0].right, edge + 30);
	/* A maximum window later nothing of the replay can come back; the
	 * range only recurs 4 GB on, and blocks there pass. */
	b[0] = edge + SPLICE_WIN_MAX + 100;
	b[1] = edge + SPLICE_WIN_MAX + 200;
	co = backend_ack(&k, edge + SPLICE_WIN_MAX, b, 1);
	cr_assert_eq(co.sack_n, 1);
	b[0] = k.c_isn + 1;
	b[1] = k.c_isn + 11;
	co = backend_ack(&k, edge + SPLICE_WIN_MAX + 100, b, 1);
	cr_assert_eq(co.sack_n, 1, "past a maximum window, nothing is dropped");
	cr_assert_eq(co.sack[0].left, k.c_isn + 1);
	stop();
}

Test(splice, refused_backend_falls_over_then_client_reset)
{
	struct conn k = { .cport = 40003, .c_isn = 77 };
	static const char req[] = "hello";
	uint8_t o[12];
	size_t ol = splice_ts_opt(o, 7002, 0);
	unsigned at;
	struct raw_pkt p;

	start("");
	handshake(&k);
	at = sent.n;
	feed(&(struct seg){ CLI, VIP, 40003, 443, ACK, k.c_isn + 1, k.v_isn + 1,
			    502, o, ol, req, 5 });
	p = check(at + 1, CLI, 40003, BE1, 8443, NULL);
	/* BE1 resets: BE2 gets the SYN. */
	at = sent.n;
	cr_assert_eq(feed(&(struct seg){ BE1, CLI, 8443, 40003, RST | ACK, 0,
					 k.c_isn + 1, 0, NULL, 0, NULL, 0 }), 1);
	p = check(at, CLI, 40003, BE2, 8443, NULL);
	cr_assert_eq(p.tcp_flags, SYN);
	/* BE2 stays silent: SYN resent with back-off, then nothing is left
	 * and the client gets an RST. */
	for (int i = 0; i < SPLICE_SYN_TRIES; i++) {
		now += (uint64_t)SPLICE_SYN_RTO_MS << i;
		splice_timer(w, now);
	}
	p = check(sent.n - 1, VIP, 443, CLI, 40003, NULL);
	cr_assert(p.tcp_flags & RST, "no backend left: the client is reset");
	cr_assert_eq(w->st.splice_be_refused, 2);
	cr_assert_eq(w->st.splice_be_retries, SPLICE_SYN_TRIES - 1);
	cr_assert_eq(disp_flow_count(w->ft), 0, "the flow is gone");
	stop();
}

Test(splice, silent_client_bound_after_hello_timeout)
{
	struct conn k = { .cport = 40004, .c_isn = 9 };
	unsigned at;

	start("");
	handshake(&k);
	at = sent.n;
	now += 999; /* the default hello timeout is 1 s */
	splice_timer(w, now);
	cr_assert_eq(sent.n, at, "not before the timeout");
	now += 1;
	splice_timer(w, now);
	cr_assert_eq(sent.n - at, 1);
	(void)check(at, CLI, 40004, BE1, 8443, NULL);
	cr_assert_eq(w->st.splice_hello_timeout, 1);
	k.hello_len = 0;
	backend_accepts(&k, BE1, sent.n);
	stop();
}

Test(splice, syn_flood_switches_to_cookies)
{
	uint8_t o[40];
	size_t ol = syn_opts(o, 1460, 6, 7000, 0);
	struct raw_pkt p;
	unsigned at;
	uint32_t isn;

	start("");
	for (uint32_t i = 0; i < SPLICE_HALFOPEN_MAX; i++) {
		uint8_t src[4] = { 10, 1, (uint8_t)(i >> 8), (uint8_t)i };

		feed(&(struct seg){ src, VIP, 1024 + (uint16_t)(i % 50000), 443, SYN,
				    i, 0, 64240, o, ol, NULL, 0 });
	}
	cr_assert_eq(w->st.splice_cookies, 0);
	sent.n = 0;
	at = sent.n;
	cr_assert_eq(feed(&(struct seg){ CLI, VIP, 40005, 443, SYN, 123, 0, 64240,
					 o, ol, NULL, 0 }), 1);
	cr_assert_eq(w->st.splice_cookies, 1, "table full: a cookie");
	p = check(at, VIP, 443, CLI, 40005, NULL);
	isn = p.seq;
	/* The cookie ACK completes the handshake with no state kept. */
	ol = splice_ts_opt(o, 7001, 0);
	cr_assert_eq(feed(&(struct seg){ CLI, VIP, 40005, 443, ACK, 124, isn + 1,
					 502, o, ol, NULL, 0 }), 0);
	cr_assert_eq(w->st.splice_cookie_ok, 1);
	/* A forged ACK gets an RST and no flow. */
	at = sent.n;
	cr_assert_eq(feed(&(struct seg){ CLI, VIP, 40006, 443, ACK, 124, isn + 1,
					 502, NULL, 0, NULL, 0 }), 1);
	cr_assert_eq(w->st.splice_bad_ack, 1);
	stop();
}

Test(splice, bytes_sent_while_binding_are_replayed_and_rst_reaches_backend)
{
	struct conn k = { .cport = 40007, .c_isn = 300 };
	static const char req[] = "GET / HTTP/1.1\r\n\r\n", more[] = "MORE";
	uint8_t o[12];
	size_t ol = splice_ts_opt(o, 7002, 0);
	unsigned at;
	struct raw_pkt p;

	start("");
	handshake(&k);
	feed(&(struct seg){ CLI, VIP, 40007, 443, ACK | PSH, k.c_isn + 1, k.v_isn + 1,
			    502, o, ol, req, sizeof(req) - 1 });
	at = sent.n;
	cr_assert_eq(feed(&(struct seg){ CLI, VIP, 40007, 443, ACK | PSH,
					 k.c_isn + sizeof(req), k.v_isn + 1, 502, o,
					 ol, more, 4 }), 1, "ACKed while the leg opens");
	p = check(at, VIP, 443, CLI, 40007, NULL);
	cr_assert_eq(p.ack, k.c_isn + sizeof(req) + 4);
	k.hello_len = (uint32_t)sizeof(req) - 1 + 4;
	memcpy(k.hello, req, sizeof(req) - 1);
	memcpy(k.hello + sizeof(req) - 1, more, 4);
	backend_accepts(&k, BE1, sent.n);
	stop();

	/* A client reset while our SYN is out resets the backend leg too. */
	k = (struct conn){ .cport = 40008, .c_isn = 400 };
	start("");
	handshake(&k);
	feed(&(struct seg){ CLI, VIP, 40008, 443, ACK | PSH, k.c_isn + 1, k.v_isn + 1,
			    502, o, ol, req, sizeof(req) - 1 });
	at = sent.n;
	cr_assert_eq(feed(&(struct seg){ CLI, VIP, 40008, 443, RST, k.c_isn + sizeof(req),
					 0, 0, NULL, 0, NULL, 0 }), 1);
	p = check(at, CLI, 40008, BE1, 8443, NULL);
	cr_assert(p.tcp_flags & RST);
	cr_assert_eq(disp_flow_count(w->ft), 0);
	stop();
}

Test(splice, rekey_every_epoch_same_key_in_every_worker)
{
	char text[512], err[256];
	struct ssyn_tuple t = { .family = AF_INET, .cport = 40009, .vport = 443 };
	uint64_t t0 = ((uint64_t)SPLICE_REKEY_SECS * 1000) * 5 + 1000;
	uint32_t isn0, isn1;

	snprintf(text, sizeof(text),
		 "workers 2\nservice tls {\n vip 10.0.100.1:443\n mode splice\n"
		 " io packet\n client-interface c0\n backend 10.0.11.2:8443\n}\n");
	cr_assert_eq(disp_config_parse(text, strlen(text), "t.conf", &cfg, err,
				       sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	cr_assert_eq(disp_engine_create_detached(&eng, cfg, pool, spliced_modes, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(eng->nw, 2);
	memcpy(t.caddr, CLI, 4);
	memcpy(t.vaddr, VIP, 4);
	for (unsigned i = 0; i < 2; i++)
		splice_timer(&eng->w[i], t0);
	isn0 = ssyn_isn(&splice_w(&eng->w[0])->secret, &t, t0 / 1000);
	cr_assert_eq(isn0, ssyn_isn(&splice_w(&eng->w[1])->secret, &t, t0 / 1000),
		     "every worker answers a SYN with the same ISN");
	/* A cookie made just before the epoch ends still opens after it. */
	{
		struct ssyn_opts o = { .mss = 1460, .wscale = 7, .sack_perm = true };
		uint64_t t1 = t0 + (uint64_t)SPLICE_REKEY_SECS * 1000;
		uint32_t ck = ssyn_cookie_make(&splice_w(&eng->w[0])->secret, &t, 99, &o,
					       t1 / 1000 - 1);

		for (unsigned i = 0; i < 2; i++)
			splice_timer(&eng->w[i], t1);
		isn1 = ssyn_isn(&splice_w(&eng->w[1])->secret, &t, t0 / 1000);
		cr_assert_neq(isn0, isn1, "a new epoch, a new key");
		cr_assert_eq(isn1, ssyn_isn(&splice_w(&eng->w[0])->secret, &t, t0 / 1000));
		cr_assert_eq(ssyn_cookie_check(&splice_w(&eng->w[1])->secret, &t, 100, ck + 1,
					       t1 / 1000, NULL), 0,
			     "the previous key still checks cookies");
	}
	stop();
}

Test(splice, worker_zero_ages_the_session_table)
{
	struct sroute *r;
	struct sroute_pick p;
	struct sroute_stats st;
	struct tls_server_stream s = { .seen_hello = true, .version = 0x0303,
				       .legacy_version = 0x0303,
				       .session_id_len = 32, .encrypted = true };

	start(" session-lifetime 2s\n");
	r = splice_route(eng, 0);
	cr_assert_not_null(r);
	memset(s.session_id, 0x5a, 32);
	cr_assert_eq(sroute_pick(r, NULL, NULL, 1, now, NULL, 0, &p), 0);
	sroute_server(r, &p, &s, now);
	sroute_release(r, &p, now);
	sroute_get_stats(r, &st, NULL, 0);
	cr_assert_eq(st.table.entries, 1, "the server's session ID was learned");
	splice_timer(w, now + 1500);
	sroute_get_stats(r, &st, NULL, 0);
	cr_assert_eq(st.table.entries, 1, "kept within its lifetime");
	splice_timer(w, now + 5000);
	sroute_get_stats(r, &st, NULL, 0);
	cr_assert_eq(st.table.entries, 0, "forgotten once its lifetime passed");
	stop();
}

/* A ServerHello choosing session ID 0x22 x 32, then ChangeCipherSpec. */
static size_t server_hello(uint8_t *b)
{
	size_t n = 0, body;

	b[n++] = 0x16; b[n++] = 3; b[n++] = 3; n += 2;
	b[n++] = 2; n += 3;
	b[n++] = 3; b[n++] = 3;
	memset(b + n, 0x24, 32); n += 32;
	b[n++] = 32; memset(b + n, 0x22, 32); n += 32;
	b[n++] = 0x00; b[n++] = 0x2f; b[n++] = 0;
	body = n - 9;
	b[3] = (uint8_t)((n - 5) >> 8); b[4] = (uint8_t)(n - 5);
	b[6] = (uint8_t)(body >> 16); b[7] = (uint8_t)(body >> 8); b[8] = (uint8_t)body;
	memcpy(b + n, "\x14\x03\x03\x00\x01\x01", 6);
	return n + 6;
}

/* How a resumption of session 0x22.. would be routed right now. */
static int route_of_resumption(struct sroute *r, struct sroute_pick *q)
{
	uint8_t hello[256];
	size_t n = client_hello(hello);
	struct tls_ch *ch = tls_ch_new(0);
	int rc;

	memset(hello + 44, 0x22, 32); /* the offered session ID */
	cr_assert_eq(tls_ch_feed(ch, hello, n), TLS_DONE);
	rc = sroute_pick(r, tls_ch_result(ch), NULL, 7, now, NULL, 0, q);
	tls_ch_free(ch);
	return rc;
}

Test(splice, session_learned_from_server_busy_until_a_fin)
{
	struct conn k = { .cport = 40010, .c_isn = 500 };
	uint8_t o[12], sh[128];
	size_t ol = splice_ts_opt(o, 7002, 0), shl = server_hello(sh);
	struct sroute *r;
	struct sroute_pick q;
	struct sroute_stats st;

	start("");
	r = splice_route(eng, 0);
	handshake(&k);
	k.hello_len = (uint32_t)client_hello(k.hello);
	feed(&(struct seg){ CLI, VIP, 40010, 443, ACK | PSH, k.c_isn + 1, k.v_isn + 1,
			    502, o, ol, k.hello, k.hello_len });
	backend_accepts(&k, BE1, sent.n);
	feed(&(struct seg){ BE1, CLI, 8443, 40010, ACK | PSH, k.s_isn + 1,
			    k.c_isn + 1 + k.hello_len, 100, NULL, 0, sh, shl });
	sroute_get_stats(r, &st, NULL, 0);
	cr_assert_eq(st.learned, 1, "the ServerHello's session ID is learned");
	/* While the connection lives, the session is BUSY on BE1. */
	cr_assert_eq(route_of_resumption(r, &q), 0);
	cr_assert_neq(q.how, SROUTE_TABLE, "a BUSY candidate is not picked");
	sroute_release(r, &q, now);
	/* The client's FIN frees it, before the connection has closed. */
	feed(&(struct seg){ CLI, VIP, 40010, 443, FIN | ACK, k.c_isn + 1 + k.hello_len,
			    k.v_isn + 1 + (uint32_t)shl, 502, NULL, 0, NULL, 0 });
	cr_assert_eq(route_of_resumption(r, &q), 0);
	cr_assert_eq(q.how, SROUTE_TABLE, "IDLE after the FIN: resumed on its backend");
	cr_assert_eq(q.backend, 0);
	sroute_release(r, &q, now);
	stop();
}

/* Two spliced instances (two engines here) sharing an isn-secret-file
 * answer a SYN with the same ISN and accept each other's cookies; with
 * no file each draws its own secret and they do not. */
static struct disp_engine *engine_with(const char *secret_line,
				       struct disp_config **c,
				       struct disp_pool **pl)
{
	char text[512], err[256];
	struct disp_engine *e = NULL;

	snprintf(text, sizeof(text), "%s\nservice tls {\n vip 10.0.100.1:443\n"
		 " mode splice\n client-interface c0\n backend 10.0.11.2:8443\n}\n",
		 secret_line);
	cr_assert_eq(disp_config_parse(text, strlen(text), "t.conf", c, err,
				       sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_pool_create(*c, pl), 0);
	cr_assert_eq(disp_engine_create_detached(&e, *c, *pl, spliced_modes, err, sizeof(err)), 0,
		     "%s", err);
	return e;
}

Test(splice, instances_sharing_isn_secret_file_accept_each_others_cookies)
{
	char path[] = "/tmp/sk-isn-XXXXXX", line[64];
	int fd = mkstemp(path);
	struct disp_config *c[2];
	struct disp_pool *pl[2];
	struct disp_engine *e[2];
	struct ssyn_tuple t = { .family = AF_INET, .cport = 40011, .vport = 443 };
	struct ssyn_opts o = { .mss = 1460, .wscale = 7, .ts = true };
	uint64_t s = 1000;
	uint32_t ck;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "0123456789abcdef0123456789abcdef", 32), 32);
	close(fd);
	memcpy(t.caddr, CLI, 4);
	memcpy(t.vaddr, VIP, 4);
	snprintf(line, sizeof(line), "isn-secret-file %s", path);
	for (int i = 0; i < 2; i++)
		e[i] = engine_with(line, &c[i], &pl[i]);
	cr_assert_eq(ssyn_isn(&splice_w(&e[0]->w[0])->secret, &t, s),
		     ssyn_isn(&splice_w(&e[1]->w[0])->secret, &t, s));
	ck = ssyn_cookie_make(&splice_w(&e[0]->w[0])->secret, &t, 77, &o, s);
	cr_assert_eq(ssyn_cookie_check(&splice_w(&e[1]->w[0])->secret, &t, 78, ck + 1, s,
				       NULL), 0, "the other instance's cookie opens");
	for (int i = 0; i < 2; i++) {
		disp_engine_destroy(e[i]);
		disp_pool_free(pl[i]);
		disp_config_free(c[i]);
	}
	unlink(path);

	for (int i = 0; i < 2; i++)
		e[i] = engine_with("", &c[i], &pl[i]);
	ck = ssyn_cookie_make(&splice_w(&e[0]->w[0])->secret, &t, 77, &o, s);
	cr_assert_neq(ssyn_cookie_check(&splice_w(&e[1]->w[0])->secret, &t, 78, ck + 1, s,
					NULL), 0, "without the file, secrets differ");
	for (int i = 0; i < 2; i++) {
		disp_engine_destroy(e[i]);
		disp_pool_free(pl[i]);
		disp_config_free(c[i]);
	}
}
