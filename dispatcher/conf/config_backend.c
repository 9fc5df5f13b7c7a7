/* A service's backend keywords: its servers, the scheduler choosing among
 * them, and the health checks judging them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config_int.h"

#define CFG_BACKENDS_MAX 1024

static int kw_scheduler(struct parser *p, const struct cfg_line *ln)
{
	const char *s = ln->tok[1];

	if (strcmp(s, "rr") == 0)
		p->svc->sched = DISP_SCHED_RR;
	else if (strcmp(s, "wlc") == 0)
		p->svc->sched = DISP_SCHED_WLC;
	else if (strcmp(s, "source-hash") == 0)
		p->svc->sched = DISP_SCHED_SOURCE_HASH;
	else if (strcmp(s, "lard") == 0)
		p->svc->sched = DISP_SCHED_LARD;
	else
		return disp_cfg_fail(p, ln->lineno,
			    "scheduler: '%s' is unknown (expected rr, wlc, source-hash or lard)", s);
	p->sched_line = ln->lineno;
	return 0;
}

/* backend IP:PORT [weight N] [ticket-key-file PATH] [session-id-prefix HEX] */
static int kw_backend(struct parser *p, const struct cfg_line *ln)
{
	struct disp_service_conf *s = p->svc;
	struct disp_backend_conf b = { .weight = 1, .line = ln->lineno,
				       .pool = p->pool_open };
	bool seen_w = false;
	unsigned long w;

	if (disp_cfg_want_addr(p, ln->lineno, "backend", ln->tok[1], true, &b.addr) < 0)
		return -EINVAL;
	for (size_t i = 2; i < ln->ntok; i += 2) {
		const char *k = ln->tok[i], *val = i + 1 < ln->ntok ? ln->tok[i + 1] : NULL;

		if (strcmp(k, "weight") != 0 && strcmp(k, "ticket-key-file") != 0 &&
		    strcmp(k, "session-id-prefix") != 0)
			return disp_cfg_fail(p, ln->lineno,
				    "backend: '%s' is unknown (expected 'backend IP:PORT [weight N] [ticket-key-file PATH] [session-id-prefix HEX]')",
				    k);
		if (!val)
			return disp_cfg_fail(p, ln->lineno, "backend: '%s' needs a value", k);
		if (strcmp(k, "weight") == 0) {
			if (seen_w)
				return disp_cfg_fail(p, ln->lineno, "backend: 'weight' given twice");
			seen_w = true;
			if (disp_cfg_want_uint(p, ln->lineno, "backend weight", val, 1, 256, &w) < 0)
				return -EINVAL;
			b.weight = (unsigned)w;
		} else if (disp_cfg_backend_splice(p, ln->lineno, &b, k, val) < 0) {
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < s->n_backends; i++) {
		if (disp_addr_equal(&s->backends[i].addr, &b.addr))
			return disp_cfg_fail(p, ln->lineno,
				    "backend: %s is already listed at line %u",
				    ln->tok[1], s->backends[i].line);
		/* A prefix names one backend; two would make routing by it a
		 * guess (backends sharing a ticket key need no prefix). */
		if (b.has_ticket_name && s->backends[i].has_ticket_name &&
		    memcmp(b.ticket_name, s->backends[i].ticket_name, 16) == 0)
			return disp_cfg_fail(p, ln->lineno,
				    "backend: ticket key name is the same as the backend's at line %u (expected one key file per backend)",
				    s->backends[i].line);
		if (b.sid_prefix_len && b.sid_prefix_len == s->backends[i].sid_prefix_len &&
		    memcmp(b.sid_prefix, s->backends[i].sid_prefix, b.sid_prefix_len) == 0)
			return disp_cfg_fail(p, ln->lineno,
				    "backend: session-id-prefix is the same as the backend's at line %u (expected one prefix per backend)",
				    s->backends[i].line);
	}
	if (s->n_backends == CFG_BACKENDS_MAX)
		return disp_cfg_fail(p, ln->lineno, "backend: more than %d backends in one service",
			    CFG_BACKENDS_MAX);
	if (s->n_backends == p->backends_cap) {
		size_t cap = p->backends_cap ? p->backends_cap * 2 : 8;
		struct disp_backend_conf *nb =
			realloc(s->backends, cap * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		s->backends = nb;
		p->backends_cap = cap;
	}
	s->backends[s->n_backends++] = b;
	return 0;
}

/* health tcp|tls [interval D] [timeout D] [fall N] [rise N]
 *            [backoff-max D] [port N] [sni NAME] */
static int kw_health(struct parser *p, const struct cfg_line *ln)
{
	struct disp_health_conf *h = &p->svc->health;
	unsigned long v;

	if (strcmp(ln->tok[1], "tcp") == 0)
		h->tls = false;
	else if (strcmp(ln->tok[1], "tls") == 0)
		h->tls = true;
	else
		return disp_cfg_fail(p, ln->lineno, "health: '%s' is not a probe type (expected tcp or tls)",
			    ln->tok[1]);
	h->enabled = true;
	for (size_t i = 2; i < ln->ntok; i += 2) {
		const char *k = ln->tok[i], *val;

		if (i + 1 >= ln->ntok)
			return disp_cfg_fail(p, ln->lineno, "health: '%s' needs a value", k);
		val = ln->tok[i + 1];
		if (strcmp(k, "interval") == 0) {
			if (disp_cfg_want_duration(p, ln->lineno, "health interval", val, &h->interval_ms) < 0)
				return -EINVAL;
		} else if (strcmp(k, "timeout") == 0) {
			if (disp_cfg_want_duration(p, ln->lineno, "health timeout", val, &h->timeout_ms) < 0)
				return -EINVAL;
		} else if (strcmp(k, "backoff-max") == 0) {
			if (disp_cfg_want_duration(p, ln->lineno, "health backoff-max", val, &h->backoff_max_ms) < 0)
				return -EINVAL;
		} else if (strcmp(k, "fall") == 0 || strcmp(k, "rise") == 0) {
			if (disp_cfg_want_uint(p, ln->lineno, k, val, 1, 100, &v) < 0)
				return -EINVAL;
			*(k[0] == 'f' ? &h->fall : &h->rise) = (unsigned)v;
		} else if (strcmp(k, "port") == 0) {
			if (disp_cfg_want_uint(p, ln->lineno, "health port", val, 1, 65535, &v) < 0)
				return -EINVAL;
			h->port = (uint16_t)v;
		} else if (strcmp(k, "sni") == 0) {
			if (!h->tls)
				return disp_cfg_fail(p, ln->lineno, "health: sni needs 'health tls'");
			if (!disp_cfg_valid_name(val, sizeof(h->sni)))
				return disp_cfg_fail(p, ln->lineno, "health: '%s' is not a host name", val);
			strcpy(h->sni, val);
		} else {
			return disp_cfg_fail(p, ln->lineno,
				    "health: '%s' is unknown (expected interval, timeout, fall, rise, backoff-max, port or sni)",
				    k);
		}
	}
	if (h->timeout_ms > h->interval_ms)
		return disp_cfg_fail(p, ln->lineno,
			    "health: timeout %ums is longer than interval %ums (expected timeout <= interval)",
			    h->timeout_ms, h->interval_ms);
	if (h->backoff_max_ms < h->interval_ms)
		return disp_cfg_fail(p, ln->lineno,
			    "health: backoff-max %ums is shorter than interval %ums",
			    h->backoff_max_ms, h->interval_ms);
	return 0;
}

static int kw_passive_health(struct parser *p, const struct cfg_line *ln)
{
	return disp_cfg_want_onoff(p, ln->lineno, "passive-health", ln->tok[1],
				   &p->svc->passive_health);
}

/* passive-hold SECONDS: how long a backend that refused stays DOWN. */
static int kw_passive_hold(struct parser *p, const struct cfg_line *ln)
{
	unsigned long v;

	if (disp_cfg_want_uint(p, ln->lineno, "passive-hold", ln->tok[1], 1, 3600, &v) < 0)
		return -EINVAL;
	p->svc->passive_hold_ms = (unsigned)v * 1000;
	return 0;
}

const struct disp_cfg_kw disp_cfg_backend_kw[] = {
	{ "scheduler", 1, 1, true, true, "scheduler rr|wlc|source-hash|lard", kw_scheduler },
	{ "backend", 1, 7, true, false,
	  "backend IP:PORT [weight N] [ticket-key-file PATH] [session-id-prefix HEX]",
	  kw_backend },
	{ "health", 1, CFG_TOK_MAX - 1, true, true,
	  "health tcp|tls [interval D] [timeout D] [fall N] [rise N] [backoff-max D] [port N] [sni NAME]",
	  kw_health },
	{ "passive-health", 1, 1, true, true, "passive-health on|off", kw_passive_health },
	{ "passive-hold", 1, 1, true, true, "passive-hold SECONDS", kw_passive_hold },
};
const size_t disp_cfg_backend_nkw = sizeof(disp_cfg_backend_kw) / sizeof(disp_cfg_backend_kw[0]);
