/* Event API: TCP tracking raises the built-in events; custom predicates;
 * inline versus batched delivery. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "flow/event.h"

static const uint8_t cli[4] = { 10, 0, 0, 2 };
static const uint8_t vip[4] = { 10, 0, 9, 1 };
static const uint8_t be1[4] = { 10, 1, 0, 11 };

struct fixture {
	struct disp_flow_table *t;
	struct disp_flow *f;
	uint64_t now;
};

static void setup(struct fixture *x)
{
	struct disp_flow_key o, r;

	disp_flow_key_v4(&o, cli, 40000, vip, 80, IPPROTO_TCP);
	disp_flow_key_v4(&r, be1, 80, cli, 40000, IPPROTO_TCP);
	cr_assert_eq(disp_flow_table_create(&x->t, 4, NULL, NULL, NULL), 0);
	cr_assert_eq(disp_flow_insert(x->t, &o, &r, 0, &x->f), 0);
	x->now = 0;
}

/* Feeds one segment and returns the events it raised. */
static uint64_t seg(struct fixture *x, int dir, uint8_t flags, uint32_t seq,
		    uint32_t ack, uint32_t len)
{
	struct disp_pkt_meta p = { .seq = seq, .ack = ack, .payload_len = len,
				   .tcp_flags = flags, .dir = (uint8_t)dir };

	return disp_flow_track(x->t, x->f, &p, ++x->now);
}

enum { O = DISP_DIR_ORIG, R = DISP_DIR_REPLY };
#define A DISP_TCP_ACK
#define S DISP_TCP_SYN
#define F DISP_TCP_FIN

/* Client ISN 1000, server ISN 5000. */
static void handshake(struct fixture *x)
{
	cr_assert_eq(seg(x, O, S, 1000, 0, 0), DISP_EV_SYN);
	cr_assert_eq(seg(x, R, S | A, 5000, 1001, 0), DISP_EV_SYNACK);
	cr_assert_eq(x->f->state, DISP_FLOW_SYN_RECV);
	cr_assert_eq(seg(x, O, A, 1001, 5001, 0), DISP_EV_ESTABLISHED);
	cr_assert_eq(x->f->state, DISP_FLOW_ESTABLISHED);
}

Test(track, handshake_data_retransmit)
{
	struct fixture x;

	setup(&x);
	cr_assert_eq(seg(&x, O, S, 1000, 0, 0), DISP_EV_SYN);
	cr_assert_eq(seg(&x, O, S, 1000, 0, 0), DISP_EV_RETRANSMIT, "second SYN");
	cr_assert_eq(seg(&x, R, S | A, 5000, 1001, 0), DISP_EV_SYNACK);
	cr_assert_eq(seg(&x, O, A, 1001, 5001, 0), DISP_EV_ESTABLISHED);
	cr_assert_eq(seg(&x, O, A, 1001, 5001, 100), DISP_EV_DATA);
	cr_assert_eq(seg(&x, O, A, 1001, 5001, 100), DISP_EV_RETRANSMIT);
	cr_assert_eq(seg(&x, O, A, 1051, 5001, 50), DISP_EV_RETRANSMIT, "inside");
	cr_assert_eq(seg(&x, O, A, 1051, 5001, 100), DISP_EV_DATA, "overlap adds");
	cr_assert_eq(seg(&x, R, A, 5001, 1151, 1000), DISP_EV_DATA);
	cr_assert_eq(x.f->half[O].bytes, 350);
	cr_assert_eq(x.f->half[R].bytes, 1000);
	cr_assert_eq(x.f->half[O].pkts, 7);
	disp_flow_table_destroy(x.t);
}

Test(track, data_across_sequence_wrap_is_new)
{
	struct fixture x;

	setup(&x);
	cr_assert_eq(seg(&x, O, S, 0xffffff00u, 0, 0), DISP_EV_SYN);
	cr_assert_eq(seg(&x, R, S | A, 7, 0xffffff01u, 0), DISP_EV_SYNACK);
	cr_assert_eq(seg(&x, O, A, 0xffffff01u, 8, 0), DISP_EV_ESTABLISHED);
	cr_assert_eq(seg(&x, O, A, 0xffffff01u, 8, 0x100), DISP_EV_DATA);
	cr_assert_eq(seg(&x, O, A, 0x00000001u, 8, 0x100), DISP_EV_DATA,
		     "wrapped seq is ahead, not behind");
	cr_assert_eq(seg(&x, O, A, 0xffffff01u, 8, 0x100), DISP_EV_RETRANSMIT);
	disp_flow_table_destroy(x.t);
}

Test(track, orderly_close_ends_with_fin_reason)
{
	struct fixture x;

	setup(&x);
	handshake(&x);
	cr_assert_eq(seg(&x, O, F | A, 1001, 5001, 0), DISP_EV_FIN);
	cr_assert_eq(x.f->state, DISP_FLOW_FIN_WAIT);
	cr_assert_eq(seg(&x, R, F | A, 5001, 1002, 0), DISP_EV_FIN);
	cr_assert_eq(x.f->state, DISP_FLOW_CLOSING);
	cr_assert_eq(seg(&x, O, A, 1002, 5002, 0), 0);
	cr_assert_eq(x.f->state, DISP_FLOW_CLOSED);
	cr_assert_eq(x.f->closed_reason, DISP_FLOW_END_FIN);
	/* The closed flow lingers for stray ACKs, then goes quickly. */
	cr_assert_eq(disp_flow_expire(x.t, x.now + 1999, 0), 0);
	cr_assert_eq(disp_flow_expire(x.t, x.now + 2000, 0), 1);
	disp_flow_table_destroy(x.t);
}

Test(track, fin_with_data_and_retransmitted_fin)
{
	struct fixture x;

	setup(&x);
	handshake(&x);
	cr_assert_eq(seg(&x, R, F | A, 5001, 1001, 10), DISP_EV_DATA | DISP_EV_FIN);
	cr_assert_eq(x.f->half[R].fin_seq, 5011);
	cr_assert_eq(seg(&x, R, F | A, 5001, 1001, 10),
		     DISP_EV_RETRANSMIT, "same FIN+data again");
	cr_assert_eq(seg(&x, O, A, 1001, 5010, 0), 0, "ACK short of the FIN");
	cr_assert(!x.f->half[R].fin_acked);
	cr_assert_eq(seg(&x, O, A, 1001, 5012, 0), 0);
	cr_assert(x.f->half[R].fin_acked);
	cr_assert_eq(x.f->state, DISP_FLOW_FIN_WAIT);
	disp_flow_table_destroy(x.t);
}

Test(track, rst_closes_at_once)
{
	struct fixture x;

	setup(&x);
	handshake(&x);
	cr_assert_eq(seg(&x, R, DISP_TCP_RST, 5001, 0, 0), DISP_EV_RST);
	cr_assert_eq(x.f->state, DISP_FLOW_CLOSED);
	cr_assert_eq(x.f->closed_reason, DISP_FLOW_END_RST);
	disp_flow_table_destroy(x.t);
}

/* ---- event bus ---- */

struct log {
	uint64_t ev[32];
	unsigned n;
	unsigned calls;
};

static void on_inline(const struct disp_event *e, void *arg)
{
	struct log *l = arg;

	if (l->n < 32)
		l->ev[l->n++] = e->ev;
}

static void on_batch(const struct disp_event *ev, unsigned n, void *arg)
{
	struct log *l = arg;

	l->calls++;
	for (unsigned i = 0; i < n; i++)
		if (l->n < 32)
			l->ev[l->n++] = ev[i].ev;
}

static bool is_http_get(const struct disp_flow *f, const struct disp_pkt_meta *p,
			void *arg)
{
	(void)f;
	(void)arg;
	return p->dir == DISP_DIR_ORIG && p->payload_len >= 4 &&
	       memcmp(p->payload, "GET ", 4) == 0;
}

Test(event, inline_delivery_in_bit_order_and_filtered)
{
	struct disp_ev_bus *b;
	struct log l = { 0 };
	struct disp_pkt_meta p = { 0 };

	cr_assert_eq(disp_ev_bus_create(&b, 8), 0);
	cr_assert_eq(disp_ev_subscribe(b, DISP_EV_DATA | DISP_EV_FIN, on_inline, &l), 0);
	cr_assert(disp_ev_wanted(b, DISP_EV_FIN));
	cr_assert(!disp_ev_wanted(b, DISP_EV_SYN));
	disp_ev_raise(b, NULL, NULL, &p, DISP_EV_SYN | DISP_EV_DATA | DISP_EV_FIN);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(l.ev[0], DISP_EV_DATA);
	cr_assert_eq(l.ev[1], DISP_EV_FIN);
	disp_ev_bus_destroy(b);
}

Test(event, batched_delivery_waits_for_flush)
{
	struct disp_ev_bus *b;
	struct log l = { 0 };

	cr_assert_eq(disp_ev_bus_create(&b, 8), 0);
	cr_assert_eq(disp_ev_subscribe_batch(b, DISP_EV_CLOSED, on_batch, &l), 0);
	disp_ev_raise(b, NULL, NULL, NULL, DISP_EV_CLOSED);
	disp_ev_raise(b, NULL, NULL, NULL, DISP_EV_SYN);
	disp_ev_raise(b, NULL, NULL, NULL, DISP_EV_CLOSED | DISP_EV_TIMEOUT);
	cr_assert_eq(l.n, 0, "nothing before flush");
	cr_assert_eq(disp_ev_flush(b), 2);
	cr_assert_eq(l.calls, 1);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(disp_ev_flush(b), 0);
	disp_ev_bus_destroy(b);
}

Test(event, full_batch_queue_flushes_instead_of_dropping)
{
	struct disp_ev_bus *b;
	struct log l = { 0 };

	cr_assert_eq(disp_ev_bus_create(&b, 2), 0);
	cr_assert_eq(disp_ev_subscribe_batch(b, DISP_EV_DATA, on_batch, &l), 0);
	for (int i = 0; i < 5; i++)
		disp_ev_raise(b, NULL, NULL, NULL, DISP_EV_DATA);
	cr_assert_eq(l.n, 4, "two automatic flushes of two");
	disp_ev_bus_destroy(b); /* flushes the fifth */
	cr_assert_eq(l.n, 5);
	cr_assert_eq(l.calls, 3);
}

Test(event, custom_predicate_fires_only_when_true)
{
	struct disp_ev_bus *b;
	struct log l = { 0 };
	struct fixture x;
	uint64_t get_ev = 0;
	const char req[] = "GET / HTTP/1.1\r\n", other[] = "POST / HTTP/1.1\r\n";
	struct disp_pkt_meta p = { .dir = DISP_DIR_ORIG };

	setup(&x);
	cr_assert_eq(disp_ev_bus_create(&b, 8), 0);
	cr_assert_eq(disp_ev_register(b, is_http_get, NULL, &get_ev), 0);
	cr_assert_geq(get_ev, 1ull << DISP_EV_CUSTOM_FIRST);
	cr_assert_eq(disp_ev_subscribe(b, get_ev, on_inline, &l), 0);
	p.payload = (const uint8_t *)req;
	p.payload_len = sizeof(req) - 1;
	disp_ev_raise(b, x.f, NULL, &p, DISP_EV_DATA);
	p.payload = (const uint8_t *)other;
	p.payload_len = sizeof(other) - 1;
	disp_ev_raise(b, x.f, NULL, &p, DISP_EV_DATA);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.ev[0], get_ev);
	cr_assert_str_eq(disp_ev_name(get_ev), "custom");
	disp_ev_bus_destroy(b);
	disp_flow_table_destroy(x.t);
}

Test(event, registration_limits)
{
	struct disp_ev_bus *b;
	uint64_t ev;
	struct log l;

	cr_assert_eq(disp_ev_bus_create(&b, 0), -EINVAL);
	cr_assert_eq(disp_ev_bus_create(&b, 4), 0);
	cr_assert_eq(disp_ev_register(b, NULL, NULL, &ev), -EINVAL);
	for (int i = 0; i < DISP_EV_CUSTOM_MAX; i++)
		cr_assert_eq(disp_ev_register(b, is_http_get, NULL, &ev), 0);
	cr_assert_eq(disp_ev_register(b, is_http_get, NULL, &ev), -ENOSPC);
	cr_assert_eq(disp_ev_subscribe(b, 0, on_inline, &l), -EINVAL);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(disp_ev_subscribe(b, DISP_EV_SYN, on_inline, &l), 0);
	cr_assert_eq(disp_ev_subscribe(b, DISP_EV_SYN, on_inline, &l), -ENOSPC);
	disp_ev_bus_destroy(b);
}

Test(event, tracking_feeds_the_bus)
{
	struct disp_ev_bus *b;
	struct log l = { 0 };
	struct fixture x;
	struct disp_pkt_meta p[] = {
		{ .seq = 1, .tcp_flags = S, .dir = O },
		{ .seq = 9, .ack = 2, .tcp_flags = S | A, .dir = R },
		{ .seq = 2, .ack = 10, .tcp_flags = A, .dir = O },
		{ .seq = 2, .ack = 10, .tcp_flags = A, .dir = O, .payload_len = 5 },
	};

	setup(&x);
	cr_assert_eq(disp_ev_bus_create(&b, 8), 0);
	cr_assert_eq(disp_ev_subscribe(b, DISP_EV_BUILTIN_MASK, on_inline, &l), 0);
	for (unsigned i = 0; i < 4; i++)
		disp_ev_raise(b, x.f, NULL, &p[i],
			      disp_flow_track(x.t, x.f, &p[i], i));
	cr_assert_eq(l.n, 4);
	cr_assert_eq(l.ev[0], DISP_EV_SYN);
	cr_assert_eq(l.ev[1], DISP_EV_SYNACK);
	cr_assert_eq(l.ev[2], DISP_EV_ESTABLISHED);
	cr_assert_eq(l.ev[3], DISP_EV_DATA);
	disp_ev_bus_destroy(b);
	disp_flow_table_destroy(x.t);
}
