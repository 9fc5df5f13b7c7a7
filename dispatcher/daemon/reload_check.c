/* Which config changes a running spliced can take. See reload_check.h.
 *
 * What needs a restart, and why: the engine opens its captures per
 * interface and io kind, steers by VIP port and sizes its flow tables
 * (max-flows, one timeout class per service) once at start; a splice
 * service's session router and mapping table are sized once (by the
 * backend set's capacity, so backends may come and go) and learn the
 * ticket and session-ID prefixes once. Everything the backend pool and
 * the health checker own can change live. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/reload_check.h"

const struct disp_service_conf *disp_config_service(const struct disp_config *cfg,
						    const char *name)
{
	for (size_t i = 0; i < cfg->n_services; i++)
		if (strcmp(cfg->services[i].name, name) == 0)
			return &cfg->services[i];
	return NULL;
}

static int refuse(char *err, size_t errlen, const struct disp_config *next, unsigned line,
		  const char *service, const char *what)
{
	if (service && line)
		snprintf(err, errlen, "%s:%u: service %s: %s needs a restart", next->path,
			 line, service, what);
	else if (service)
		snprintf(err, errlen, "%s: service %s: %s needs a restart", next->path,
			 service, what);
	else
		snprintf(err, errlen, "%s: %s needs a restart", next->path, what);
	return -EINVAL;
}

static bool has_prefix(const struct disp_backend_conf *b)
{
	return b->has_ticket_name || b->sid_prefix_len;
}

static const struct disp_backend_conf *backend_in(const struct disp_service_conf *sc,
						  const struct disp_addr *a)
{
	for (size_t i = 0; i < sc->n_backends; i++)
		if (disp_addr_equal(&sc->backends[i].addr, a))
			return &sc->backends[i];
	return NULL;
}

/* A splice service's session router learns the ticket and session-ID
 * prefixes once: a backend that stays keeps its own, a new one has none. */
static const char *prefixes_diff(const struct disp_service_conf *o,
				 const struct disp_service_conf *n)
{
	for (size_t i = 0; i < n->n_backends; i++) {
		const struct disp_backend_conf *y = &n->backends[i];
		const struct disp_backend_conf *x = backend_in(o, &y->addr);

		if (!x && has_prefix(y))
			return "adding a backend with ticket-key-file or session-id-prefix";
		if (x && (x->has_ticket_name != y->has_ticket_name ||
			  memcmp(x->ticket_name, y->ticket_name, sizeof(x->ticket_name)) != 0 ||
			  x->sid_prefix_len != y->sid_prefix_len ||
			  memcmp(x->sid_prefix, y->sid_prefix, x->sid_prefix_len) != 0))
			return "changing a backend's ticket-key-file or session-id-prefix";
		if (x && x->pool != y->pool)
			return "moving a backend to another pool";
	}
	return NULL;
}

static bool same_rules(const struct rule_set *a, const struct rule_set *b)
{
	if (a->nrules != b->nrules)
		return false;
	for (unsigned i = 0; i < a->nrules; i++) {
		const struct rule *x = &a->rules[i], *y = &b->rules[i];

		if (x->ncond != y->ncond || x->pool != y->pool)
			return false;
		for (unsigned c = 0; c < x->ncond; c++)
			if (x->cond[c].field != y->cond[c].field ||
			    x->cond[c].suffix != y->cond[c].suffix ||
			    x->cond[c].cookie != y->cond[c].cookie ||
			    strcmp(x->cond[c].value, y->cond[c].value) != 0)
				return false;
	}
	for (unsigned i = 0; i < a->ncookies; i++)
		if (i >= b->ncookies || strcmp(a->cookies[i], b->cookies[i]) != 0)
			return false;
	return a->ncookies == b->ncookies;
}

static bool same_pools(const struct disp_service_conf *a, const struct disp_service_conf *b)
{
	if (a->n_pools != b->n_pools || a->default_pool != b->default_pool)
		return false;
	for (size_t i = 0; i < a->n_pools; i++)
		if (strcmp(a->pools[i].name, b->pools[i].name) != 0)
			return false;
	return same_rules(&a->rules, &b->rules);
}

/* The first setting of service s that differs from the running n and
 * cannot change live, or NULL. */
static const char *service_diff(const struct disp_service_conf *o,
				const struct disp_service_conf *n)
{
	const char *why;

	if (!disp_addr_equal(&o->vip, &n->vip))
		return "changing vip";
	if (o->mode != n->mode)
		return "changing mode";
	if (o->io != n->io)
		return "changing io";
	if (o->fastpath != n->fastpath)
		return "changing fastpath";
	if (strcmp(o->client_if, n->client_if) != 0)
		return "changing client-interface";
	if (strcmp(o->server_if, n->server_if) != 0)
		return "changing server-interface";
	if (o->timeouts.syn_ms != n->timeouts.syn_ms)
		return "changing timeout syn";
	if (o->timeouts.established_ms != n->timeouts.established_ms)
		return "changing timeout established";
	if (o->timeouts.fin_ms != n->timeouts.fin_ms)
		return "changing timeout fin";
	if (o->timeouts.hello_ms != n->timeouts.hello_ms)
		return "changing timeout hello";
	if (o->max_flows != n->max_flows)
		return "changing max-flows";
	if (o->transparent != n->transparent || !disp_addr_equal(&o->snat_addr, &n->snat_addr))
		return "changing source-nat/transparent";
	if (o->session_lifetime_s != n->session_lifetime_s)
		return "changing session-lifetime";
	if (o->session_table != n->session_table ||
	    o->session_table_size != n->session_table_size)
		return "changing the session table";
	if (o->load_guard_pct != n->load_guard_pct || o->load_guard_min != n->load_guard_min)
		return "changing load-guard";
	/* The session router keeps LARD's target table from the start. */
	if ((o->sched == DISP_SCHED_LARD) != (n->sched == DISP_SCHED_LARD))
		return "changing the scheduler to or from lard";
	if ((why = prefixes_diff(o, n)))
		return why;
	if (!same_pools(o, n))
		return "changing pools or use-pool rules";
	return NULL;
}

int disp_reload_check(const struct disp_config *cur, const struct disp_config *next,
		      char *err, size_t errlen)
{
	if (strcmp(cur->ctl_path, next->ctl_path) != 0 || cur->ctl_mode != next->ctl_mode)
		return refuse(err, errlen, next, 0, NULL, "changing control-socket or control-mode");
	if (strcmp(cur->user, next->user) != 0)
		return refuse(err, errlen, next, 0, NULL, "changing user");
	if (strcmp(cur->state_path, next->state_path) != 0)
		return refuse(err, errlen, next, 0, NULL, "changing state-file");
	if (cur->workers != next->workers)
		return refuse(err, errlen, next, 0, NULL, "changing workers");
	if (cur->has_isn_secret != next->has_isn_secret ||
	    memcmp(cur->isn_secret, next->isn_secret, sizeof(cur->isn_secret)) != 0)
		return refuse(err, errlen, next, 0, NULL, "changing isn-secret-file");
	for (size_t i = 0; i < next->n_services; i++) {
		const struct disp_service_conf *n = &next->services[i];
		const struct disp_service_conf *o = disp_config_service(cur, n->name);
		const char *why;

		if (!o)
			return refuse(err, errlen, next, n->line, n->name, "adding a service");
		if ((why = service_diff(o, n)))
			return refuse(err, errlen, next, n->line, n->name, why);
	}
	for (size_t i = 0; i < cur->n_services; i++)
		if (!disp_config_service(next, cur->services[i].name))
			return refuse(err, errlen, next, 0, cur->services[i].name,
				      "removing a service");
	return 0;
}
