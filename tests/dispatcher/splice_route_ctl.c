/* `show table`, `flush` and the splice part of `show stats` over a real
 * control socket, with a real session router that learned a real OpenSSL
 * session; the splicectl binary run as an operator runs it. The engine
 * (which needs raw sockets) is replaced by a lookup of the router; the
 * commands are the ones spliced registers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"

#include "splice/route/splice_route_cmd.h"
#include "../common/run_splicectl.h"
#include "splice_route_rig.h"

static struct rig g;          /* g.r: service 1's router */
static struct disp_ctl *ctl;
static struct gen_ctx gc;
static struct disp_ctl_out *o;
static bool no_router;        /* service 1 as if its engine had none */
static char sock[108], errfile[128];
static char out[16384], err[4096];

static struct sroute *route(void *arg, size_t svc)
{
	(void)arg;
	return svc == 1 && !no_router ? g.r : NULL;
}

/* The routers' clock as the rig set it: entries learned at 1000 and 2000. */
static uint64_t fixed_now(void)
{
	return 10000;
}

static void setup(void)
{
	static const char conf[] =
		"service web {\n vip 10.0.0.100:80\n client-interface e\n backend 10.0.1.1:80\n}\n"
		"service tls {\n vip 10.0.0.100:443\n client-interface e\n mode splice\n"
		" backend 10.0.1.1:443\n backend 10.0.1.2:443\n}\n";
	struct gen_opts go = { .max_version = TLS1_2_VERSION, .no_tickets = true };
	struct gen_run full, res;
	struct sroute_pick p;
	char e[256];

	memset(&g, 0, sizeof(g));
	cr_assert_eq(disp_config_parse(conf, strlen(conf), "t", &g.cfg, e, sizeof(e)), 0, "%s", e);
	cr_assert_eq(disp_pool_create(g.cfg, &g.pool), 0);
	g.bs = disp_pool_bset(g.pool, 1);
	cr_assert_eq(sroute_create(&g.r, &g.cfg->services[1], g.bs, e, sizeof(e)), 0, "%s", e);
	snprintf(sock, sizeof(sock), "/tmp/sk-srctl-%d.sock", getpid());
	snprintf(errfile, sizeof(errfile), "/tmp/sk-srctl-%d.err", getpid());
	cr_assert_eq(disp_ctl_open(sock, 0600, &ctl, e, sizeof(e)), 0, "%s", e);
	cr_assert_eq(sroute_cmd_register_fn(ctl, g.cfg, g.pool, route, NULL, fixed_now), 0);
	cr_assert_eq(disp_ctl_start(ctl), 0);
	o = disp_ctl_out_new();
	/* One full handshake (learned at 1000) and one resumption. */
	cr_assert_eq(gen_ctx_init(&gc, &go), 0);
	rig_handshake(&gc, NULL, &full);
	cr_assert_eq(rig_pick(&g, &full, 1000, NULL, &p), 0);
	rig_serve(&g, &full, &p, 1000);
	sroute_release(g.r, &p, 1000);
	rig_handshake(&gc, full.session, &res);
	cr_assert_eq(rig_pick(&g, &res, 2000, NULL, &p), 0);
	cr_assert_eq(p.how, SROUTE_TABLE);
	rig_serve(&g, &res, &p, 2000);
	sroute_release(g.r, &p, 2000);
	gen_run_free(&full);
	gen_run_free(&res);
}

static void teardown(void)
{
	disp_ctl_close(ctl);
	disp_ctl_out_free(o);
	gen_ctx_free(&gc);
	rig_down(&g);
	unlink(errfile);
}

TestSuite(sroute_ctl, .init = setup, .fini = teardown, .timeout = 30);

/* One command through disp_ctl_exec; returns its status, body in out. */
static int exec(const char *line)
{
	size_t len;
	int r;

	disp_ctl_out_free(o);
	o = disp_ctl_out_new();
	r = disp_ctl_exec(ctl, line, strlen(line), o);
	snprintf(out, sizeof(out), "%s", disp_ctl_out_str(o, &len));
	return r;
}

/* Runs the splicectl binary; exit code, stdout in out, stderr in err. */
static int run(const char *args)
{
	int r = run_splicectl(sock, args, errfile, out, sizeof(out), err, sizeof(err));

	cr_assert_neq(r, -2, "SPLICEKIT_BUILD not set, or splicectl not started");
	return r;
}

Test(sroute_ctl, show_table_lists_splice_services)
{
	cr_assert_eq(run("show table"), 0, "%s", err);
	cr_assert_null(strstr(out, "service web"), "nat service listed: %s", out);
	cr_assert_not_null(strstr(out, "service tls\nSESSION-ID  SERVER-IP  SERVER-PORT  TIMESTAMP  STATE\nsid:"), "%s", out);
	cr_assert_not_null(strstr(out, "  2000 (8000 ms ago)  IDLE\n"), "%s", out);
	cr_assert_eq(run("show table --json"), 0, "%s", err);
	static const char head[] =
		"{\"services\":[{\"service\":\"tls\",\"session_table\":{\"table\":[{\"session_id\":\"sid:";
	cr_assert_eq(strncmp(out, head, sizeof(head) - 1), 0, "%s", out);
	cr_assert_not_null(strstr(out, "\"state\":\"IDLE\",\"users\":0}]}\n}]}\n"), "%s", out);
	no_router = true;
	cr_assert_eq(exec("show table"), 0);
	cr_assert_str_eq(out, "service tls\n(no session router running)\n");
	cr_assert_eq(exec("show table json"), 0);
	cr_assert_str_eq(out, "{\"services\":[{\"service\":\"tls\",\"session_table\":null}]}\n");
}

Test(sroute_ctl, flush_by_age_then_all)
{
	/* Touched at 2000, now 10000: 8 s old. */
	cr_assert_eq(run("flush --older-than 9"), 0, "%s", err);
	cr_assert_str_eq(out, "flushed 0 entries\n");
	cr_assert_eq(run("flush --older-than 8 --json"), 0, "%s", err);
	cr_assert_str_eq(out, "{\"flushed\":1}\n");
	cr_assert_eq(run("flush"), 0, "%s", err);
	cr_assert_str_eq(out, "flushed 0 entries\n");
	cr_assert_eq(run("show table"), 0, "%s", err);
	cr_assert_null(strstr(out, "IDLE"), "%s", out);
}

Test(sroute_ctl, flush_all)
{
	cr_assert_eq(exec("flush"), 0);
	cr_assert_str_eq(out, "flushed 1 entry\n");
}

Test(sroute_ctl, flush_bad_arguments)
{
	static const struct { const char *args, *msg; } cli[] = {
		{ "flush --older-than 0", "'0' is not a number of seconds in 1..315360000" },
		{ "flush --older-than -5", "'-5' is not a number of seconds" },
		{ "flush --older-than 1h", "'1h' is not a number of seconds" },
		{ "flush --older-than 99999999999", "is not a number of seconds" },
		{ "flush --older-than", "--older-than needs a number of seconds" },
		{ "flush now", "unexpected 'now'" },
	};
	static const struct { const char *line, *msg; } daemon[] = {
		{ "flush older-than", "usage: flush [older-than SECONDS]" },
		{ "flush older-than 0", "'0' is not a number of seconds in 1..315360000" },
		{ "flush older-than 315360001", "is not a number of seconds" },
		{ "flush older-than 5x", "'5x' is not a number of seconds" },
		{ "flush newer-than 5", "usage: flush [older-than SECONDS]" },
		{ "flush older-than 5 6", "usage: flush" },
	};

	for (size_t i = 0; i < sizeof(cli) / sizeof(cli[0]); i++) {
		cr_assert_eq(run(cli[i].args), 2, "%s: accepted", cli[i].args);
		cr_assert_not_null(strstr(err, cli[i].msg), "%s: '%s'", cli[i].args, err);
	}
	for (size_t i = 0; i < sizeof(daemon) / sizeof(daemon[0]); i++) {
		cr_assert_lt(exec(daemon[i].line), 0, "%s: accepted", daemon[i].line);
		cr_assert_not_null(strstr(out, daemon[i].msg), "%s: '%s'", daemon[i].line, out);
	}
	/* Nothing was flushed by any of them. */
	cr_assert_eq(exec("show table"), 0);
	cr_assert_not_null(strstr(out, "IDLE"), "%s", out);
}

Test(sroute_ctl, show_stats_per_service_and_backend)
{
	struct sroute_stats st;
	struct sroute_be_stats be[2];
	char want[128];
	size_t b;

	sroute_get_stats(g.r, &st, be, 2);
	b = be[0].full ? 0 : 1;
	cr_assert_eq(run("show stats"), 0, "%s", err);
	cr_assert_not_null(strstr(out, "service tls (splice)\n  hellos           2\n"), "%s", out);
	cr_assert_not_null(strstr(out, "  resumed          1\n  full             1\n"), "%s", out);
	cr_assert_not_null(strstr(out, "  table_hits       1\n"), "%s", out);
	cr_assert_not_null(strstr(out, "  table_entries    1/65536"), "%s", out);
	snprintf(want, sizeof(want), "  backend 10.0.1.%zu:443%*s full 1 resumed 1\n", b + 1, 12, "");
	cr_assert_not_null(strstr(out, want), "want '%s' in %s", want, out);
	cr_assert_eq(run("show stats --json"), 0, "%s", err);
	cr_assert_not_null(strstr(out, "\"splice\":[{\"service\":\"tls\",\"hellos\":2,"), "%s", out);
	snprintf(want, sizeof(want), "{\"backend\":\"10.0.1.%zu:443\",\"full\":1,\"resumed\":1}", b + 1);
	cr_assert_not_null(strstr(out, want), "%s", out);
	cr_assert_not_null(strstr(out, "\"table_entries\":1,\"table_cap\":65536,"), "%s", out);
}
