/* `show conns`, `show stats`, `show table` and `flush` from the engine's
 * thread-safe readers and its splice services' session routers. */
#include <stddef.h>
#include <string.h>

#include "engine/ctl_engine.h"
#include "ctl/ctl_int.h"
#include "splice/route/ctl_splice.h"

#define CONNS_SHOWN_MAX 10000 /* keeps a reply well under the reply cap */

struct conn_walk {
	struct disp_ctl_out *o;
	bool json;
	unsigned n;
};

static int one_conn(const struct disp_conn_info *c, void *arg)
{
	struct conn_walk *w = arg;

	if (w->json) {
		disp_ctl_printf(w->o, "%s{\"client\":", w->n ? "," : "");
		disp_ctl_json_str(w->o, c->client);
		disp_ctl_printf(w->o, ",\"vip\":");
		disp_ctl_json_str(w->o, c->vip);
		disp_ctl_printf(w->o, ",\"backend\":");
		disp_ctl_json_str(w->o, c->backend);
		disp_ctl_printf(w->o, ",\"snat\":");
		disp_ctl_json_str(w->o, c->snat);
		disp_ctl_printf(w->o, ",\"state\":");
		disp_ctl_json_str(w->o, c->state ? c->state : "?");
		disp_ctl_printf(w->o,
				",\"pkts_in\":%llu,\"pkts_out\":%llu,\"bytes_in\":%llu,"
				"\"bytes_out\":%llu,\"age_ms\":%llu,\"idle_ms\":%llu,"
				"\"service\":%u,\"worker\":%u}",
				(unsigned long long)c->pkts_in, (unsigned long long)c->pkts_out,
				(unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
				(unsigned long long)c->age_ms, (unsigned long long)c->idle_ms,
				c->service, c->worker);
	} else {
		disp_ctl_printf(w->o, "%-28s %-24s %-28s %-12s %8llu %8llu %8.1fs\n",
				c->client, c->vip, c->backend, c->state ? c->state : "?",
				(unsigned long long)c->pkts_in,
				(unsigned long long)c->pkts_out, c->age_ms / 1000.0);
	}
	w->n++;
	return 0;
}

static int show_conns(void *arg, struct disp_ctl_out *o, bool json)
{
	struct disp_ctl_engine *ce = arg;
	struct conn_walk w = { .o = o, .json = json };

	if (json)
		disp_ctl_printf(o, "{\"conns\":[");
	else
		disp_ctl_printf(o, "%-28s %-24s %-28s %-12s %8s %8s %9s\n", "CLIENT", "VIP",
				"BACKEND", "STATE", "PKTS-IN", "PKTS-OUT", "AGE");
	disp_engine_foreach_conn(ce->e, CONNS_SHOWN_MAX, one_conn, &w);
	if (json)
		disp_ctl_printf(o, "],\"shown\":%u,\"limit\":%u}\n", w.n, CONNS_SHOWN_MAX);
	else if (w.n == CONNS_SHOWN_MAX)
		disp_ctl_printf(o, "(first %u shown)\n", CONNS_SHOWN_MAX);
	return 0;
}

/* Every engine counter by name, in the order the engine's tests and
 * `show stats` print them. */
#define U64(f) { #f, offsetof(struct disp_engine_stats, f), 8 }
#define U32(f) { #f, offsetof(struct disp_engine_stats, f), 4 }
static const struct {
	const char *name;
	size_t off, size;
} fields[] = {
	U64(rx_packets), U64(tx_packets), U64(tx_errors), U64(rx_bytes),
	U64(tx_bytes), U64(flows_created), U64(flows_active), U64(flows_closed),
	U64(flows_expired), U64(refused_full), U64(refused_nobackend),
	U64(rst_sent), U64(dropped_parse), U64(dropped_noflow), U64(ignored),
	U64(csum_bad), U64(gso_packets), U64(gso_segments),
	U64(splice_synacks), U64(splice_cookies), U64(splice_cookie_ok),
	U64(splice_bad_ack), U64(splice_bound), U64(splice_hello_timeout),
	U64(splice_not_tls), U64(splice_be_retries), U64(splice_be_refused),
	U64(splice_replays), U64(splice_setup_us), U64(splice_setup_max_us),
	U32(workers),
	U32(flow_capacity), U32(bytes_per_flow),
};

static unsigned long long field(const struct disp_engine_stats *s, size_t i)
{
	const char *p = (const char *)s + fields[i].off;

	if (fields[i].size == 8)
		return *(const uint64_t *)(const void *)p;
	return *(const uint32_t *)(const void *)p;
}

static struct sroute *route(void *arg, size_t svc)
{
	struct disp_ctl_engine *ce = arg;

	return disp_engine_route(ce->e, svc);
}

static int show_stats(void *arg, struct disp_ctl_out *o, bool json)
{
	struct disp_ctl_engine *ce = arg;
	struct disp_engine_stats s, ws;

	memset(&s, 0, sizeof(s));
	disp_engine_stats(ce->e, &s);
	if (json)
		disp_ctl_printf(o, "{");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (json)
			disp_ctl_printf(o, "%s\"%s\":%llu", i ? "," : "", fields[i].name,
					field(&s, i));
		else
			disp_ctl_printf(o, "%-18s %llu\n", fields[i].name, field(&s, i));
	}
	if (json)
		disp_ctl_printf(o, ",\"worker_flows\":[");
	for (unsigned w = 0; w < s.workers; w++) {
		memset(&ws, 0, sizeof(ws));
		disp_engine_worker_stats(ce->e, w, &ws);
		if (json)
			disp_ctl_printf(o, "%s%llu", w ? "," : "",
					(unsigned long long)ws.flows_created);
		else
			disp_ctl_printf(o, "worker%u_flows%*s %llu\n", w, w < 10 ? 5 : 4, "",
					(unsigned long long)ws.flows_created);
	}
	/* Mean splice setup latency (hello complete -> backend SYN-ACK). */
	if (json)
		disp_ctl_printf(o, "],\"splice_setup_avg_us\":%llu",
				s.splice_bound ? (unsigned long long)(s.splice_setup_us / s.splice_bound) : 0ull);
	else
		disp_ctl_printf(o, "%-18s %llu\n", "splice_setup_avg_us",
				s.splice_bound ? (unsigned long long)(s.splice_setup_us / s.splice_bound) : 0ull);
	disp_ctl_splice_stats(ce->pool, disp_engine_nservices(ce->e), route, ce, o, json);
	if (json)
		disp_ctl_printf(o, "}");
	return 0;
}

static int show_table(void *arg, struct disp_ctl_out *o, bool json)
{
	struct disp_ctl_engine *ce = arg;

	return disp_ctl_splice_table(ce->cfg, route, ce, o, json, disp_ctl_now_ms());
}

static int64_t flush(void *arg, uint64_t older_than_ms)
{
	struct disp_ctl_engine *ce = arg;

	return disp_ctl_splice_flush(disp_engine_nservices(ce->e), route, ce,
				     older_than_ms, disp_ctl_now_ms());
}

void disp_ctl_engine_print_stats(struct disp_engine *e, FILE *f)
{
	struct disp_engine_stats s, ws;

	memset(&s, 0, sizeof(s));
	disp_engine_stats(e, &s);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		fprintf(f, "%s %llu\n", fields[i].name, field(&s, i));
	for (unsigned w = 0; w < s.workers; w++) {
		memset(&ws, 0, sizeof(ws));
		if (disp_engine_worker_stats(e, w, &ws) == 0)
			fprintf(f, "worker%u_flows %llu\n", w,
				(unsigned long long)ws.flows_created);
	}
	fflush(f);
}

void disp_ctl_engine_ops(struct disp_ctl_engine *ce, struct disp_ctl_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->show_conns = show_conns;
	ops->show_stats = show_stats;
	ops->show_table = show_table;
	ops->flush = flush;
	ops->arg = ce;
}
