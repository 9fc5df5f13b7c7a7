/* `show backends`: every service's backends with state and load. */
#include "ctl/ctl_int.h"

static void backend_json(struct disp_ctl_out *o, struct disp_backend *be)
{
	char a[DISP_ADDR_STRLEN];

	disp_ctl_printf(o,
			"{\"address\":\"%s\",\"state\":\"%s\",\"admin\":\"%s\",\"healthy\":%s,"
			"\"probe\":\"%s\",\"weight\":%u,\"active\":%llu,\"total\":%llu}",
			disp_addr_format(disp_backend_addr(be), a, sizeof(a)),
			disp_be_state_name(disp_backend_state(be)),
			disp_be_state_name(disp_backend_admin(be)),
			disp_backend_healthy(be) ? "true" : "false",
			disp_probe_name(disp_backend_probe(be)),
			disp_backend_weight(be),
			(unsigned long long)disp_backend_conns(be),
			(unsigned long long)disp_backend_total(be));
}

int disp_ctl_show_backends(struct disp_ctl *ctl, struct disp_ctl_out *o,
			   bool json)
{
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
			for (size_t i = 0; i < disp_bset_count(bs); i++) {
				if (i)
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
		disp_ctl_printf(o, "  %-41s %-5s %-5s %-6s %6s %10s %12s  %s\n", "BACKEND",
				"STATE", "ADMIN", "HEALTH", "WEIGHT", "ACTIVE", "TOTAL",
				"LAST-PROBE");
		for (size_t i = 0; i < disp_bset_count(bs); i++) {
			struct disp_backend *be = disp_bset_get(bs, i);

			disp_ctl_printf(o, "  %-41s %-5s %-5s %-6s %6u %10llu %12llu  %s\n",
					disp_addr_format(disp_backend_addr(be), a, sizeof(a)),
					disp_be_state_name(disp_backend_state(be)),
					disp_be_state_name(disp_backend_admin(be)),
					disp_backend_healthy(be) ? "ok" : "failed",
					disp_backend_weight(be),
					(unsigned long long)disp_backend_conns(be),
					(unsigned long long)disp_backend_total(be),
					disp_probe_name(disp_backend_probe(be)));
		}
	}
	if (json)
		disp_ctl_printf(o, "]}\n");
	return 0;
}
