/* `show conns` and `show stats` from the engine's thread-safe readers. */
#include <string.h>

#include "ctl_engine.h"

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
	struct conn_walk w = { .o = o, .json = json };

	if (json)
		disp_ctl_printf(o, "{\"conns\":[");
	else
		disp_ctl_printf(o, "%-28s %-24s %-28s %-12s %8s %8s %9s\n", "CLIENT", "VIP",
				"BACKEND", "STATE", "PKTS-IN", "PKTS-OUT", "AGE");
	disp_engine_foreach_conn(arg, CONNS_SHOWN_MAX, one_conn, &w);
	if (json)
		disp_ctl_printf(o, "],\"shown\":%u,\"limit\":%u}\n", w.n, CONNS_SHOWN_MAX);
	else if (w.n == CONNS_SHOWN_MAX)
		disp_ctl_printf(o, "(first %u shown)\n", CONNS_SHOWN_MAX);
	return 0;
}

static int show_stats(void *arg, struct disp_ctl_out *o, bool json)
{
	struct disp_engine_stats s;
	static const char *const rows[] = {
		"rx_packets", "tx_packets", "tx_errors", "rx_bytes", "tx_bytes",
		"flows_created", "flows_active", "flows_closed", "flows_expired",
		"refused_full", "refused_nobackend", "rst_sent", "dropped_parse",
		"dropped_noflow", "ignored", "workers", "flow_capacity",
		"bytes_per_flow",
	};
	uint64_t v[sizeof(rows) / sizeof(rows[0])];

	memset(&s, 0, sizeof(s));
	disp_engine_stats(arg, &s);
	v[0] = s.rx_packets; v[1] = s.tx_packets; v[2] = s.tx_errors;
	v[3] = s.rx_bytes; v[4] = s.tx_bytes; v[5] = s.flows_created;
	v[6] = s.flows_active; v[7] = s.flows_closed; v[8] = s.flows_expired;
	v[9] = s.refused_full; v[10] = s.refused_nobackend; v[11] = s.rst_sent;
	v[12] = s.dropped_parse; v[13] = s.dropped_noflow; v[14] = s.ignored;
	v[15] = s.workers; v[16] = s.flow_capacity; v[17] = s.bytes_per_flow;
	if (json)
		disp_ctl_printf(o, "{");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (json)
			disp_ctl_printf(o, "%s\"%s\":%llu", i ? "," : "", rows[i],
					(unsigned long long)v[i]);
		else
			disp_ctl_printf(o, "%-18s %llu\n", rows[i], (unsigned long long)v[i]);
	}
	if (json)
		disp_ctl_printf(o, "}");
	return 0;
}

void disp_ctl_engine_ops(struct disp_engine *e, struct disp_ctl_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->show_conns = show_conns;
	ops->show_stats = show_stats;
	ops->arg = e;
}
