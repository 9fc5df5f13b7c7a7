/* splicectl against a real control socket served in this process: the
 * binary is run as an operator would run it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend_ctl.h"
#include "ctl/ctl.h"
#include "splice/route/splice_route_cmd.h"

#include "../common/run_splicectl.h"

static struct disp_config *cfg;
static struct disp_pool *pool;
static struct disp_ctl *ctl;
static char sock[108], errfile[128];
static char out[16384], err[4096];

static struct sroute *no_router(void *arg, size_t svc)
{
	(void)arg;
	(void)svc;
	return NULL;
}

static void setup(void)
{
	static const char conf[] =
		"service web {\n vip 10.0.0.100:80\n client-interface e\n"
		" backend 10.0.1.1:80\n backend 10.0.1.2:80\n}\n"
		"service api {\n vip 10.0.0.101:80\n client-interface e\n"
		" backend 10.0.1.1:80\n}\n";
	char e[256];

	cr_assert_eq(disp_config_parse(conf, strlen(conf), "t", &cfg, e, sizeof(e)), 0);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	snprintf(sock, sizeof(sock), "/tmp/ct-sc-%d.sock", getpid());
	snprintf(errfile, sizeof(errfile), "/tmp/ct-sc-%d.err", getpid());
	cr_assert_eq(disp_ctl_open(sock, 0600, &ctl, e, sizeof(e)), 0, "%s", e);
	cr_assert_eq(disp_backend_ctl_register(ctl, cfg, pool), 0);
	cr_assert_eq(sroute_cmd_register_fn(ctl, cfg, pool, no_router, NULL, NULL), 0);
	cr_assert_eq(disp_ctl_start(ctl), 0);
}

static void teardown(void)
{
	disp_ctl_close(ctl);
	disp_pool_free(pool);
	disp_config_free(cfg);
	unlink(errfile);
}

/* Runs splicectl with args (a shell word list, quoted by the caller);
 * returns its exit code, stdout in out, stderr in err. */
static int run(const char *args)
{
	int r = run_splicectl(sock, args, errfile, out, sizeof(out), err, sizeof(err));

	cr_assert_neq(r, -2, "SPLICEKIT_BUILD not set, or splicectl not started");
	return r;
}

TestSuite(splicectl, .init = setup, .fini = teardown, .timeout = 20);

Test(splicectl, show_backends)
{
	cr_assert_eq(run("show backends"), 0, "%s", err);
	cr_assert_not_null(strstr(out, "service web  vip 10.0.0.100:80"), "%s", out);
	cr_assert_not_null(strstr(out, "10.0.1.2:80"), "%s", out);
	cr_assert_eq(run("show backends --json"), 0, "%s", err);
	cr_assert_eq(strncmp(out, "{\"services\":[{\"name\":\"web\"", 26), 0, "%s", out);
}

Test(splicectl, show_table_has_the_paper_columns)
{
	cr_assert_eq(run("show table"), 0, "%s", err);
	cr_assert_str_eq(out, "SESSION-ID  SERVER-IP  SERVER-PORT  TIMESTAMP  STATE\n"
			 "(no splice service)\n");
}

Test(splicectl, backend_down_drain_up)
{
	struct disp_backend *b = disp_bset_get(disp_pool_bset(pool, 0), 0);

	cr_assert_eq(run("backend 10.0.1.1:80 down"), 0, "%s", err);
	cr_assert_eq(disp_backend_state(b), DISP_BE_DOWN);
	cr_assert_not_null(strstr(out, "admin DOWN"), "%s", out);
	cr_assert_eq(run("backend 10.0.1.1:80 drain"), 0, "%s", err);
	cr_assert_eq(disp_backend_state(b), DISP_BE_DRAIN);
	cr_assert_eq(run("backend 10.0.1.1:80 up"), 0, "%s", err);
	cr_assert_eq(disp_backend_state(b), DISP_BE_UP);
}

Test(splicectl, backend_scoped_to_one_service)
{
	struct disp_backend *web = disp_bset_get(disp_pool_bset(pool, 0), 0);
	struct disp_backend *api = disp_bset_get(disp_pool_bset(pool, 1), 0);

	cr_assert_eq(run("backend api/10.0.1.1:80 down"), 0, "%s", err);
	cr_assert_str_eq(out, "api 10.0.1.1:80: admin DOWN, now DOWN, weight 1\n");
	cr_assert_eq(disp_backend_state(api), DISP_BE_DOWN);
	cr_assert_eq(disp_backend_state(web), DISP_BE_UP, "web's copy must not move");
	cr_assert_eq(run("backend 10.0.1.1:80 drain"), 0, "%s", err);
	cr_assert_eq(disp_backend_state(api), DISP_BE_DRAIN);
	cr_assert_eq(disp_backend_state(web), DISP_BE_DRAIN, "no SERVICE/: every service");
	cr_assert_eq(run("backend web/10.0.1.1:80 up --json"), 0, "%s", err);
	cr_assert_str_eq(out, "{\"service\":\"web\",\"backend\":\"10.0.1.1:80\",\"admin\":\"UP\",\"state\":\"UP\",\"weight\":1}\n");
	cr_assert_eq(disp_backend_state(api), DISP_BE_DRAIN);
	cr_assert_eq(run("backend nosuch/10.0.1.1:80 up"), 1);
	cr_assert_not_null(strstr(err, "no service 'nosuch'"), "%s", err);
	cr_assert_eq(run("backend api/10.0.1.2:80 up"), 1);
	cr_assert_not_null(strstr(err, "service api has no backend 10.0.1.2:80"), "%s", err);
	cr_assert_eq(run("backend api/bogus up"), 1);
	cr_assert_not_null(strstr(err, "'bogus' is not IP:PORT"), "%s", err);
	cr_assert_eq(run("backend 10.0.1.1:80 up"), 0, "%s", err);
}

/* A live weight change reaches the scheduler: round-robin over web's two
 * backends goes from 1:1 to 1:3, and `show backends` shows it. */
Test(splicectl, set_weight)
{
	struct disp_bset *web = disp_pool_bset(pool, 0);
	struct disp_backend *b2 = disp_bset_get(web, 1);
	unsigned n2 = 0;

	cr_assert_eq(run("set weight web/10.0.1.2:80 3"), 0, "%s", err);
	cr_assert_str_eq(out, "web 10.0.1.2:80: admin UP, now UP, weight 3\n");
	cr_assert_eq(disp_backend_weight(b2), 3);
	for (int i = 0; i < 400; i++)
		n2 += disp_bset_pick(web, NULL) == b2;
	cr_expect_eq(n2, 300, "weight 3 of 4 should get 300 of 400 picks, got %u", n2);
	cr_assert_eq(run("show backends --json"), 0, "%s", err);
	cr_assert_not_null(strstr(out, "\"address\":\"10.0.1.2:80\",\"state\":\"UP\",\"admin\":\"UP\","
				     "\"healthy\":true,\"probe\":\"ok\",\"weight\":3"), "%s", out);
	cr_assert_eq(run("set weight 10.0.1.2:80 0"), 1);
	cr_assert_not_null(strstr(err, "'0' is not a weight (expected 1..256)"), "%s", err);
	cr_assert_eq(run("set weight 10.0.1.2:80 257"), 1);
	cr_assert_eq(run("set weight api/10.0.1.2:80 2"), 1);
	cr_assert_not_null(strstr(err, "service api has no backend 10.0.1.2:80"), "%s", err);
	cr_assert_eq(disp_backend_weight(b2), 3, "a refused change changes nothing");
	cr_assert_eq(run("set weight web/10.0.1.2:80 1"), 0, "%s", err);
}

Test(splicectl, errors_and_usage)
{
	cr_assert_eq(run("backend 10.0.1.9:80 down"), 1);
	cr_assert_not_null(strstr(err, "spliced says: no backend 10.0.1.9:80"), "%s", err);
	cr_assert_eq(run("backend 10.0.1.1:80 sideways"), 2);
	cr_assert_eq(run("show nothing"), 2);
	cr_assert_eq(run("frobnicate"), 2);
	cr_assert_eq(run("backend nonsense down"), 1);
	cr_assert_not_null(strstr(err, "is not IP:PORT"), "%s", err);
}

Test(splicectl, argument_cannot_inject_a_command)
{
	struct disp_backend *b2 = disp_bset_get(disp_pool_bset(pool, 0), 1);

	cr_assert_eq(run("backend \"$(printf '10.0.1.1:80 up\\nbackend 10.0.1.2:80')\" down"), 1);
	cr_assert_not_null(strstr(err, "space or control character"), "%s", err);
	cr_assert_eq(disp_backend_state(b2), DISP_BE_UP);
}

Test(splicectl, watch_refreshes_count_times)
{
	cr_assert_eq(run("watch -n 1 -c 2"), 0, "%s", err);
	char *first = strstr(out, "service web"), *second = first ? strstr(first + 1, "service web") : NULL;
	cr_assert_not_null(second, "two frames expected: %s", out);
	cr_assert_null(strstr(second + 1, "service web"), "only two frames");
	cr_assert_not_null(strstr(out, "uptime"), "stats missing: %s", out);
	cr_assert_eq(run("watch -n 0"), 2);
}

Test(splicectl, no_daemon)
{
	char saved[108];

	strcpy(saved, sock);
	strcpy(sock, "/tmp/ct-nonexistent.sock");
	cr_assert_eq(run("show backends"), 1);
	cr_assert_not_null(strstr(err, "cannot connect to /tmp/ct-nonexistent.sock"), "%s", err);
	cr_assert_not_null(strstr(err, "is spliced running?"), "%s", err);
	strcpy(sock, saved);
}
