/* Reload: which config changes a running spliced takes (a golden table of
 * edits to one base config, each accepted or refused with its file:line),
 * and what applying one does to a live backend set: backends added and
 * removed (draining), the weight rule, admin states kept, the scheduler
 * switched, no room refused whole, pickers running meanwhile. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "daemon/reload_check.h"

/* The base config; a table row replaces one line of it (by its first
 * words) or appends lines. Line numbers: 1 control-socket, 2 workers,
 * 3 service web, 4 vip, ... */
static const char base[] =
	"control-socket /run/t.sock\n"     /* 1 */
	"workers 1\n"                       /* 2 */
	"service web {\n"                   /* 3 */
	" vip 10.0.0.100:80\n"              /* 4 */
	" mode nat\n"                       /* 5 */
	" client-interface e0\n"            /* 6 */
	" server-interface e1\n"            /* 7 */
	" scheduler rr\n"                   /* 8 */
	" backend 10.0.1.1:80\n"            /* 9 */
	" backend 10.0.1.2:80 weight 2\n"   /* 10 */
	" timeout established 300s\n"       /* 11 */
	"}\n"                               /* 12 */
	"service tls {\n"                   /* 13 */
	" vip 10.0.0.100:443\n"             /* 14 */
	" mode splice\n"                    /* 15 */
	" client-interface e0\n"            /* 16 */
	" backend 10.0.1.1:443\n"           /* 17 */
	" backend 10.0.1.2:443\n"           /* 18 */
	"}\n";

static struct disp_config *parse(const char *text, const char *name)
{
	struct disp_config *c = NULL;
	char e[512] = "";

	cr_assert_eq(disp_config_parse(text, strlen(text), name, &c, e, sizeof(e)), 0,
		     "%s: %s", name, e);
	return c;
}

/* base with line `line` (1-based) replaced by with (NULL: deleted; may
 * hold several lines). */
static char *edit(unsigned line, const char *with)
{
	static char out[4096];
	const char *p = base;
	size_t off = 0;

	for (unsigned n = 1; *p; n++) {
		const char *nl = strchr(p, '\n');
		size_t len = (size_t)(nl - p) + 1;

		if (n == line) {
			if (with)
				off += (size_t)snprintf(out + off, sizeof(out) - off, "%s\n", with);
		} else {
			memcpy(out + off, p, len);
			off += len;
		}
		p += len;
	}
	out[off] = '\0';
	return out;
}

/* line to replace | replacement | 0 or the text the refusal holds */
static const struct {
	unsigned line;
	const char *with;
	const char *refused;
} golden[] = {
	{ 0, NULL, NULL },                                    /* unchanged */
	{ 10, " backend 10.0.1.2:80 weight 5", NULL },
	{ 10, " backend 10.0.1.2:80\n backend 10.0.1.3:80", NULL },   /* nat: added */
	{ 10, NULL, NULL },                                   /* nat: removed */
	{ 8, " scheduler wlc", NULL },
	{ 8, " scheduler rr\n health tcp interval 1s timeout 500ms", NULL },
	{ 8, " scheduler rr\n passive-health off", NULL },
	{ 8, " scheduler rr\n passive-hold 30", NULL },
	{ 17, " backend 10.0.1.1:443 weight 9", NULL },       /* splice: weight */
	{ 15, " mode splice\n scheduler source-hash", NULL }, /* splice: scheduler */
	{ 4, " vip 10.0.0.101:80", "t2:3: service web: changing vip needs a restart" },
	{ 4, " vip 10.0.0.100:81", "t2:3: service web: changing vip needs a restart" },
	{ 5, " mode splice", "service web: changing mode needs a restart" },
	{ 5, " mode nat\n io packet", "service web: changing io needs a restart" },
	{ 6, " client-interface e9", "service web: changing client-interface needs a restart" },
	{ 7, " server-interface e9", "service web: changing server-interface needs a restart" },
	{ 11, " timeout established 60s", "service web: changing timeout established needs a restart" },
	{ 11, " timeout established 300s\n timeout syn 1s", "changing timeout syn needs a restart" },
	{ 11, " timeout established 300s\n max-flows 10", "changing max-flows needs a restart" },
	{ 11, " timeout established 300s\n source-nat 10.0.1.254", "changing source-nat/transparent needs a restart" },
	{ 11, " timeout established 300s\n fastpath auto", "changing fastpath needs a restart" },
	{ 18, " backend 10.0.1.2:443\n backend 10.0.1.3:443", NULL },  /* splice: added */
	{ 18, NULL, NULL },                                   /* splice: removed */
	{ 18, " backend 10.0.1.2:443\n backend 10.0.1.3:443 session-id-prefix 0a0b",
	  "t2:13: service tls: adding a backend with ticket-key-file or session-id-prefix needs a restart" },
	{ 18, " backend 10.0.1.2:443 session-id-prefix 0a0b",
	  "service tls: changing a backend's ticket-key-file or session-id-prefix needs a restart" },
	{ 15, " mode splice\n session-table-size 1024", "service tls: changing the session table needs a restart" },
	{ 15, " mode splice\n load-guard off", "service tls: changing load-guard needs a restart" },
	{ 15, " mode splice\n session-lifetime 10m", "service tls: changing session-lifetime needs a restart" },
	{ 2, "workers 2", "t2: changing workers needs a restart" },
	{ 1, "control-socket /run/u.sock", "changing control-socket or control-mode needs a restart" },
	{ 1, "control-socket /run/t.sock\ncontrol-mode 0660", "changing control-socket or control-mode needs a restart" },
	{ 1, "control-socket /run/t.sock\nstate-file /tmp/s", "changing state-file needs a restart" },
	{ 1, "control-socket /run/t.sock\nuser nobody", "changing user needs a restart" },
	{ 12, "}\nservice new {\n vip 10.0.0.102:80\n client-interface e0\n backend 10.0.1.9:80\n}",
	  "t2:13: service new: adding a service needs a restart" },
	{ 3, "service www {", "t2:3: service www: adding a service needs a restart" },
};

Test(reload_check, golden_table)
{
	struct disp_config *cur = parse(base, "t1");

	for (size_t k = 0; k < sizeof(golden) / sizeof(golden[0]); k++) {
		struct disp_config *next = parse(golden[k].line ? edit(golden[k].line, golden[k].with) : base,
						 "t2");
		char err[512] = "";
		int rc = disp_reload_check(cur, next, err, sizeof(err));

		if (!golden[k].refused) {
			cr_expect_eq(rc, 0, "case %zu: refused: %s", k, err);
		} else {
			cr_expect_eq(rc, -EINVAL, "case %zu: accepted, want '%s'", k, golden[k].refused);
			cr_expect_not_null(strstr(err, golden[k].refused), "case %zu: '%s', want '%s'", k,
					   err, golden[k].refused);
		}
		disp_config_free(next);
	}
	disp_config_free(cur);
}

Test(reload_check, a_removed_service_is_named)
{
	struct disp_config *cur = parse(base, "t1"), *next;
	char one[sizeof(base)], err[512] = "";

	/* base without its second service (lines 13 on). */
	memcpy(one, base, sizeof(base));
	*strstr(one, "service tls") = '\0';
	next = parse(one, "t2");
	cr_expect_eq(disp_reload_check(cur, next, err, sizeof(err)), -EINVAL);
	cr_expect_not_null(strstr(err, "t2: service tls: removing a service needs a restart"), "%s", err);
	disp_config_free(next);
	disp_config_free(cur);
}

Test(reload_check, reordering_services_is_allowed)
{
	static const char swapped[] =
		"control-socket /run/t.sock\nworkers 1\n"
		"service tls {\n vip 10.0.0.100:443\n mode splice\n client-interface e0\n"
		" backend 10.0.1.1:443\n backend 10.0.1.2:443\n}\n"
		"service web {\n vip 10.0.0.100:80\n mode nat\n client-interface e0\n"
		" server-interface e1\n scheduler rr\n backend 10.0.1.1:80\n"
		" backend 10.0.1.2:80 weight 2\n timeout established 300s\n}\n";
	struct disp_config *cur = parse(base, "t1"), *next = parse(swapped, "t2");
	char err[512] = "";

	cr_expect_eq(disp_reload_check(cur, next, err, sizeof(err)), 0, "%s", err);
	disp_config_free(next);
	disp_config_free(cur);
}

/* ---- applying to a live set ---- */

static const char *nat4(const char *backends, const char *sched)
{
	static char out[16384];

	snprintf(out, sizeof(out),
		 "service web {\n vip 10.0.0.100:80\n client-interface e0\n scheduler %s\n%s}\n",
		 sched, backends);
	return out;
}

static struct disp_backend *find(struct disp_bset *bs, const char *addr)
{
	struct disp_addr a;

	cr_assert_eq(disp_addr_parse(addr, strlen(addr), true, &a), 0);
	return disp_bset_find(bs, &a);
}

Test(reload_apply, adds_removes_and_keeps_what_the_operator_set)
{
	struct disp_config *c1 = parse(nat4(" backend 10.0.1.1:80\n backend 10.0.1.2:80\n"
					    " backend 10.0.1.4:80 weight 4\n", "wlc"), "c1");
	struct disp_config *c2 = parse(nat4(" backend 10.0.1.1:80 weight 3\n backend 10.0.1.2:80\n"
					    " backend 10.0.1.3:80\n", "rr"), "c2");
	struct disp_pool *pool;
	struct disp_bset *bs;
	struct disp_backend *b2, *b4;
	struct disp_bset_delta d;

	cr_assert_eq(disp_pool_create(c1, &pool), 0);
	bs = disp_pool_bset(pool, 0);
	b2 = find(bs, "10.0.1.2:80");
	b4 = find(bs, "10.0.1.4:80");
	cr_assert_eq(disp_bset_set_weight(bs, b2, 7), 0);
	cr_assert_eq(disp_backend_set_admin(b2, DISP_BE_DRAIN), 0);
	disp_backend_conn_inc(b4); /* a flow on the backend about to go */

	cr_assert_eq(disp_bset_apply(bs, c1->services, c2->services, &d), 0);
	cr_expect_eq(d.added, 1);
	cr_expect_eq(d.removed, 1);
	cr_expect_eq(d.reweighted, 1, "only the weight the file changed");
	cr_expect(d.sched);
	cr_expect_eq(disp_bset_sched(bs), DISP_SCHED_RR);
	cr_expect_eq(disp_backend_weight(find(bs, "10.0.1.1:80")), 3, "the file changed it");
	cr_expect_eq(disp_backend_weight(b2), 7, "the file did not touch it: run-time weight stays");
	cr_expect_eq(disp_backend_admin(b2), DISP_BE_DRAIN, "admin state stays");
	cr_expect_eq(find(bs, "10.0.1.2:80"), b2, "same backend, same memory");
	cr_expect_not_null(find(bs, "10.0.1.3:80"));
	cr_expect_eq(disp_backend_state(find(bs, "10.0.1.3:80")), DISP_BE_UP);
	cr_expect_null(find(bs, "10.0.1.4:80"), "removed");
	cr_expect_not(disp_backend_present(b4));
	cr_expect(disp_backend_listed(b4), "listed while it drains");
	cr_expect_eq(disp_backend_state(b4), DISP_BE_DRAIN);
	cr_expect_eq(disp_backend_conns(b4), 1, "its flow is still counted");
	for (int i = 0; i < 100; i++) {
		struct disp_backend *p = disp_bset_pick(bs, &(struct disp_addr){ .family = AF_INET });

		cr_assert_not_null(p);
		cr_expect(p != b4 && p != b2, "picked a removed or draining backend");
	}
	disp_backend_conn_dec(b4);
	cr_expect_not(disp_backend_listed(b4), "gone once drained");

	/* Back in the file: it takes its old slot (its index in the mapping
	 * table stays right), with the file's weight. */
	cr_assert_eq(disp_bset_apply(bs, c2->services, c1->services, &d), 0);
	cr_expect_eq(find(bs, "10.0.1.4:80"), b4);
	cr_expect_eq(disp_backend_weight(b4), 4);
	cr_expect_eq(disp_backend_total(b4), 1, "same backend, its history kept");
	cr_expect_eq(disp_bset_count(bs), 4, "no new slot for it");
	disp_pool_free(pool);
	disp_config_free(c2);
	disp_config_free(c1);
}

Test(reload_apply, no_room_changes_nothing)
{
	static char many[40 * 300];
	struct disp_config *c1 = parse(nat4(" backend 10.0.1.1:80\n", "rr"), "c1"), *c2;
	struct disp_pool *pool;
	struct disp_bset_delta d;
	size_t off = 0;

	for (int i = 0; i < 300; i++)
		off += (size_t)snprintf(many + off, sizeof(many) - off, " backend 10.0.%d.%d:80\n",
					2 + i / 200, 1 + i % 200);
	c2 = parse(nat4(many, "wlc"), "c2");
	cr_assert_eq(disp_pool_create(c1, &pool), 0);
	cr_expect_eq(disp_bset_fits(disp_pool_bset(pool, 0), c2->services), -ENOSPC);
	cr_expect_eq(disp_bset_apply(disp_pool_bset(pool, 0), c1->services, c2->services, &d), -ENOSPC);
	cr_expect_eq(disp_bset_count(disp_pool_bset(pool, 0)), 1);
	cr_expect_eq(disp_bset_sched(disp_pool_bset(pool, 0)), DISP_SCHED_RR);
	disp_pool_free(pool);
	disp_config_free(c2);
	disp_config_free(c1);
}

Test(reload_apply, runtime_add_and_del)
{
	struct disp_config *c1 = parse(nat4(" backend 10.0.1.1:80\n", "rr"), "c1");
	struct disp_backend_conf bc = { .weight = 2 };
	struct disp_pool *pool;
	struct disp_bset *bs;
	struct disp_backend *nb = NULL;

	cr_assert_eq(disp_pool_create(c1, &pool), 0);
	bs = disp_pool_bset(pool, 0);
	cr_assert_eq(disp_addr_parse("10.0.1.5:80", 11, true, &bc.addr), 0);
	cr_expect_eq(disp_bset_add(bs, &bc, DISP_BE_UP, &nb), 0);
	cr_expect_eq(disp_bset_add(bs, &bc, DISP_BE_UP, NULL), -EEXIST);
	cr_expect_eq(disp_backend_weight(nb), 2);
	cr_expect_eq(disp_bset_remove(bs, find(bs, "10.0.1.1:80")), 0);
	cr_expect_eq(disp_bset_remove(bs, nb), -EBUSY, "the last backend stays");
	cr_expect_eq(disp_bset_remove(bs, find(bs, "10.0.1.5:80")), -EBUSY);
	disp_pool_free(pool);
	disp_config_free(c1);
}

/* Pickers on two threads while the set is reloaded back and forth: every
 * pick is a backend of one of the two configs, never NULL (each config
 * keeps one backend in common that is always UP). */
struct picker {
	struct disp_bset *bs;
	atomic_bool *stop;
	_Atomic unsigned long picks;
	unsigned long bad;
};

static void *pick_loop(void *arg)
{
	struct picker *p = arg;
	struct disp_addr client = { .family = AF_INET, .port = 1 };

	while (!atomic_load(p->stop)) {
		struct disp_backend *be = disp_bset_pick(p->bs, &client);

		client.ip.v4.s_addr++;
		p->picks++;
		if (!be || disp_backend_addr(be)->family != AF_INET)
			p->bad++;
	}
	return NULL;
}

Test(reload_apply, pickers_run_through_reloads)
{
	struct disp_config *a = parse(nat4(" backend 10.0.1.1:80\n backend 10.0.1.2:80\n", "rr"), "a");
	struct disp_config *b = parse(nat4(" backend 10.0.1.1:80 weight 5\n backend 10.0.1.3:80\n"
					   " backend 10.0.1.4:80\n", "source-hash"), "b");
	struct disp_config *c = parse(nat4(" backend 10.0.1.1:80\n backend 10.0.1.3:80\n", "wlc"), "c");
	struct disp_config *seq[] = { a, b, c, a, c, b };
	struct disp_pool *pool;
	atomic_bool stop = false;
	struct picker pk[2];
	pthread_t t[2];
	struct disp_bset_delta d;

	cr_assert_eq(disp_pool_create(a, &pool), 0);
	for (int i = 0; i < 2; i++) {
		pk[i] = (struct picker){ .bs = disp_pool_bset(pool, 0), .stop = &stop };
		cr_assert_eq(pthread_create(&t[i], NULL, pick_loop, &pk[i]), 0);
	}
	/* Until both pickers have been through many reloads. */
	for (int i = 1; i < 600 || pk[0].picks < 100000 || pk[1].picks < 100000; i++)
		cr_assert_eq(disp_bset_apply(disp_pool_bset(pool, 0), seq[(i - 1) % 6]->services,
					     seq[i % 6]->services, &d), 0);
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		cr_expect_gt(pk[i].picks, 0);
		cr_expect_eq(pk[i].bad, 0, "picker %d: %lu bad picks of %lu", i, pk[i].bad, pk[i].picks);
	}
	cr_expect_eq(disp_bset_count(disp_pool_bset(pool, 0)), 4, "slots are reused, not leaked");
	disp_pool_free(pool);
	disp_config_free(c);
	disp_config_free(b);
	disp_config_free(a);
}
