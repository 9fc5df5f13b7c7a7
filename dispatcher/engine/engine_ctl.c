/* The engine on the control socket: `show conns` and the engine section
 * of `show stats`, from the engine's thread-safe readers. */
#include <stddef.h>
#include <string.h>

#include "engine/engine_ctl.h"

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
				"\"service\":%u,\"worker\":%u,\"offloaded\":%s,"
				"\"fp_bytes_in\":%llu,\"fp_bytes_out\":%llu}",
				(unsigned long long)c->pkts_in, (unsigned long long)c->pkts_out,
				(unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
				(unsigned long long)c->age_ms, (unsigned long long)c->idle_ms,
				c->service, c->worker, c->offloaded ? "true" : "false",
				(unsigned long long)c->fp_bytes[0],
				(unsigned long long)c->fp_bytes[1]);
	} else {
		disp_ctl_printf(w->o, "%-28s %-24s %-28s %-12s %8llu %8llu %8.1fs\n",
				c->client, c->vip, c->backend, c->state ? c->state : "?",
				(unsigned long long)c->pkts_in,
				(unsigned long long)c->pkts_out, c->age_ms / 1000.0);
	}
	w->n++;
	return 0;
}

static int show_conns(void *arg, const struct disp_ctl_args *a,
		      struct disp_ctl_out *o)
{
	struct disp_engine *e = arg;
	bool json = a->json;
	struct conn_walk w = { .o = o, .json = json };

	if (json)
		disp_ctl_printf(o, "{\"conns\":[");
	else
		disp_ctl_printf(o, "%-28s %-24s %-28s %-12s %8s %8s %9s\n", "CLIENT", "VIP",
				"BACKEND", "STATE", "PKTS-IN", "PKTS-OUT", "AGE");
	disp_engine_foreach_conn(e, CONNS_SHOWN_MAX, one_conn, &w);
	if (json)
		disp_ctl_printf(o, "],\"shown\":%u,\"limit\":%u}\n", w.n, CONNS_SHOWN_MAX);
	else if (w.n == CONNS_SHOWN_MAX)
		disp_ctl_printf(o, "(first %u shown)\n", CONNS_SHOWN_MAX);
	return 0;
}

/* Every engine counter by name (engine_counters.h), then the sizes. */
#define U64(f, how, doc) { #f, offsetof(struct disp_engine_stats, f), 8 },
#define U32(f) { #f, offsetof(struct disp_engine_stats, f), 4 }
static const struct {
	const char *name;
	size_t off, size;
} fields[] = {
	DISP_ENGINE_COUNTERS(U64)
	U32(workers), U32(flow_capacity), U32(bytes_per_flow),
};

static unsigned long long field(const struct disp_engine_stats *s, size_t i)
{
	const char *p = (const char *)s + fields[i].off;

	if (fields[i].size == 8)
		return *(const uint64_t *)(const void *)p;
	return *(const uint32_t *)(const void *)p;
}

static int show_stats(void *arg, struct disp_ctl_out *o, bool json)
{
	struct disp_engine *e = arg;
	struct disp_engine_stats s, ws;

	memset(&s, 0, sizeof(s));
	disp_engine_stats(e, &s);
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
		disp_engine_worker_stats(e, w, &ws);
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
	return json ? disp_ctl_printf(o, "}") : 0;
}

void disp_engine_print_stats(struct disp_engine *e, FILE *f)
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

int disp_engine_ctl_register(struct disp_ctl *ctl, struct disp_engine *e)
{
	int r = disp_ctl_register(ctl, &(struct disp_ctl_cmd){
		"show", "conns", NULL, "tracked connections (the first 10000)",
		show_conns, e });

	return r ? r : disp_ctl_register_stats(ctl, "engine", show_stats, e);
}
