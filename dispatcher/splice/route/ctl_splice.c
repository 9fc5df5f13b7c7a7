/* The control socket's view of splice services' session routers: `show
 * table`, `flush` and the splice part of `show stats`. Routers are found
 * through a callback so this works from the engine and from tests. */
#include <stddef.h>
#include <string.h>

#include "splice/route/splice_route.h"

#include "ctl/ctl_int.h"
#include "splice/route/ctl_splice.h"

/* The session router's counters, by name, as `show stats` prints them. */
#define SR(f) { #f, offsetof(struct sroute_stats, f) }
static const struct {
	const char *name;
	size_t off;
} sr_fields[] = {
	SR(hellos), SR(not_tls), SR(offered), SR(prefix_routed), SR(table_hits),
	SR(table_misses), SR(resumed), SR(full), SR(guard_refused),
	SR(busy_refused), SR(learned),
};

static unsigned long long sr_field(const struct sroute_stats *s, size_t i)
{
	return *(const uint64_t *)(const void *)((const char *)s + sr_fields[i].off);
}

/* Per splice service: routing counters, its table's fill, and full
 * handshakes / resumptions per backend. Services whose engine has no
 * router (not running, or nat) are left out. */
void disp_ctl_splice_stats(struct disp_pool *pool, size_t nsvc,
			   disp_ctl_route_fn route, void *arg,
			   struct disp_ctl_out *o, bool json)
{
	struct sroute_be_stats be[64];
	struct sroute_stats st;
	bool first = true;

	if (json)
		disp_ctl_printf(o, ",\"splice\":[");
	for (size_t i = 0; i < nsvc; i++) {
		struct sroute *r = route(arg, i);
		struct disp_bset *bs = disp_pool_bset(pool, i);
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
			disp_ctl_printf(o, "]}");
		first = false;
	}
	if (json)
		disp_ctl_printf(o, "]");
}

/* `show table`: every splice service's mapping table, in config order. */
int disp_ctl_splice_table(const struct disp_config *cfg, disp_ctl_route_fn route,
			  void *arg, struct disp_ctl_out *o, bool json, uint64_t now)
{
	bool first = true;
	int r = 0;

	if (json)
		disp_ctl_printf(o, "{\"services\":[");
	for (size_t i = 0; i < cfg->n_services && r == 0; i++) {
		const struct disp_service_conf *sc = &cfg->services[i];
		struct sroute *sr = route(arg, i);

		if (sc->mode != DISP_MODE_SPLICE)
			continue;
		if (json) {
			disp_ctl_printf(o, "%s{\"service\":", first ? "" : ",");
			disp_ctl_json_str(o, sc->name);
			disp_ctl_printf(o, ",\"session_table\":");
		} else {
			disp_ctl_printf(o, "%sservice %s\n", first ? "" : "\n", sc->name);
		}
		first = false;
		/* No router: the engine does not run this service's splice
		 * path (yet); say so rather than show an empty table. */
		if (!sr)
			r = disp_ctl_printf(o, json ? "null}" : "(no session router running)\n");
		else if ((r = sroute_show(sr, o, json, now)) == 0 && json)
			r = disp_ctl_printf(o, "}");
	}
	if (first && !json)
		r = disp_ctl_printf(o, "SESSION-ID  SERVER-IP  SERVER-PORT  TIMESTAMP  STATE\n(no splice service)\n");
	if (json && r == 0)
		r = disp_ctl_printf(o, "]}\n");
	return r;
}

int64_t disp_ctl_splice_flush(size_t nsvc, disp_ctl_route_fn route, void *arg,
			      uint64_t older_than_ms, uint64_t now)
{
	int64_t n = 0;

	for (size_t i = 0; i < nsvc; i++) {
		struct sroute *sr = route(arg, i);

		if (sr)
			n += sroute_flush(sr, older_than_ms, now);
	}
	return n;
}

