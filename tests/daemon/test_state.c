/* The state file: a golden table of inputs (what is applied, skipped or
 * refused, with the line named), and a save/load round trip through a
 * real file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend_state.h"
#include "conf/config.h"

static struct disp_config *cfg;
static struct disp_pool *pool;

static struct disp_pool *new_pool(void)
{
	static const char conf[] =
		"service web {\n vip 10.0.0.100:80\n client-interface e\n"
		" backend 10.0.1.1:80\n backend 10.0.1.2:80\n}\n"
		"service api {\n vip 10.0.0.101:80\n client-interface e\n"
		" backend 10.0.1.1:80\n}\n";
	struct disp_pool *p;
	char e[256];

	if (!cfg)
		cr_assert_eq(disp_config_parse(conf, strlen(conf), "t", &cfg, e, sizeof(e)), 0, "%s", e);
	cr_assert_eq(disp_pool_create(cfg, &p), 0);
	return p;
}

static void setup(void)
{
	pool = new_pool();
}

static void teardown(void)
{
	disp_pool_free(pool);
	disp_config_free(cfg);
	cfg = NULL;
}

static struct disp_backend *be(size_t svc, size_t i)
{
	return disp_bset_get(disp_pool_bset(pool, svc), i);
}

/* input | return | err holds | applied | skipped */
static const struct {
	const char *in;
	int rc;
	const char *err;
	unsigned applied, skipped;
} golden[] = {
	{ "", 0, "", 0, 0 },
	{ "# only a comment\n\n", 0, "", 0, 0 },
	{ "backend web 10.0.1.2:80 admin DOWN weight 3\n", 0, "", 1, 0 },
	{ "backend web 10.0.1.2:80 admin DOWN weight 3", 0, "", 1, 0 }, /* no final newline */
	{ "backend  web   10.0.1.2:80 admin drain weight 3\n", 0, "", 1, 0 },
	{ "backend gone 10.0.1.2:80 admin DOWN weight 3\n", 0, "", 0, 1 },
	{ "backend api 10.0.1.2:80 admin DOWN weight 3\n", 0, "", 0, 1 },
	{ "backend web 10.0.1.2:80 admin DOWN weight 3\nbackend web 10.0.1.1:80 admin SIDEWAYS weight 1\n",
	  -EINVAL, "line 2: 'SIDEWAYS' is not a state", 0, 0 },
	{ "backend web 10.0.1.2:80 admin DOWN weight 0\n", -EINVAL, "line 1: '0' is not a weight", 0, 0 },
	{ "backend web 10.0.1.2:80 admin DOWN weight 257\n", -EINVAL, "'257' is not a weight", 0, 0 },
	{ "backend web 10.0.1.2:80 admin DOWN weight 99999999999999999999\n", -EINVAL, "is not a weight", 0, 0 },
	{ "backend web 10.0.1.2 admin DOWN weight 3\n", -EINVAL, "'10.0.1.2' is not IP:PORT", 0, 0 },
	{ "backend web 10.0.1.2:80 admin DOWN\n", -EINVAL, "line 1: expected 'backend SERVICE", 0, 0 },
	{ "backend web 10.0.1.2:80 admin DOWN weight 3 extra\n", -EINVAL, "expected 'backend", 0, 0 },
	{ "server web 10.0.1.2:80 admin DOWN weight 3\n", -EINVAL, "expected 'backend", 0, 0 },
	{ "backend web 10.0.1.2:80 admin DOWN weight 3\r\n", -EINVAL, "line 1", 0, 0 },
	{ "backend w\xc3\xa9" "b 10.0.1.2:80 admin DOWN weight 3\n", -EINVAL, "line 1", 0, 0 },
	/* run-time additions and deletions (add backend, del backend) */
	{ "backend web 10.0.1.9:80 admin DRAIN weight 4 added\n", 0, "", 1, 0 },
	{ "backend web 10.0.1.2:80 admin DOWN weight 3 added\n", 0, "", 1, 0 }, /* already there */
	{ "backend gone 10.0.1.9:80 admin UP weight 4 added\n", 0, "", 0, 1 },
	{ "backend web 10.0.1.9:80 admin UP weight 4 removed\n", -EINVAL, "line 1: expected 'backend", 0, 0 },
	{ "deleted web 10.0.1.2:80\n", 0, "", 1, 0 },
	{ "deleted web 10.0.1.2:80\ndeleted web 10.0.1.1:80\n", 0, "", 1, 1 }, /* not the last */
	{ "deleted web 10.0.1.7:80\n", 0, "", 0, 1 },
	{ "deleted gone 10.0.1.2:80\n", 0, "", 0, 1 },
	{ "deleted web 10.0.1.2\n", -EINVAL, "line 1: '10.0.1.2' is not IP:PORT", 0, 0 },
	{ "deleted web\n", -EINVAL, "line 1: expected", 0, 0 },
	{ "deleted web 10.0.1.2:80 now\n", -EINVAL, "line 1: expected", 0, 0 },
};

TestSuite(state, .init = setup, .fini = teardown);

Test(state, golden_table)
{
	for (size_t k = 0; k < sizeof(golden) / sizeof(golden[0]); k++) {
		struct disp_state_result res;
		char err[256] = "";
		int rc;

		disp_pool_free(pool);
		pool = new_pool();
		rc = disp_pool_state_apply(pool, golden[k].in, strlen(golden[k].in), &res, err,
					   sizeof(err));
		cr_expect_eq(rc, golden[k].rc, "case %zu: rc %d, want %d (%s)", k, rc, golden[k].rc, err);
		cr_expect_not_null(strstr(err, golden[k].err), "case %zu: err '%s', want '%s'", k, err,
				   golden[k].err);
		if (rc == 0) {
			cr_expect_eq(res.applied, golden[k].applied, "case %zu: applied %u", k, res.applied);
			cr_expect_eq(res.skipped, golden[k].skipped, "case %zu: skipped %u", k, res.skipped);
		} else {
			/* refused: nothing changed, not even the good first line */
			cr_expect_eq(disp_backend_admin(be(0, 1)), DISP_BE_UP, "case %zu", k);
			cr_expect_eq(disp_backend_weight(be(0, 1)), 1, "case %zu", k);
		}
	}
}

Test(state, applies_to_the_named_service_only)
{
	static const char in[] = "backend api 10.0.1.1:80 admin DRAIN weight 7\n";
	struct disp_state_result res;
	char err[256];

	cr_assert_eq(disp_pool_state_apply(pool, in, strlen(in), &res, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(disp_backend_admin(be(1, 0)), DISP_BE_DRAIN);
	cr_expect_eq(disp_backend_weight(be(1, 0)), 7);
	cr_expect_eq(disp_backend_admin(be(0, 0)), DISP_BE_UP, "web's copy of the address");
	cr_expect_eq(disp_backend_weight(be(0, 0)), 1);
}

Test(state, runtime_backends_round_trip)
{
	struct disp_backend_conf bc = { .weight = 5 };
	struct disp_state_result res;
	struct disp_pool *again;
	struct disp_bset *web;
	char path[64], err[256] = "";

	snprintf(path, sizeof(path), "/tmp/ops-state-rt-%d", getpid());
	cr_assert_eq(disp_addr_parse("10.0.1.9:80", 11, true, &bc.addr), 0);
	cr_assert_eq(disp_bset_add(disp_pool_bset(pool, 0), &bc, DISP_BE_DRAIN, NULL), 0);
	cr_assert_eq(disp_bset_remove(disp_pool_bset(pool, 0), be(0, 0)), 0);
	cr_assert_eq(disp_pool_state_save(pool, path), 0);

	again = new_pool();
	cr_assert_eq(disp_pool_state_load(again, path, &res, err, sizeof(err)), 0, "%s", err);
	web = disp_pool_bset(again, 0);
	cr_expect_not(disp_backend_present(disp_bset_get(web, 0)), "deleted again at start");
	cr_expect_not_null(disp_bset_find(web, &bc.addr), "added again at start");
	cr_expect_eq(disp_backend_weight(disp_bset_find(web, &bc.addr)), 5);
	cr_expect_eq(disp_backend_admin(disp_bset_find(web, &bc.addr)), DISP_BE_DRAIN);
	cr_expect_eq(disp_backend_runtime(disp_bset_find(web, &bc.addr)), 1, "still recorded as added");
	disp_pool_free(again);
	unlink(path);
}

Test(state, round_trip_through_a_file)
{
	char path[64], err[256] = "";
	struct disp_state_result res;
	struct disp_pool *again;

	snprintf(path, sizeof(path), "/tmp/ops-state-%d", getpid());
	cr_assert_eq(disp_backend_set_admin(be(0, 1), DISP_BE_DOWN), 0);
	cr_assert_eq(disp_bset_set_weight(disp_pool_bset(pool, 0), be(0, 0), 5), 0);
	cr_assert_eq(disp_backend_set_admin(be(1, 0), DISP_BE_DRAIN), 0);
	cr_assert_eq(disp_pool_state_save(pool, path), 0);
	cr_assert_eq(access(strcat(strcpy(err, path), ".tmp"), F_OK), -1, "temporary file left");

	again = new_pool();
	cr_assert_eq(disp_pool_state_load(again, path, &res, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(res.applied, 3);
	cr_expect_eq(disp_backend_admin(disp_bset_get(disp_pool_bset(again, 0), 1)), DISP_BE_DOWN);
	cr_expect_eq(disp_backend_weight(disp_bset_get(disp_pool_bset(again, 0), 0)), 5);
	cr_expect_eq(disp_backend_admin(disp_bset_get(disp_pool_bset(again, 1), 0)), DISP_BE_DRAIN);
	disp_pool_free(again);
	unlink(path);

	cr_expect_eq(disp_pool_state_load(pool, path, &res, err, sizeof(err)), 0, "a missing file is a first start");
	cr_expect_eq(res.applied, 0);
}
