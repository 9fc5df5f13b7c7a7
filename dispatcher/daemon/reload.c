/* Reload: read, check, then apply. See reload.h.
 *
 * Order, and why:
 *  1. parse the file and check it (reload_check.c): a bad or restart-only
 *     change returns here, nothing touched;
 *  2. make sure every service's backend set has room for its new
 *     backends (slots are preallocated, backend_int.h);
 *  3. RELOADING=1, then the capture filter gains the new backends and
 *     every worker has installed it, so the first flow sent to a new
 *     backend has its replies captured;
 *  4. each backend set takes the new backends, weights, scheduler and
 *     passive hold (removed backends drain: flows keep their backend
 *     pointer, which stays valid);
 *  5. a new health checker for the new settings replaces the old one;
 *  6. the state file is rewritten, READY=1.
 * Flows, the mapping table and admin states are never rebuilt, so
 * nothing established is dropped. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/backend_state.h"
#include "conf/config.h"
#include "ctl/ctl.h"
#include "daemon/notify.h"
#include "daemon/reload.h"
#include "daemon/reload_check.h"
#include "engine/engine.h"
#include "util/log.h"

struct disp_reload {
	struct disp_reload_parts p;
	const struct disp_config *cur; /* the config now applied */
	struct disp_config *owned;     /* cur when a reload loaded it */
	pthread_mutex_t lock;
	unsigned count;                /* reloads applied */
};

int disp_reload_create(const struct disp_reload_parts *parts, struct disp_reload **out)
{
	struct disp_reload *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return -ENOMEM;
	rl->p = *parts;
	rl->cur = parts->cfg;
	pthread_mutex_init(&rl->lock, NULL);
	*out = rl;
	return 0;
}

void disp_reload_free(struct disp_reload *rl)
{
	if (!rl)
		return;
	disp_config_free(rl->owned);
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

__attribute__((format(printf, 4, 5)))
static void put(char *msg, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n < len - *off ? (size_t)n : len - *off - 1;
}

static bool health_changed(const struct disp_health_conf *a, const struct disp_health_conf *b)
{
	return a->enabled != b->enabled || a->tls != b->tls || a->interval_ms != b->interval_ms ||
	       a->timeout_ms != b->timeout_ms || a->fall != b->fall || a->rise != b->rise ||
	       a->backoff_max_ms != b->backoff_max_ms || a->port != b->port ||
	       strcmp(a->sni, b->sni) != 0;
}

/* What every change of the backend sets ends with: a health checker over
 * the backends and settings now in force (if it cannot be built, out of
 * memory, the old one keeps probing), and the state file rewritten.
 * Problems are appended to msg as warnings. */
static void after_change(struct disp_reload *rl, const struct disp_config *cfg, char *msg,
			 size_t len, size_t *off)
{
	struct disp_health *h = NULL;
	int r = disp_health_create(cfg, rl->p.pool, rl->p.health_cb, NULL, &h);

	if (r == 0) {
		disp_health_free(*rl->p.health);
		*rl->p.health = h;
		r = disp_health_start(h);
	}
	if (r < 0)
		put(msg, len, off, "warning: health checks not restarted: %s\n", strerror(-r));
	if (cfg->state_path[0] && (r = disp_pool_state_save(rl->p.pool, cfg->state_path)) < 0)
		put(msg, len, off, "warning: state-file %s not written: %s\n", cfg->state_path,
		    strerror(-r));
}

struct disp_pool *disp_reload_pool(struct disp_reload *rl)
{
	return rl->p.pool;
}

int disp_reload_locked(struct disp_reload *rl, disp_reload_fn fn, void *arg, char *msg,
		       size_t len)
{
	size_t off;
	int r;

	pthread_mutex_lock(&rl->lock);
	msg[0] = '\0';
	r = fn(&rl->p, rl->cur, arg, msg, len);
	if (r >= 0) {
		off = strlen(msg);
		after_change(rl, rl->cur, msg, len, &off);
	}
	pthread_mutex_unlock(&rl->lock);
	return r;
}

/* Steps 2 to 6 of the comment above, with the checks passed. */
static int apply(struct disp_reload *rl, struct disp_config *next, char *msg, size_t len)
{
	size_t off = 0;
	bool changed = false;
	char err[512] = "";
	int r;

	for (size_t i = 0; i < next->n_services; i++) {
		const struct disp_service_conf *sc = &next->services[i];
		struct disp_bset *bs = disp_pool_bset_named(rl->p.pool, sc->name);

		if (!bs || disp_bset_fits(bs, sc) < 0) {
			snprintf(msg, len, "%s:%u: service %s: no room for more backends (a running service takes a few hundred more than it started with); restart to apply",
				 next->path, sc->line, sc->name);
			return -ENOSPC;
		}
	}
	disp_notify_reloading();
	r = disp_engine_refilter(rl->p.eng, next, err, sizeof(err));
	if (r < 0) {
		snprintf(msg, len, "%s: %s", next->path, err);
		return r;
	}
	put(msg, len, &off, "reloaded %s\n", next->path);
	for (size_t i = 0; i < next->n_services; i++) {
		const struct disp_service_conf *sc = &next->services[i];
		const struct disp_service_conf *was = disp_config_service(rl->cur, sc->name);
		struct disp_bset *bs = disp_pool_bset_named(rl->p.pool, sc->name);
		struct disp_bset_delta d;
		bool hc = was && health_changed(&was->health, &sc->health);

		(void)disp_bset_apply(bs, was, sc, &d);
		/* Probes stop with the checker: a backend they held DOWN
		 * comes back. */
		if (!sc->health.enabled) {
			for (size_t b = 0; b < disp_bset_count(bs); b++)
				disp_backend_set_healthy(disp_bset_get(bs, b), true);
		}
		if (!d.added && !d.removed && !d.reweighted && !d.sched && !d.passive && !hc)
			continue;
		changed = true;
		put(msg, len, &off, "service %s:", sc->name);
		if (d.added)
			put(msg, len, &off, " %u backend%s added,", d.added, d.added == 1 ? "" : "s");
		if (d.removed)
			put(msg, len, &off, " %u backend%s removed (draining),", d.removed,
			    d.removed == 1 ? "" : "s");
		if (d.reweighted)
			put(msg, len, &off, " %u weight%s changed,", d.reweighted,
			    d.reweighted == 1 ? "" : "s");
		if (d.sched)
			put(msg, len, &off, " scheduler %s,", disp_sched_name(sc->sched));
		if (d.passive)
			put(msg, len, &off, " passive health %s,",
			    sc->passive_health ? "hold changed" : "off");
		if (hc)
			put(msg, len, &off, " health checks %s,", sc->health.enabled ? "changed" : "off");
		if (off && msg[off - 1] == ',')
			msg[off - 1] = '\n';
	}
	if (!changed)
		put(msg, len, &off, "no change\n");
	after_change(rl, next, msg, len, &off);
	return 0;
}

int disp_reload_run(struct disp_reload *rl, char *msg, size_t len)
{
	struct disp_config *next = NULL;
	int r;

	pthread_mutex_lock(&rl->lock);
	msg[0] = '\0';
	r = disp_config_load(rl->p.cfg->path, &next, msg, len);
	if (r == 0)
		r = disp_reload_check(rl->cur, next, msg, len);
	if (r == 0)
		r = apply(rl, next, msg, len);
	if (r < 0) {
		disp_config_free(next);
		disp_log(LOG_ERR, "reload refused, nothing changed: %s", msg);
	} else {
		/* The old config goes once the new one is applied; nothing
		 * kept a pointer into it (the health checker copies). */
		disp_config_free(rl->owned);
		rl->owned = next;
		rl->cur = next;
		rl->count++;
		for (char *line = msg, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			disp_log(LOG_NOTICE, "%.*s", nl ? (int)(nl - line) : (int)strlen(line), line);
			if (!nl)
				break;
		}
	}
	pthread_mutex_unlock(&rl->lock);
	/* After a failure too: systemd waits for READY=1 to end the reload
	 * job; spliced still runs the old config. */
	disp_notify_ready(r < 0 ? "reload refused; running the previous config"
				: "forwarding; config reloaded");
	return r;
}

static int ctl_reload(void *arg, const struct disp_ctl_args *args, struct disp_ctl_out *o)
{
	char msg[2048];
	int r;

	if (args->n != 0) {
		disp_ctl_printf(o, "usage: reload\n");
		return -EINVAL;
	}
	r = disp_reload_run(arg, msg, sizeof(msg));
	if (args->json) {
		disp_ctl_printf(o, "{\"ok\":%s,\"message\":", r == 0 ? "true" : "false");
		disp_ctl_json_str(o, msg);
		disp_ctl_printf(o, "}\n");
	} else {
		disp_ctl_printf(o, "%s%s", msg, msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
	}
	return r;
}

int disp_reload_ctl_register(struct disp_ctl *ctl, struct disp_reload *rl)
{
	return disp_ctl_register(ctl, &(struct disp_ctl_cmd){
		"reload", NULL, "",
		"re-read the config file and apply it (refused, changing nothing, if it fails its check or needs a restart)",
		ctl_reload, rl });
}
