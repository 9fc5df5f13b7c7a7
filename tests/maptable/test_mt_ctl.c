/* Mapping table glue: the load view from the real backend set (conn
 * counts, admin DOWN) drives mt_pick, and `show table` through the real
 * control command path prints the paper's columns. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "ctl/ctl.h"
#include "splice/route/mt_load.h"
#include "splice/route/mt_show.h"

static struct disp_config *cfg;
static struct disp_pool *pool;
static struct disp_bset *bs;
static struct mt_table *t;

static const char conf[] =
	"service tls {\n vip 10.0.0.100:443\n client-interface e\n"
	" backend 10.0.1.1:8443\n backend 10.0.1.2:8443\n backend 10.0.1.3:443\n}\n";

static const uint8_t SID[32] = { 0xab, 0xcd, 1, 2, 3 };

static void setup(void)
{
	char err[256];
	struct mt_config mc;

	cr_assert_eq(disp_config_parse(conf, strlen(conf), "t", &cfg, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	bs = disp_pool_bset(pool, 0);
	cr_assert_not_null(bs);
	mt_config_default(&mc, 64, 3);
	cr_assert_eq(mt_create(&mc, &t), 0);
}

static void teardown(void)
{
	mt_destroy(t);
	disp_pool_free(pool);
	disp_config_free(cfg);
}

TestSuite(mt_ctl, .init = setup, .fini = teardown);

Test(mt_ctl, load_view_follows_backends)
{
	uint32_t active[3];
	bool down[3];
	struct mt_load l;
	uint16_t b;

	for (int i = 0; i < 12; i++)
		disp_backend_conn_inc(disp_bset_get(bs, 0));
	disp_backend_conn_inc(disp_bset_get(bs, 1));
	cr_assert_eq(mt_load_from_bset(&l, bs, active, down, 3), 3);
	cr_assert_eq(active[0], 12);
	cr_assert_eq(l.total_active, 13);
	cr_assert_eq(l.n_up, 3);

	/* 12 connections against a mean of 13/3: over the 150% guard, so the
	 * older copy on backend 0 is refused for the one on backend 1. */
	cr_assert_eq(mt_learn(t, SID, 32, 0, 100), 0);
	cr_assert_eq(mt_learn(t, SID, 32, 1, 200), 0);
	cr_assert_eq(mt_pick(t, SID, 32, 300, &l, &b), 0);
	cr_assert_eq(b, 1);

	/* The operator drains backend 1: its copy is skipped as DOWN, and
	 * backend 0 is still over the guard. */
	cr_assert_eq(disp_backend_set_admin(disp_bset_get(bs, 1), DISP_BE_DRAIN), 0);
	mt_load_from_bset(&l, bs, active, down, 3);
	cr_assert(down[1]);
	cr_assert_eq(l.n_up, 2);
	cr_assert_eq(mt_pick(t, SID, 32, 300, &l, &b), -EAGAIN);
}

static int show_hook(void *arg, const struct disp_ctl_args *a,
		     struct disp_ctl_out *o)
{
	(void)arg;
	return mt_show(t, bs, o, a->json, 5000);
}

static const char *exec(struct disp_ctl *ctl, const char *cmd, struct disp_ctl_out **o)
{
	*o = disp_ctl_out_new();
	cr_assert_not_null(*o);
	cr_assert_eq(disp_ctl_exec(ctl, cmd, strlen(cmd), *o), 0);
	return disp_ctl_out_str(*o, NULL);
}

Test(mt_ctl, show_table_through_the_control_command)
{
	struct disp_ctl_cmd cmd = { "show", "table", NULL, "the table", show_hook, NULL };
	struct disp_ctl *ctl;
	struct disp_ctl_out *o;
	const char *s;

	cr_assert_eq(mt_learn(t, SID, 32, 0, 1000), 0);
	cr_assert_eq(mt_learn(t, SID, 32, 2, 2000), 0);
	cr_assert_eq(mt_acquire(t, SID, 32, 2, 3000), 0);
	cr_assert_eq(disp_ctl_create_detached(&ctl), 0);
	cr_assert_eq(disp_ctl_register(ctl, &cmd), 0);

	s = exec(ctl, "show table", &o);
	cr_assert(strstr(s, "SESSION-ID  SERVER-IP  SERVER-PORT  TIMESTAMP  STATE"), "%s", s);
	cr_assert(strstr(s, "abcd010203000000000000000000000000000000000000000000000000000000"
			    "  10.0.1.1  8443  1000 (4000 ms ago)  IDLE\n"), "%s", s);
	cr_assert(strstr(s, "  10.0.1.3  443  2000 (3000 ms ago)  BUSY(1)\n"), "%s", s);
	disp_ctl_out_free(o);

	s = exec(ctl, "show table json", &o);
	cr_assert(strstr(s, "{\"table\":[{\"session_id\":\"abcd01"), "%s", s);
	cr_assert(strstr(s, "\"server_ip\":\"10.0.1.3\",\"server_port\":443,"
			    "\"timestamp_ms\":2000,\"age_ms\":3000,\"state\":\"BUSY\",\"users\":1}]}"),
		  "%s", s);
	disp_ctl_out_free(o);
	disp_ctl_close(ctl);
}
