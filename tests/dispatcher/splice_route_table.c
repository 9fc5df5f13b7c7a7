/* Session router, mapping-table routing: TLS 1.2 session IDs and tickets
 * learned from real OpenSSL server bytes, the paper's BUSY/IDLE rule,
 * DOWN and tried backends, the load guard, flush and the counters. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "splice/route/splice_route.h"

#include "splice_route_rig.h"

#define THREE " scheduler rr\n backend 10.0.1.1:443\n backend 10.0.1.2:443\n backend 10.0.1.3:443\n"

static struct rig g;
static struct gen_ctx gc;

static void fini(void)
{
	rig_down(&g);
	gen_ctx_free(&gc);
}

TestSuite(sroute_table, .fini = fini);

/* A TLS 1.2 server with a session cache and no tickets. */
static void tls12_ids(void)
{
	struct gen_opts o = { .max_version = TLS1_2_VERSION, .no_tickets = true };

	cr_assert_eq(gen_ctx_init(&gc, &o), 0);
}

/* One full handshake routed by the scheduler and learned; returns the
 * backend it went to (released at now). */
static uint16_t first_visit(struct gen_run *full, uint64_t now)
{
	struct sroute_pick p;

	rig_handshake(&gc, NULL, full);
	cr_assert_eq(rig_pick(&g, full, now, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED);
	cr_assert_eq(p.offered, 0);
	rig_serve(&g, full, &p, now);
	sroute_release(g.r, &p, now);
	return p.backend;
}

Test(sroute_table, session_id_learned_then_picked)
{
	struct gen_run full, res;
	struct sroute_pick p;
	struct sroute_stats st;
	uint16_t b;

	rig_up(&g, THREE);
	tls12_ids();
	b = first_visit(&full, 1000);
	/* Every resumption goes back to b, not where rr would send it. */
	for (int i = 0; i < 5; i++) {
		rig_handshake(&gc, full.session, &res);
		cr_assert_eq(rig_pick(&g, &res, 2000 + (uint64_t)i, NULL, &p), 0);
		cr_assert_eq(p.how, SROUTE_TABLE, "resumption %d not from the table", i);
		cr_assert_eq(p.backend, b);
		cr_assert_eq(p.be, disp_bset_get(g.bs, b));
		cr_assert_eq(p.offered, 1);
		cr_assert_eq(p.sid_len, 32);
		rig_serve(&g, &res, &p, 2000 + (uint64_t)i);
		sroute_release(g.r, &p, 2000 + (uint64_t)i);
		gen_run_free(&res);
	}
	sroute_get_stats(g.r, &st, NULL, 0);
	cr_assert_eq(st.hellos, 6);
	cr_assert_eq(st.offered, 5);
	cr_assert_eq(st.table_hits, 5);
	cr_assert_eq(st.table_misses, 0);
	cr_assert_eq(st.resumed, 5);
	cr_assert_eq(st.full, 1);
	cr_assert_eq(st.table.entries, 1);
	gen_run_free(&full);
}

/* Paper §5.3, observed through the router: one session on two servers. */
Test(sroute_table, busy_candidate_skipped_then_oldest_idle)
{
	struct gen_run full, res;
	struct sroute_pick a, b, c, d, e;
	bool tried[3] = { false };
	uint16_t first, second;

	rig_up(&g, THREE);
	tls12_ids();
	first = first_visit(&full, 100);
	rig_handshake(&gc, full.session, &res);
	/* Connection a holds the session on `first`. A second connection
	 * refused there resumes on another server (think: a shared session
	 * cache), which the router learns from that server's echo. */
	cr_assert_eq(rig_pick(&g, &res, 200, NULL, &a), 0);
	cr_assert_eq(a.backend, first);
	tried[first] = true;
	cr_assert_eq(rig_pick(&g, &res, 210, tried, &b), 0);
	cr_assert_eq(b.how, SROUTE_SCHED);
	second = b.backend;
	cr_assert_neq(second, first);
	rig_serve(&g, &res, &b, 210);
	sroute_release(g.r, &b, 300);
	/* first BUSY (a), second IDLE: the IDLE one. */
	cr_assert_eq(rig_pick(&g, &res, 400, NULL, &c), 0);
	cr_assert_eq(c.how, SROUTE_TABLE);
	cr_assert_eq(c.backend, second);
	/* a ends; now second is BUSY (c): first. */
	sroute_release(g.r, &a, 500);
	cr_assert_eq(rig_pick(&g, &res, 600, NULL, &d), 0);
	cr_assert_eq(d.backend, first);
	/* Both IDLE: first stamped 700, second 800 -> the older, first... */
	sroute_release(g.r, &d, 700);
	sroute_release(g.r, &c, 800);
	cr_assert_eq(rig_pick(&g, &res, 900, NULL, &e), 0);
	cr_assert_eq(e.backend, first);
	/* ...and once first is newer again, second. */
	sroute_release(g.r, &e, 1000);
	cr_assert_eq(rig_pick(&g, &res, 1100, NULL, &e), 0);
	cr_assert_eq(e.backend, second);
	sroute_release(g.r, &e, 1200);
	gen_run_free(&res);
	gen_run_free(&full);
}

Test(sroute_table, release_is_idempotent)
{
	struct gen_run full, res;
	struct sroute_pick a, b;
	bool tried[3] = { true, true, true };
	const char *t;
	uint16_t x;

	rig_up(&g, THREE);
	tls12_ids();
	x = first_visit(&full, 100);
	rig_handshake(&gc, full.session, &res);
	cr_assert_eq(rig_pick(&g, &res, 200, NULL, &a), 0);
	cr_assert_eq(a.how, SROUTE_TABLE);
	t = rig_show(&g, 200);
	cr_assert_not_null(strstr(t, "BUSY(1)"), "%s", t);
	/* A second connection on the same server (the only one left to
	 * it) resumes the same session: the echo makes it a second user. */
	tried[x] = false;
	cr_assert_eq(rig_pick(&g, &res, 210, tried, &b), 0);
	cr_assert_eq(b.how, SROUTE_SCHED, "the only candidate is BUSY");
	cr_assert_eq(b.backend, x);
	rig_serve(&g, &res, &b, 210);
	t = rig_show(&g, 220);
	cr_assert_not_null(strstr(t, "BUSY(2)"), "%s", t);
	/* a ends, and its end is reported three times: b keeps its mark. */
	sroute_release(g.r, &a, 300);
	sroute_release(g.r, &a, 310);
	sroute_release(g.r, &a, 320);
	t = rig_show(&g, 330);
	cr_assert_not_null(strstr(t, "BUSY(1)"), "%s", t);
	sroute_release(g.r, &b, 400);
	sroute_release(g.r, &b, 500);
	t = rig_show(&g, 600);
	cr_assert_not_null(strstr(t, "400 (200 ms ago)  IDLE"), "%s", t);
	cr_assert_null(strstr(t, "BUSY"), "%s", t);
	gen_run_free(&res);
	gen_run_free(&full);
}

/* A TLS 1.2 ticket: learned from the plaintext NewSessionTicket and
 * found again from the client's session_ticket extension alone. */
Test(sroute_table, tls12_ticket_learned_and_routed)
{
	struct gen_opts o = { .max_version = TLS1_2_VERSION };
	struct gen_run full, res;
	struct sroute_pick p;
	struct tls_srv *s = tls_srv_new(0);
	struct tls_server_stream only_ticket;
	char want[16];
	const char *t;

	rig_up(&g, THREE);
	cr_assert_eq(gen_ctx_init(&gc, &o), 0);
	rig_handshake(&gc, NULL, &full);
	cr_assert_eq(rig_pick(&g, &full, 100, NULL, &p), 0);
	/* Learn the ticket only: drop the session ID the server also sent,
	 * so the resumption below can be found by nothing but its ticket. */
	cr_assert_eq(tls_srv_feed(s, full.s2c, full.s2c_len), TLS_DONE);
	only_ticket = *tls_srv_result(s);
	cr_assert(only_ticket.has_ticket);
	cr_assert_geq(only_ticket.ticket_len, 47);
	only_ticket.session_id_len = 0;
	sroute_server(g.r, &p, &only_ticket, 100);
	sroute_release(g.r, &p, 100);
	snprintf(want, sizeof(want), "ticket:%02x%02x", only_ticket.ticket[0],
		 only_ticket.ticket[1]);
	t = rig_show(&g, 100);
	cr_assert_not_null(strstr(t, want), "no ticket row %s in %s", want, t);
	cr_assert_eq(strstr(t, "\nsid:"), NULL, "a session ID was learned: %s", t);
	rig_handshake(&gc, full.session, &res);
	{
		struct sroute_pick q;

		cr_assert_eq(rig_pick(&g, &res, 200, NULL, &q), 0);
		cr_assert_eq(q.how, SROUTE_TABLE);
		cr_assert_eq(q.backend, p.backend);
		/* OpenSSL also sent SHA-256(ticket) as the session ID and the
		 * server echoes it: that is learned too, and it is a resumption. */
		rig_serve(&g, &res, &q, 200);
		t = rig_show(&g, 200);
		cr_assert_not_null(strstr(t, "\nsid:"), "echoed ID not learned: %s", t);
		sroute_release(g.r, &q, 300);
	}
	struct sroute_stats st;
	struct sroute_be_stats be[3];

	sroute_get_stats(g.r, &st, be, 3);
	cr_assert_eq(st.resumed, 1);
	cr_assert_eq(be[p.backend].resumed, 1);
	cr_assert_eq(st.learned, 2); /* ticket, then the echoed ID */
	tls_srv_free(s);
	gen_run_free(&res);
	gen_run_free(&full);
}

Test(sroute_table, tried_and_down_backends_are_skipped)
{
	struct gen_run full, res;
	struct sroute_pick p;
	bool tried[3] = { false };
	struct sroute_stats st;
	uint16_t b;

	rig_up(&g, THREE);
	tls12_ids();
	b = first_visit(&full, 100);
	rig_handshake(&gc, full.session, &res);
	tried[b] = true;
	cr_assert_eq(rig_pick(&g, &res, 200, tried, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED);
	cr_assert_neq(p.backend, b);
	sroute_release(g.r, &p, 200);
	/* Every backend tried: nothing left. */
	memset(tried, 1, sizeof(tried));
	cr_assert_eq(rig_pick(&g, &res, 210, tried, &p), -EHOSTUNREACH);
	/* Health or the operator took b down: the scheduler, never b. */
	cr_assert_eq(disp_backend_set_admin(disp_bset_get(g.bs, b), DISP_BE_DOWN), 0);
	for (int i = 0; i < 6; i++) {
		cr_assert_eq(rig_pick(&g, &res, 300, NULL, &p), 0);
		cr_assert_eq(p.how, SROUTE_SCHED);
		cr_assert_neq(p.backend, b);
		sroute_release(g.r, &p, 300);
	}
	sroute_get_stats(g.r, &st, NULL, 0);
	cr_assert_eq(st.table_misses, 8);
	cr_assert_eq(st.busy_refused, 8);
	cr_assert_eq(st.table_hits, 0);
	/* Back up: the table again. */
	cr_assert_eq(disp_backend_set_admin(disp_bset_get(g.bs, b), DISP_BE_UP), 0);
	cr_assert_eq(rig_pick(&g, &res, 400, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_TABLE);
	cr_assert_eq(p.backend, b);
	sroute_release(g.r, &p, 400);
	gen_run_free(&res);
	gen_run_free(&full);
}

Test(sroute_table, load_guard_refuses_an_overloaded_holder)
{
	struct gen_run full, res;
	struct sroute_pick p;
	struct sroute_stats st;
	uint16_t b;

	rig_up(&g, THREE " load-guard 150 min 2\n");
	tls12_ids();
	b = first_visit(&full, 100);
	rig_handshake(&gc, full.session, &res);
	/* b carries 6 of 8 connections: 225% of the mean (8/3). */
	for (int i = 0; i < 6; i++)
		disp_backend_conn_inc(disp_bset_get(g.bs, b));
	disp_backend_conn_inc(disp_bset_get(g.bs, (b + 1) % 3));
	disp_backend_conn_inc(disp_bset_get(g.bs, (b + 2) % 3));
	cr_assert_eq(rig_pick(&g, &res, 200, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED);
	sroute_release(g.r, &p, 200);
	sroute_get_stats(g.r, &st, NULL, 0);
	cr_assert_eq(st.guard_refused, 1);
	cr_assert_eq(st.busy_refused, 0);
	/* Load evens out (4 of 6 is 200%, 3 of 5 is 180%, 2 of 4 = 150%). */
	for (int i = 0; i < 4; i++)
		disp_backend_conn_dec(disp_bset_get(g.bs, b));
	cr_assert_eq(rig_pick(&g, &res, 300, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_TABLE);
	cr_assert_eq(p.backend, b);
	sroute_release(g.r, &p, 300);
	gen_run_free(&res);
	gen_run_free(&full);
}

Test(sroute_table, flush_all_and_older_than)
{
	struct gen_run f1, f2, r1, r2;
	struct sroute_pick p;
	struct sroute_stats st;

	rig_up(&g, THREE);
	tls12_ids();
	first_visit(&f1, 1000);
	first_visit(&f2, 5000);
	sroute_get_stats(g.r, &st, NULL, 0);
	cr_assert_eq(st.table.entries, 2);
	cr_assert_eq(sroute_flush(g.r, 10000, 6000), 0, "nothing is 10 s old");
	cr_assert_eq(sroute_flush(g.r, 3000, 6000), 1);
	rig_handshake(&gc, f1.session, &r1);
	rig_handshake(&gc, f2.session, &r2);
	cr_assert_eq(rig_pick(&g, &r1, 6000, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED, "flushed session still routed");
	sroute_release(g.r, &p, 6000);
	cr_assert_eq(rig_pick(&g, &r2, 6000, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_TABLE);
	/* Flushing everything takes even a BUSY entry; its release is then
	 * a no-op rather than an error. */
	cr_assert_eq(sroute_flush(g.r, 0, 6000), 1);
	sroute_release(g.r, &p, 6100);
	sroute_get_stats(g.r, &st, NULL, 0);
	cr_assert_eq(st.table.entries, 0);
	cr_assert_eq(rig_pick(&g, &r2, 6200, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED);
	sroute_release(g.r, &p, 6200);
	gen_run_free(&r1);
	gen_run_free(&r2);
	gen_run_free(&f1);
	gen_run_free(&f2);
}

/* Full handshakes and resumptions per backend, as `show stats` lists. */
Test(sroute_table, stats_count_per_backend)
{
	struct gen_run full[3], res;
	struct sroute_pick p;
	struct sroute_stats st;
	struct sroute_be_stats be[4];
	uint16_t b[3];

	rig_up(&g, THREE);
	tls12_ids();
	for (int i = 0; i < 3; i++)
		b[i] = first_visit(&full[i], 100);
	/* rr spread the three full handshakes over the three backends. */
	cr_assert(b[0] != b[1] && b[1] != b[2] && b[0] != b[2]);
	for (int k = 0; k < 3; k++) {
		/* k + 1 resumptions of session k */
		for (int j = 0; j <= k; j++) {
			rig_handshake(&gc, full[k].session, &res);
			cr_assert_eq(rig_pick(&g, &res, 200, NULL, &p), 0);
			cr_assert_eq(p.backend, b[k]);
			rig_serve(&g, &res, &p, 200);
			sroute_release(g.r, &p, 200);
			gen_run_free(&res);
		}
	}
	cr_assert_eq(rig_pick(&g, &full[0], 300, NULL, &p), 0); /* no session */
	sroute_release(g.r, &p, 300);
	cr_assert_eq(sroute_pick(g.r, NULL, NULL, 1, 300, NULL, 0, &p), 0);
	sroute_get_stats(g.r, &st, be, 4);
	cr_assert_eq(st.hellos, 10);
	cr_assert_eq(st.not_tls, 1);
	cr_assert_eq(st.offered, 6);
	cr_assert_eq(st.table_hits, 6);
	cr_assert_eq(st.resumed, 6);
	cr_assert_eq(st.full, 3);
	/* A resumption found by the table already holds the echoed key. */
	cr_assert_eq(st.learned, 3);
	for (int k = 0; k < 3; k++) {
		cr_assert_eq(be[b[k]].full, 1);
		cr_assert_eq(be[b[k]].resumed, (uint64_t)k + 1);
	}
	cr_assert_eq(be[3].full + be[3].resumed, 0, "past the set: zeroed");
	for (int i = 0; i < 3; i++)
		gen_run_free(&full[i]);
}
