/* Splice services' session routers on the control socket: `show table`,
 * `flush` and the "splice" section of `show stats`. Routers are found
 * through a callback, so this works from the engine and from tests. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "splice/route/mt_show.h"
#include "splice/route/splice_route.h"
#include "splice/route/splice_route_cmd.h"

/* What the commands read; owned by the ctl (disp_ctl_keep). */
struct sr_cmd {
	const struct disp_config *cfg;
	struct disp_pool *pool;
	sroute_cmd_route_fn route;
	void *arg;
	uint64_t (*now)(void); /* the routers' clock, milliseconds */
};

/* The session router's counters, by name, as `show stats` prints them. */
#define SR(f, doc) { #f, offsetof(struct sroute_stats, f) },
static const struct {
	const char *name;
	size_t off;
} sr_fields[] = {
	SROUTE_COUNTERS(SR)
};

static unsigned long long sr_field(const struct sroute_stats *s, size_t i)
{
	return *(const uint64_t *)(const void *)((const char *)s + sr_fields[i].off);
}

/* A service's content pools and the connections each was chosen for
 * (nothing for a service without pools). */
static void show_pools(struct disp_ctl_out *o, bool json, struct sroute *r,
		       const struct disp_service_conf *svc)
{
	uint64_t conns[65];
	size_t n = sroute_pool_stats(r, conns, sizeof(conns) / sizeof(conns[0]));

	if (svc->n_pools == 0 || n != svc->n_pools + 1)
		return;
	if (json)
		disp_ctl_printf(o, ",\"pools\":[");
	for (size_t k = 0; k < n; k++) {
		/* pool 0: the backends outside every pool block */
		const char *name = k ? svc->pools[k - 1].name : "-";

		if (json) {
			disp_ctl_printf(o, "%s{\"pool\":", k ? "," : "");
			disp_ctl_json_str(o, name);
			disp_ctl_printf(o, ",\"conns\":%llu,\"default\":%s}",
					(unsigned long long)conns[k],
					k == svc->default_pool ? "true" : "false");
		} else {
			disp_ctl_printf(o, "  pool %-23s conns %llu%s\n", name,
					(unsigned long long)conns[k],
					k == svc->default_pool ? " (default)" : "");
		}
	}
	if (json)
		disp_ctl_printf(o, "]");
}

/* Per splice service: routing counters, its table's fill, and full
 * handshakes / resumptions per backend. Services whose engine has no
 * router (not running, or nat) are left out. */
static int show_stats(void *arg, struct disp_ctl_out *o, bool json)
{
	const struct sr_cmd *sc = arg;
	struct sroute_be_stats be[64];
	struct sroute_stats st;
	bool first = true;

	if (json)
		disp_ctl_printf(o, "[");
	for (size_t i = 0; i < sc->cfg->n_services; i++) {
		struct sroute *r = sc->route(sc->arg, i);
		struct disp_bset *bs = disp_pool_bset(sc->pool, i);
		size_t n = bs ? disp_bset_count(bs) : 0;

		if (!r || !bs)
			continue;
		/* `show backends` lists every backend; stats show the first 64. */
		if (n > sizeof(be) / sizeof(be[0]))
			n = sizeof(be) / sizeof(be[0]);
		sroute_get_stats(r, &st, be, n);
		if (json) {
			disp_ctl_printf(o, "%s{\"service\":", first ? "" : ",");
			disp_ctl_json_str(o, disp_bset_name(bs));
		} else {
			disp_ctl_printf(o, "service %s (splice)\n", disp_bset_name(bs));
		}
		for (size_t k = 0; k < sizeof(sr_fields) / sizeof(sr_fields[0]); k++) {
			if (json)
				disp_ctl_printf(o, ",\"%s\":%llu", sr_fields[k].name, sr_field(&st, k));
			else
				disp_ctl_printf(o, "  %-16s %llu\n", sr_fields[k].name, sr_field(&st, k));
		}
		if (json)
			disp_ctl_printf(o, ",\"table_entries\":%u,\"table_cap\":%u,"
					"\"table_evicted\":%llu,\"table_expired\":%llu,\"backends\":[",
					st.table.entries, st.table.cap,
					(unsigned long long)st.table.evicted,
					(unsigned long long)st.table.expired);
		else
			disp_ctl_printf(o, "  %-16s %u/%u (evicted %llu, expired %llu)\n",
					"table_entries", st.table.entries, st.table.cap,
					(unsigned long long)st.table.evicted,
					(unsigned long long)st.table.expired);
		for (size_t b = 0; b < n; b++) {
			char a[DISP_ADDR_STRLEN];

			disp_addr_format(disp_backend_addr(disp_bset_get(bs, b)), a, sizeof(a));
			if (json)
				disp_ctl_printf(o, "%s{\"backend\":\"%s\",\"full\":%llu,\"resumed\":%llu}",
						b ? "," : "", a, (unsigned long long)be[b].full,
						(unsigned long long)be[b].resumed);
			else
				disp_ctl_printf(o, "  backend %-24s full %llu resumed %llu\n", a,
						(unsigned long long)be[b].full,
						(unsigned long long)be[b].resumed);
		}
		if (json)
			disp_ctl_printf(o, "]");
		show_pools(o, json, r, &sc->cfg->services[i]);
		if (json)
			disp_ctl_printf(o, "}");
		first = false;
	}
	return json ? disp_ctl_printf(o, "]") : 0;
}

/* `show table`: every splice service's mapping table, in config order. */
static int show_table(void *arg, const struct disp_ctl_args *a,
		      struct disp_ctl_out *o)
{
	const struct sr_cmd *sc = arg;
	const struct disp_config *cfg = sc->cfg;
	uint64_t now = sc->now();
	bool json = a->json, first = true;
	int r = 0;

	if (json)
		disp_ctl_printf(o, "{\"services\":[");
	for (size_t i = 0; i < cfg->n_services && r == 0; i++) {
		const struct disp_service_conf *svc = &cfg->services[i];
		struct sroute *sr = sc->route(sc->arg, i);

		if (svc->mode != DISP_MODE_SPLICE)
			continue;
		if (json) {
			disp_ctl_printf(o, "%s{\"service\":", first ? "" : ",");
			disp_ctl_json_str(o, svc->name);
			disp_ctl_printf(o, ",\"session_table\":");
		} else {
			disp_ctl_printf(o, "%sservice %s\n", first ? "" : "\n", svc->name);
		}
		first = false;
		/* No router: the engine does not run this service's splice
		 * path (yet); say so rather than show an empty table. */
		if (!sr)
			r = disp_ctl_printf(o, json ? "null}" : "(no session router running)\n");
		else if ((r = sroute_show(sr, o, json, now)) == 0 && json)
			r = disp_ctl_printf(o, "}");
	}
	if (first && !json) {
		struct mt_show_ctx ctx;

		r = mt_show_head(&ctx, NULL, o, false, now);
		if (r == 0)
			r = disp_ctl_printf(o, "(no splice service)\n");
	}
	if (json && r == 0)
		r = disp_ctl_printf(o, "]}\n");
	return r;
}

/* flush [older-than SECONDS]: forget mapping-table entries, all of them or
 * those untouched for that long. */
static int flush(void *arg, const struct disp_ctl_args *a,
		 struct disp_ctl_out *o)
{
	const struct sr_cmd *sc = arg;
	uint64_t now = sc->now();
	/* Ten years: past any session lifetime, and far from overflow. */
	const unsigned long long max_s = 315360000ull;
	unsigned long long secs = 0;
	int64_t n = 0;

	if (a->n != 0 && !(a->n == 2 && (strcmp(a->w[0], "older-than") == 0 ||
					 strcmp(a->w[0], "--older-than") == 0))) {
		disp_ctl_printf(o, "usage: flush [older-than SECONDS]\n");
		return -EINVAL;
	}
	if (a->n == 2) {
		const char *s = a->w[1];

		if (*s == '\0' || strspn(s, "0123456789") != strlen(s) ||
		    strlen(s) > 9 || (secs = strtoull(s, NULL, 10)) == 0 || secs > max_s) {
			disp_ctl_printf(o, "older-than: '%s' is not a number of seconds in 1..%llu\n",
					s, max_s);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < sc->cfg->n_services; i++) {
		struct sroute *sr = sc->route(sc->arg, i);

		if (sr)
			n += sroute_flush(sr, secs * 1000, now);
	}
	if (a->json)
		return disp_ctl_printf(o, "{\"flushed\":%lld}\n", (long long)n);
	return disp_ctl_printf(o, "flushed %lld entr%s\n", (long long)n, n == 1 ? "y" : "ies");
}

int sroute_cmd_register_fn(struct disp_ctl *ctl, const struct disp_config *cfg,
			   struct disp_pool *pool, sroute_cmd_route_fn route,
			   void *arg, uint64_t (*now)(void))
{
	struct sr_cmd *sc = calloc(1, sizeof(*sc));
	int r;

	if (!sc)
		return -ENOMEM;
	*sc = (struct sr_cmd){ .cfg = cfg, .pool = pool, .route = route, .arg = arg,
			       .now = now ? now : disp_ctl_now_ms };
	r = disp_ctl_keep(ctl, sc);
	if (r == 0)
		r = disp_ctl_register(ctl, &(struct disp_ctl_cmd){
			"show", "table", NULL,
			"splice services' session mapping tables", show_table, sc });
	if (r == 0)
		r = disp_ctl_register(ctl, &(struct disp_ctl_cmd){
			"flush", NULL, "[older-than SECONDS]",
			"forget mapping-table entries (all, or those idle that long)",
			flush, sc });
	if (r == 0)
		r = disp_ctl_register_stats(ctl, "splice", show_stats, sc);
	return r;
}
