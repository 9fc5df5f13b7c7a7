/* Session router, configured prefixes: TLS 1.3 resumptions (whose
 * sessions the table cannot learn in clear) routed by the backend's ticket
 * key name (ticket-key-file) or session-ID prefix, from real OpenSSL
 * servers configured the same way; and the no-routing cases. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "splice/route/splice_route.h"

#include "splice_route_rig.h"

static struct rig g;
static struct gen_ctx gc;
static char key_path[64];

static void fini(void)
{
	rig_down(&g);
	gen_ctx_free(&gc);
	if (key_path[0])
		unlink(key_path);
}

TestSuite(sroute_prefix, .fini = fini);

/* An 80-byte nginx-style key file whose key_name is name. */
static void write_key(const uint8_t name[16])
{
	int fd;
	uint8_t buf[80];

	snprintf(key_path, sizeof(key_path), "/tmp/sk-sroute-XXXXXX");
	fd = mkstemp(key_path);
	cr_assert_geq(fd, 0);
	memcpy(buf, name, 16);
	memset(buf + 16, 0xee, 64);
	cr_assert_eq(write(fd, buf, sizeof(buf)), 80);
	close(fd);
}

/* Full handshake, then n resumptions; each must go to want by prefix.
 * The full one's server bytes are fed too (nothing to learn in 1.3). */
static void resume_to(unsigned n, uint16_t want)
{
	struct gen_run full, res;
	struct sroute_pick p;

	cr_assert_eq(gen_handshake(&gc, NULL, NULL, 0, NULL, &full), 0);
	cr_assert(SSL_SESSION_is_resumable(full.session));
	cr_assert_eq(rig_pick(&g, &full, 100, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED);
	rig_serve(&g, &full, &p, 100);
	sroute_release(g.r, &p, 100);
	for (unsigned i = 0; i < n; i++) {
		rig_handshake(&gc, full.session, &res);
		cr_assert_eq(rig_pick(&g, &res, 200, NULL, &p), 0);
		cr_assert_eq(p.how, SROUTE_PREFIX, "resumption %u", i);
		cr_assert_eq(p.backend, want);
		cr_assert_eq(p.offered, 1);
		cr_assert_eq(p.sid_len, 0, "TLS 1.3 legacy ID taken for a session");
		rig_serve(&g, &res, &p, 200);
		sroute_release(g.r, &p, 200);
		gen_run_free(&res);
	}
	gen_run_free(&full);
}

Test(sroute_prefix, tls13_ticket_key_file)
{
	static const uint8_t name[16] = "sk-backend-two!";
	struct gen_opts o = { .max_version = TLS1_3_VERSION, .ticket_name = name };
	struct sroute_stats st;
	struct sroute_be_stats be[3];
	char body[512];

	write_key(name);
	snprintf(body, sizeof(body),
		 " backend 10.0.1.1:443\n backend 10.0.1.2:443 ticket-key-file %s\n"
		 " backend 10.0.1.3:443\n", key_path);
	rig_up(&g, body);
	cr_assert_eq(gen_ctx_init(&gc, &o), 0);
	resume_to(4, 1);
	sroute_get_stats(g.r, &st, be, 3);
	cr_assert_eq(st.prefix_routed, 4);
	cr_assert_eq(st.resumed, 4);
	cr_assert_eq(be[1].resumed, 4);
	cr_assert_eq(st.full, 1);
	cr_assert_eq(st.learned, 0, "TLS 1.3 has nothing to learn in clear");
	cr_assert_eq(st.table.entries, 0);
}

Test(sroute_prefix, tls13_session_id_prefix_stateful_psk)
{
	static const uint8_t pfx[2] = { 0x5b, 0x03 };
	/* SSL_OP_NO_TICKET in TLS 1.3: stateful PSKs named by the (prefixed)
	 * session ID. */
	struct gen_opts o = { .max_version = TLS1_3_VERSION, .no_tickets = true,
			      .sid_prefix = pfx, .sid_prefix_len = sizeof(pfx) };

	rig_up(&g, " backend 10.0.1.1:443 session-id-prefix 5b01\n"
		   " backend 10.0.1.2:443 session-id-prefix 5b02\n"
		   " backend 10.0.1.3:443 session-id-prefix 5b03\n");
	cr_assert_eq(gen_ctx_init(&gc, &o), 0);
	resume_to(3, 2);
}

Test(sroute_prefix, tls12_session_id_prefix_needs_no_table_entry)
{
	static const uint8_t pfx[2] = { 0x5b, 0x01 };
	struct gen_opts o = { .max_version = TLS1_2_VERSION, .no_tickets = true,
			      .sid_prefix = pfx, .sid_prefix_len = sizeof(pfx) };
	struct gen_run full, res;
	struct sroute_pick p;

	rig_up(&g, " backend 10.0.1.1:443 session-id-prefix 5b01\n"
		   " backend 10.0.1.2:443\n");
	cr_assert_eq(gen_ctx_init(&gc, &o), 0);
	rig_handshake(&gc, NULL, &full);
	rig_handshake(&gc, full.session, &res);
	cr_assert_eq(rig_pick(&g, &res, 100, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_PREFIX);
	cr_assert_eq(p.backend, 0);
	sroute_release(g.r, &p, 100);
	gen_run_free(&res);
	gen_run_free(&full);
}

Test(sroute_prefix, tried_or_down_prefix_backend_falls_back)
{
	static const uint8_t pfx[2] = { 0x5b, 0x02 };
	struct gen_opts o = { .max_version = TLS1_3_VERSION, .no_tickets = true,
			      .sid_prefix = pfx, .sid_prefix_len = sizeof(pfx) };
	struct gen_run full, res;
	struct sroute_pick p;
	bool tried[2] = { false, true };

	rig_up(&g, " backend 10.0.1.1:443\n backend 10.0.1.2:443 session-id-prefix 5b02\n");
	cr_assert_eq(gen_ctx_init(&gc, &o), 0);
	rig_handshake(&gc, NULL, &full);
	rig_handshake(&gc, full.session, &res);
	cr_assert_eq(rig_pick(&g, &res, 100, tried, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED);
	cr_assert_eq(p.backend, 0);
	cr_assert_eq(disp_backend_set_admin(disp_bset_get(g.bs, 1), DISP_BE_DRAIN), 0);
	cr_assert_eq(rig_pick(&g, &res, 100, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED);
	cr_assert_eq(p.backend, 0);
	gen_run_free(&res);
	gen_run_free(&full);
}

/* session-table off: every connection by the scheduler (the comparison
 * the issue asks for), counters still kept, nothing learned or shown. */
Test(sroute_prefix, session_table_off_is_plain_balancing)
{
	struct gen_opts o = { .max_version = TLS1_2_VERSION, .no_tickets = true };
	struct gen_run full, res;
	struct sroute_pick p;
	struct sroute_stats st;
	unsigned seen[3] = { 0 };
	const char *t;

	rig_up(&g, " session-table off\n backend 10.0.1.1:443\n backend 10.0.1.2:443 session-id-prefix 5b02\n"
		   " backend 10.0.1.3:443\n");
	cr_assert_eq(gen_ctx_init(&gc, &o), 0);
	rig_handshake(&gc, NULL, &full);
	for (int i = 0; i < 6; i++) {
		rig_handshake(&gc, full.session, &res);
		cr_assert_eq(rig_pick(&g, &res, 100, NULL, &p), 0);
		cr_assert_eq(p.how, SROUTE_SCHED);
		seen[p.backend]++;
		rig_serve(&g, &res, &p, 100);
		sroute_release(g.r, &p, 100);
		gen_run_free(&res);
	}
	cr_assert_eq(seen[0], 2);
	cr_assert_eq(seen[1], 2);
	cr_assert_eq(seen[2], 2);
	sroute_get_stats(g.r, &st, NULL, 0);
	cr_assert_eq(st.resumed, 6, "counted even without routing");
	cr_assert_eq(st.learned, 0);
	cr_assert_eq(sroute_flush(g.r, 0, 100), 0);
	t = rig_show(&g, 100);
	cr_assert_not_null(strstr(t, "session-table off"), "%s", t);
	gen_run_free(&full);
}

Test(sroute_prefix, no_hello_and_no_backend)
{
	struct sroute_pick p;
	struct sroute_stats st;

	rig_up(&g, " scheduler wlc\n backend 10.0.1.1:443\n backend 10.0.1.2:443\n");
	cr_assert_eq(sroute_pick(g.r, NULL, NULL, 3, 0, NULL, 0, &p), 0);
	cr_assert_eq(p.how, SROUTE_SCHED);
	cr_assert_not_null(p.be);
	/* Release without marks, and server bytes before any hello: no-ops. */
	sroute_release(g.r, &p, 0);
	cr_assert_eq(disp_backend_set_admin(disp_bset_get(g.bs, 0), DISP_BE_DOWN), 0);
	cr_assert_eq(disp_backend_set_admin(disp_bset_get(g.bs, 1), DISP_BE_DOWN), 0);
	cr_assert_eq(sroute_pick(g.r, NULL, NULL, 3, 0, NULL, 0, &p), -EHOSTUNREACH);
	cr_assert_null(p.be);
	sroute_get_stats(g.r, &st, NULL, 0);
	cr_assert_eq(st.not_tls, 2);
	cr_assert_eq(st.hellos, 0);
}

Test(sroute_prefix, create_refuses_a_mismatched_set)
{
	struct rig two;
	struct sroute *r = NULL;
	char err[256];

	rig_up(&g, " backend 10.0.1.1:443\n");
	rig_up(&two, " backend 10.0.1.1:443\n backend 10.0.1.2:443\n");
	cr_assert_eq(sroute_create(&r, &g.cfg->services[0], two.bs, err, sizeof(err)),
		     -EINVAL);
	cr_assert_null(r);
	cr_assert_not_null(strstr(err, "service 's'"), "%s", err);
	rig_down(&two);
}
