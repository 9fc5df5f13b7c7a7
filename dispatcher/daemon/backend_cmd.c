/* `add backend SERVICE IP:PORT [weight N]` and `del backend
 * SERVICE/IP:PORT` on the control socket: backends changed at run time,
 * without editing the file. They live here, not in backend/, because an
 * added backend needs the engine's capture filter first (its replies must
 * be captured before a flow goes to it), and both run under the reload
 * lock so they never meet a reload halfway. The state file keeps them
 * across restarts; a reload makes the set what the file says again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "ctl/ctl.h"
#include "daemon/backend_cmd.h"
#include "engine/engine.h"
#include "util/log.h"

struct cmd_args {
	struct disp_bset *bs;
	struct disp_addr addr;
	unsigned weight;
	char text[DISP_ADDR_STRLEN];
};

/* Fills a->bs from the service name (len bytes) and a->addr from word;
 * writes why not into o. */
static int target(struct disp_pool *pool, const char *svc, size_t len, const char *word,
		  struct cmd_args *a, struct disp_ctl_out *o)
{
	char name[64];

	snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1), svc);
	a->bs = disp_pool_bset_named(pool, name);
	if (!a->bs || strlen(name) != len) {
		disp_ctl_printf(o, "no service '%.*s'\n", (int)len, svc);
		return -ENOENT;
	}
	if (disp_addr_parse(word, strlen(word), true, &a->addr) < 0) {
		disp_ctl_printf(o, "'%s' is not IP:PORT (expected 10.0.1.1:80 or [fd00::1]:80)\n",
				word);
		return -EINVAL;
	}
	disp_addr_format(&a->addr, a->text, sizeof(a->text));
	return 0;
}

static int do_add(const struct disp_reload_parts *p, const struct disp_config *cur, void *arg,
		  char *msg, size_t len)
{
	struct cmd_args *a = arg;
	struct disp_backend_conf bc = { .addr = a->addr, .weight = a->weight };
	struct disp_backend *be;
	char err[256] = "";
	int r;

	(void)cur;
	/* DOWN until every worker captures its replies, then UP. */
	r = disp_bset_add(a->bs, &bc, DISP_BE_DOWN, &be);
	if (r == -EEXIST)
		snprintf(msg, len, "service %s already has backend %s\n", disp_bset_name(a->bs), a->text);
	else if (r == -ENOSPC)
		snprintf(msg, len, "service %s has no room for another backend; restart to add it\n",
			 disp_bset_name(a->bs));
	else if (r < 0)
		snprintf(msg, len, "%s\n", strerror(-r));
	if (r < 0)
		return r;
	r = disp_engine_refilter(p->eng, NULL, err, sizeof(err));
	if (r < 0) {
		(void)disp_bset_remove(a->bs, be);
		snprintf(msg, len, "backend %s not added: %s\n", a->text, err);
		return r;
	}
	disp_backend_set_admin(be, DISP_BE_UP);
	snprintf(msg, len, "%s %s: added, weight %u, now %s\n", disp_bset_name(a->bs), a->text,
		 disp_backend_weight(be), disp_be_state_name(disp_backend_state(be)));
	disp_log(LOG_NOTICE, "control: %s", msg);
	return 0;
}

static int do_del(const struct disp_reload_parts *p, const struct disp_config *cur, void *arg,
		  char *msg, size_t len)
{
	struct cmd_args *a = arg;
	struct disp_backend *be = disp_bset_find(a->bs, &a->addr);
	int r;

	(void)p;
	(void)cur;
	r = be ? disp_bset_remove(a->bs, be) : -ENOENT;
	if (r == -ENOENT)
		snprintf(msg, len, "service %s has no backend %s\n", disp_bset_name(a->bs), a->text);
	else if (r == -EBUSY)
		snprintf(msg, len, "%s is the last backend of service %s; add another first\n",
			 a->text, disp_bset_name(a->bs));
	if (r < 0)
		return r;
	snprintf(msg, len, "%s %s: deleted, draining %llu connection%s\n", disp_bset_name(a->bs),
		 a->text, (unsigned long long)disp_backend_conns(be),
		 disp_backend_conns(be) == 1 ? "" : "s");
	disp_log(LOG_NOTICE, "control: %s", msg);
	return 0;
}

static int reply(struct disp_ctl_out *o, const char *msg, int r)
{
	disp_ctl_printf(o, "%s", msg);
	return r;
}

static int add_backend(void *arg, const struct disp_ctl_args *args, struct disp_ctl_out *o)
{
	struct disp_reload *rl = arg;
	struct cmd_args a = { .weight = 1 };
	char msg[1024];
	unsigned long w = 0;
	const char *q;
	int r;

	if ((args->n != 2 && args->n != 4) || (args->n == 4 && strcmp(args->w[2], "weight") != 0)) {
		disp_ctl_printf(o, "usage: add backend SERVICE IP:PORT [weight 1..256]\n");
		return -EINVAL;
	}
	if ((r = target(disp_reload_pool(rl), args->w[0], strlen(args->w[0]), args->w[1], &a, o)) < 0)
		return r;
	if (args->n == 4) {
		for (q = args->w[3]; *q >= '0' && *q <= '9' && w <= 256; q++)
			w = w * 10 + (unsigned long)(*q - '0');
		if (*q || q == args->w[3] || w < 1 || w > 256) {
			disp_ctl_printf(o, "'%s' is not a weight (expected 1..256)\n", args->w[3]);
			return -EINVAL;
		}
		a.weight = (unsigned)w;
	}
	r = disp_reload_locked(rl, do_add, &a, msg, sizeof(msg));
	return reply(o, msg, r);
}

static int del_backend(void *arg, const struct disp_ctl_args *args, struct disp_ctl_out *o)
{
	struct disp_reload *rl = arg;
	struct cmd_args a = { 0 };
	const char *slash;
	char msg[1024];
	int r;

	slash = args->n == 1 ? strrchr(args->w[0], '/') : NULL;
	if (!slash) {
		disp_ctl_printf(o, "usage: del backend SERVICE/IP:PORT\n");
		return -EINVAL;
	}
	r = target(disp_reload_pool(rl), args->w[0], (size_t)(slash - args->w[0]), slash + 1, &a, o);
	if (r < 0)
		return r;
	r = disp_reload_locked(rl, do_del, &a, msg, sizeof(msg));
	return reply(o, msg, r);
}

int disp_backend_cmd_register(struct disp_ctl *ctl, struct disp_reload *rl)
{
	int r = disp_ctl_register(ctl, &(struct disp_ctl_cmd){
		"add", "backend", "SERVICE IP:PORT [weight N]",
		"add a backend to a running service (kept in the state file; a reload follows the config file)",
		add_backend, rl });

	if (r == 0)
		r = disp_ctl_register(ctl, &(struct disp_ctl_cmd){
			"del", "backend", "SERVICE/IP:PORT",
			"remove a backend: no new connections, open ones finish",
			del_backend, rl });
	return r;
}
