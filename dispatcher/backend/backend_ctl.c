/* The backends on the control socket: `show backends` (every service's
 * backends with state and load) and `backend [SVC/]IP:PORT up|down|drain`
 * (one service's backend, or that address in every service). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_ctl.h"
#include "backend/backend_state.h"
#include "ctl/ctl.h"
#include "util/clock.h"

/* What the commands read; owned by the ctl (disp_ctl_keep). */
struct be_ctl {
	const struct disp_config *cfg;
	struct disp_pool *pool;
};

/* Milliseconds left of a passive-health hold, 0 when none. */
static uint64_t held_ms(const struct disp_backend *be)
{
	uint64_t until = disp_backend_held_until(be), now = disp_now_ms();

	return until > now ? until - now : 0;
}

static void backend_json(struct disp_ctl_out *o, struct disp_backend *be)
{
	char a[DISP_ADDR_STRLEN];

	disp_ctl_printf(o,
			"{\"address\":\"%s\",\"state\":\"%s\",\"admin\":\"%s\",\"healthy\":%s,"
			"\"probe\":\"%s\",\"weight\":%u,\"active\":%llu,\"total\":%llu,"
			"\"passive_downs\":%llu,\"held_ms\":%llu,\"removed\":%s}",
			disp_addr_format(disp_backend_addr(be), a, sizeof(a)),
			disp_be_state_name(disp_backend_state(be)),
			disp_be_state_name(disp_backend_admin(be)),
			disp_backend_healthy(be) ? "true" : "false",
			disp_probe_name(disp_backend_probe(be)),
			disp_backend_weight(be),
			(unsigned long long)disp_backend_conns(be),
			(unsigned long long)disp_backend_total(be),
			(unsigned long long)disp_backend_passive_downs(be),
			(unsigned long long)held_ms(be),
			disp_backend_present(be) ? "false" : "true");
}

static int show_backends(void *arg, const struct disp_ctl_args *args,
			 struct disp_ctl_out *o)
{
	const struct be_ctl *ctl = arg;
	bool json = args->json;
	size_t ns = disp_pool_count(ctl->pool);
	char a[DISP_ADDR_STRLEN];

	if (json)
		disp_ctl_printf(o, "{\"services\":[");
	for (size_t s = 0; s < ns; s++) {
		struct disp_bset *bs = disp_pool_bset(ctl->pool, s);
		const struct disp_service_conf *sc =
			s < ctl->cfg->n_services ? &ctl->cfg->services[s] : NULL;

		if (json) {
			disp_ctl_printf(o, "%s{\"name\":", s ? "," : "");
			disp_ctl_json_str(o, disp_bset_name(bs));
			if (sc)
				disp_ctl_printf(o, ",\"vip\":\"%s\",\"mode\":\"%s\"",
						disp_addr_format(&sc->vip, a, sizeof(a)),
						disp_mode_name(sc->mode));
			disp_ctl_printf(o, ",\"scheduler\":\"%s\",\"backends\":[",
					disp_sched_name(disp_bset_sched(bs)));
			for (size_t i = 0, k = 0; i < disp_bset_count(bs); i++) {
				if (!disp_backend_listed(disp_bset_get(bs, i)))
					continue;
				if (k++)
					disp_ctl_printf(o, ",");
				backend_json(o, disp_bset_get(bs, i));
			}
			disp_ctl_printf(o, "]}");
			continue;
		}
		disp_ctl_printf(o, "service %s", disp_bset_name(bs));
		if (sc)
			disp_ctl_printf(o, "  vip %s  mode %s",
					disp_addr_format(&sc->vip, a, sizeof(a)),
					disp_mode_name(sc->mode));
		disp_ctl_printf(o, "  scheduler %s\n", disp_sched_name(disp_bset_sched(bs)));
		disp_ctl_printf(o, "  %-41s %-5s %-5s %-6s %6s %10s %12s %6s %7s  %s\n",
				"BACKEND", "STATE", "ADMIN", "HEALTH", "WEIGHT", "ACTIVE",
				"TOTAL", "PDOWNS", "HELD-MS", "LAST-PROBE");
		for (size_t i = 0; i < disp_bset_count(bs); i++) {
			struct disp_backend *be = disp_bset_get(bs, i);

			if (!disp_backend_listed(be))
				continue;
			disp_ctl_printf(o, "  %-41s %-5s %-5s %-6s %6u %10llu %12llu %6llu %7llu  %s%s\n",
					disp_addr_format(disp_backend_addr(be), a, sizeof(a)),
					disp_be_state_name(disp_backend_state(be)),
					disp_be_state_name(disp_backend_admin(be)),
					disp_backend_healthy(be) ? "ok" : "failed",
					disp_backend_weight(be),
					(unsigned long long)disp_backend_conns(be),
					(unsigned long long)disp_backend_total(be),
					(unsigned long long)disp_backend_passive_downs(be),
					(unsigned long long)held_ms(be),
					disp_probe_name(disp_backend_probe(be)),
					disp_backend_present(be) ? "" : "  (removed, draining)");
		}
	}
	if (json)
		disp_ctl_printf(o, "]}\n");
	return 0;
}

/* Finds the service named by the first len bytes of name; returns its
 * index or -ENOENT. */
static long find_service(struct disp_pool *pool, const char *name, size_t len)
{
	for (size_t s = 0; s < disp_pool_count(pool); s++) {
		const char *n = disp_bset_name(disp_pool_bset(pool, s));

		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return (long)s;
	}
	return -ENOENT;
}

/* Which backends a command names: [SERVICE/]IP:PORT. */
struct be_target {
	struct disp_addr addr;
	char text[DISP_ADDR_STRLEN];
	size_t first, last; /* services to look in */
};

/* Resolves word into *t, or writes why not into o and returns -errno. */
static int parse_target(const struct be_ctl *ctl, const char *word,
			struct be_target *t, struct disp_ctl_out *o)
{
	const char *slash = strrchr(word, '/');
	long only = -1;

	/* SERVICE/IP:PORT, as HAProxy's backend/server: addresses never hold
	 * a '/', so the last one ends the service name. */
	if (slash) {
		only = find_service(ctl->pool, word, (size_t)(slash - word));
		if (only < 0) {
			disp_ctl_printf(o, "no service '%.*s' (as in SERVICE/IP:PORT)\n",
					(int)(slash - word), word);
			return -ENOENT;
		}
		word = slash + 1;
	}
	if (disp_addr_parse(word, strlen(word), true, &t->addr) < 0) {
		disp_ctl_printf(o, "'%s' is not IP:PORT (expected 10.0.1.1:80 or [fd00::1]:80)\n",
				word);
		return -EINVAL;
	}
	disp_addr_format(&t->addr, t->text, sizeof(t->text));
	if (only >= 0) {
		struct disp_bset *bs = disp_pool_bset(ctl->pool, (size_t)only);
		if (!disp_bset_find(bs, &t->addr)) {
			disp_ctl_printf(o, "service %s has no backend %s\n", disp_bset_name(bs),
					t->text);
			return -ENOENT;
		}
		t->first = t->last = (size_t)only;
		return 0;
	}
	/* Without SERVICE/ the address in every service, as an operator
	 * taking a server out means the server, not one VIP. */
	if (!disp_pool_find(ctl->pool, &t->addr, &t->first)) {
		disp_ctl_printf(o, "no backend %s\n", t->text);
		return -ENOENT;
	}
	t->last = disp_pool_count(ctl->pool) - 1;
	return 0;
}

/* One line (or JSON object) per backend a command changed. */
static void report(struct disp_ctl_out *o, bool json, struct disp_bset *bs,
		   const struct be_target *t, struct disp_backend *be)
{
	const char *admin = disp_be_state_name(disp_backend_admin(be));
	const char *now = disp_be_state_name(disp_backend_state(be));

	if (json) {
		disp_ctl_printf(o, "{\"service\":");
		disp_ctl_json_str(o, disp_bset_name(bs));
		disp_ctl_printf(o, ",\"backend\":\"%s\",\"admin\":\"%s\",\"state\":\"%s\",\"weight\":%u}\n",
				t->text, admin, now, disp_backend_weight(be));
	} else {
		disp_ctl_printf(o, "%s %s: admin %s, now %s, weight %u\n", disp_bset_name(bs),
				t->text, admin, now, disp_backend_weight(be));
	}
}

/* Applies fn to every backend t names, reporting each; stops at the
 * first failure, naming the backend. */
static int apply(const struct be_ctl *ctl, const struct be_target *t, bool json,
		 struct disp_ctl_out *o,
		 int (*fn)(struct disp_bset *, struct disp_backend *, unsigned), unsigned v)
{
	for (size_t s = t->first; s <= t->last; s++) {
		struct disp_bset *bs = disp_pool_bset(ctl->pool, s);

		struct disp_backend *be = disp_bset_find(bs, &t->addr);
		int r;

		if (be) {
			if ((r = fn(bs, be, v)) < 0) {
				disp_ctl_printf(o, "%s %s: %s\n", disp_bset_name(bs), t->text,
						strerror(-r));
				return r;
			}
			report(o, json, bs, t, be);
		}
	}
	/* Saved at once, so a crash or a kill -9 keeps the change too. */
	if (ctl->cfg->state_path[0]) {
		int r = disp_pool_state_save(ctl->pool, ctl->cfg->state_path);

		if (r < 0)
			disp_ctl_printf(o, "warning: state-file %s not written: %s\n",
					ctl->cfg->state_path, strerror(-r));
	}
	return 0;
}

static int apply_admin(struct disp_bset *bs, struct disp_backend *be, unsigned st)
{
	(void)bs;
	return disp_backend_set_admin(be, (enum disp_be_state)st);
}

static int set_state(void *arg, const struct disp_ctl_args *args,
		     struct disp_ctl_out *o)
{
	const struct be_ctl *ctl = arg;
	enum disp_be_state st;
	struct be_target t;
	int r;

	if (args->n != 2) {
		disp_ctl_printf(o, "usage: backend [SERVICE/]IP:PORT up|down|drain\n");
		return -EINVAL;
	}
	if ((r = parse_target(ctl, args->w[0], &t, o)) < 0)
		return r;
	if (disp_be_state_parse(args->w[1], &st) < 0) {
		disp_ctl_printf(o, "'%s' is not a state (expected up, down or drain)\n",
				args->w[1]);
		return -EINVAL;
	}
	return apply(ctl, &t, args->json, o, apply_admin, (unsigned)st);
}

static int set_weight(void *arg, const struct disp_ctl_args *args,
		      struct disp_ctl_out *o)
{
	const struct be_ctl *ctl = arg;
	struct be_target t;
	unsigned long w = 0;
	const char *p;
	int r;

	if (args->n != 2) {
		disp_ctl_printf(o, "usage: set weight [SERVICE/]IP:PORT 1..256\n");
		return -EINVAL;
	}
	if ((r = parse_target(ctl, args->w[0], &t, o)) < 0)
		return r;
	for (p = args->w[1]; *p >= '0' && *p <= '9' && w <= 256; p++)
		w = w * 10 + (unsigned long)(*p - '0');
	if (*p || p == args->w[1] || w < 1 || w > 256) {
		disp_ctl_printf(o, "'%s' is not a weight (expected 1..256)\n", args->w[1]);
		return -EINVAL;
	}
	return apply(ctl, &t, args->json, o, disp_bset_set_weight, (unsigned)w);
}

int disp_backend_ctl_register(struct disp_ctl *ctl, const struct disp_config *cfg,
			      struct disp_pool *pool)
{
	struct be_ctl *bc = calloc(1, sizeof(*bc));
	int r;

	if (!bc)
		return -ENOMEM;
	*bc = (struct be_ctl){ .cfg = cfg, .pool = pool };
	r = disp_ctl_keep(ctl, bc);
	if (r == 0)
		r = disp_ctl_register(ctl, &(struct disp_ctl_cmd){
			"show", "backends", NULL,
			"every service's backends: state, health, load",
			show_backends, bc });
	if (r == 0)
		r = disp_ctl_register(ctl, &(struct disp_ctl_cmd){
			"backend", NULL, "[SERVICE/]IP:PORT up|down|drain",
			"set a backend's admin state (in one service, or in every one)",
			set_state, bc });
	if (r == 0)
		r = disp_ctl_register(ctl, &(struct disp_ctl_cmd){
			"set", "weight", "[SERVICE/]IP:PORT 1..256",
			"change a backend's weight (in one service, or in every one)",
			set_weight, bc });
	return r;
}
