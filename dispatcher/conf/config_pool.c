/* Content pools of a splice service: `pool NAME {` blocks of backends,
 * `use-pool NAME if FIELD VALUE [and FIELD VALUE]...` rules (first match
 * wins) and `default-pool NAME`. A rule names a pool defined above it, so
 * every name is resolved on its own line. nat mode picks a backend on the
 * SYN, before any content, so these keywords are refused there (at '}',
 * since `mode` may come later in the block). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config_int.h"
#include "lard/lard.h"

#define CFG_POOLS_MAX 64

static const char rule_usage[] =
	"use-pool NAME if sni|alpn|host|path|cookie VALUE [and ...]";

static void note_kw(struct parser *p, unsigned line, const char *kw)
{
	if (p->pool_kw_line)
		return;
	p->pool_kw_line = line;
	p->pool_kw = kw;
}

/* Pool number of name (see config.h), or 0 when no pool has that name. */
static unsigned pool_number(const struct disp_service_conf *s, const char *name)
{
	for (size_t i = 0; i < s->n_pools; i++)
		if (strcmp(s->pools[i].name, name) == 0)
			return (unsigned)i + 1;
	return 0;
}

static int want_pool(struct parser *p, unsigned line, const char *kw,
		     const char *name, unsigned *num)
{
	*num = pool_number(p->svc, name);
	if (*num == 0)
		return disp_cfg_fail(p, line,
			    "%s: no pool '%s' above this line (expected 'pool %s {' ... '}' before the lines that name it)",
			    kw, name, disp_cfg_valid_name(name, 64) ? name : "NAME");
	return 0;
}

static int kw_pool(struct parser *p, const struct cfg_line *ln)
{
	struct disp_service_conf *s = p->svc;
	struct disp_pool_conf *np;
	const char *name = ln->tok[1];

	if (ln->ntok != 3 || strcmp(ln->tok[2], "{") != 0)
		return disp_cfg_fail(p, ln->lineno,
			    "pool: expected 'pool NAME {' with the brace on the same line");
	if (!disp_cfg_valid_name(name, sizeof(np->name)))
		return disp_cfg_fail(p, ln->lineno,
			    "pool: '%s' is not a name (expected 1-63 of A-Z a-z 0-9 . _ -)", name);
	if (pool_number(s, name))
		return disp_cfg_fail(p, ln->lineno, "pool: '%s' is already defined at line %u",
			    name, s->pools[pool_number(s, name) - 1].line);
	if (s->n_pools == CFG_POOLS_MAX)
		return disp_cfg_fail(p, ln->lineno, "pool: more than %d pools in one service",
			    CFG_POOLS_MAX);
	np = realloc(s->pools, (s->n_pools + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	s->pools = np;
	memset(&np[s->n_pools], 0, sizeof(*np));
	strcpy(np[s->n_pools].name, name);
	np[s->n_pools].line = ln->lineno;
	p->pool_open = (unsigned)++s->n_pools;
	note_kw(p, ln->lineno, "pool");
	return 0;
}

int disp_cfg_end_pool(struct parser *p, unsigned line)
{
	const struct disp_service_conf *s = p->svc;
	const struct disp_pool_conf *pc = &s->pools[p->pool_open - 1];
	bool any = false;

	for (size_t i = 0; i < s->n_backends && !any; i++)
		any = s->backends[i].pool == p->pool_open;
	(void)line;
	if (!any)
		return disp_cfg_fail(p, pc->line,
			    "pool '%s' has no backend (expected at least one 'backend IP:PORT ...' line inside it)",
			    pc->name);
	p->pool_open = 0;
	return 0;
}

/* use-pool NAME if FIELD VALUE [and FIELD VALUE]... */
static int kw_use_pool(struct parser *p, const struct cfg_line *ln)
{
	struct disp_service_conf *s = p->svc;
	struct rule r = { .ncond = 0 };
	const char *why = "";
	size_t i;
	int rc;

	if (strcmp(ln->tok[2], "if") != 0)
		return disp_cfg_fail(p, ln->lineno, "use-pool: expected 'if' after the pool name, not '%s' (expected '%s')",
			    ln->tok[2], rule_usage);
	if (want_pool(p, ln->lineno, "use-pool", ln->tok[1], &r.pool) < 0)
		return -EINVAL;
	for (i = 3; i < ln->ntok; i += 3) {
		if (i > 3 && strcmp(ln->tok[i - 1], "and") != 0)
			return disp_cfg_fail(p, ln->lineno,
				    "use-pool: expected 'and' between conditions, not '%s' (expected '%s')",
				    ln->tok[i - 1], rule_usage);
		if (i + 1 >= ln->ntok)
			return disp_cfg_fail(p, ln->lineno, "use-pool: '%s' needs a value (expected '%s')",
				    ln->tok[i], rule_usage);
		if (r.ncond == RULE_CONDS_MAX)
			return disp_cfg_fail(p, ln->lineno,
				    "use-pool: more than %d conditions in one rule", RULE_CONDS_MAX);
		rc = rule_cond_parse(&s->rules, &r.cond[r.ncond], ln->tok[i],
				     ln->tok[i + 1], &why);
		if (rc < 0)
			return disp_cfg_fail(p, ln->lineno, "use-pool: %s '%s': %s", ln->tok[i],
				    ln->tok[i + 1], why);
		r.ncond++;
	}
	if (i == ln->ntok) /* a trailing word after the last condition */
		return disp_cfg_fail(p, ln->lineno, "use-pool: '%s' dangles (expected '%s')",
			    ln->tok[ln->ntok - 1], rule_usage);
	rc = rule_set_add(&s->rules, &r);
	if (rc == -ENOSPC)
		return disp_cfg_fail(p, ln->lineno, "use-pool: more than %d rules in one service",
			    RULES_MAX);
	if (rc < 0)
		return rc;
	note_kw(p, ln->lineno, "use-pool");
	return 0;
}

static int kw_default_pool(struct parser *p, const struct cfg_line *ln)
{
	note_kw(p, ln->lineno, "default-pool");
	return want_pool(p, ln->lineno, "default-pool", ln->tok[1],
			 &p->svc->default_pool);
}

/* scheduler lard: LARD/R reads the HTTP path (splice mode only) and keeps
 * a target's backends as a 64-bit set, so a pool holds at most 64. */
static int check_lard(struct parser *p)
{
	struct disp_service_conf *s = p->svc;

	if (s->sched != DISP_SCHED_LARD)
		return 0;
	if (s->mode != DISP_MODE_SPLICE)
		return disp_cfg_fail(p, p->sched_line,
			    "scheduler lard routes on the HTTP path, which only 'mode splice' reads (service '%s' is in %s mode)",
			    s->name, disp_mode_name(s->mode));
	for (size_t k = 0; k <= s->n_pools; k++) {
		size_t n = 0;

		for (size_t i = 0; i < s->n_backends; i++)
			n += s->backends[i].pool == k;
		if (n > LARD_BACKENDS_MAX)
			return disp_cfg_fail(p, p->sched_line,
				    "scheduler lard: %s%s%s has %zu backends (at most %d)",
				    k ? "pool '" : "the backends outside pool blocks",
				    k ? s->pools[k - 1].name : "", k ? "'" : "", n,
				    LARD_BACKENDS_MAX);
	}
	/* The first bytes' reader parses HTTP only for a rule that needs
	 * it; the scheduler needs the path too. */
	s->rules.fields |= 1u << RULE_PATH;
	return 0;
}

/* At the service's '}': what the pools and rules need of the whole block. */
int disp_cfg_check_pools(struct parser *p)
{
	const struct disp_service_conf *s = p->svc;
	const struct disp_backend_conf *outside = NULL;

	if (check_lard(p) < 0)
		return -EINVAL;
	if (!p->pool_kw_line)
		return 0;
	if (s->mode != DISP_MODE_SPLICE)
		return disp_cfg_fail(p, p->pool_kw_line,
			    "%s: content pools need 'mode splice' (service '%s' is in %s mode, which picks the backend on the SYN, by address and port only: give each pool its own service and vip)",
			    p->pool_kw, s->name, disp_mode_name(s->mode));
	for (size_t i = 0; i < s->n_backends && !outside; i++)
		if (s->backends[i].pool == 0)
			outside = &s->backends[i];
	if (s->default_pool && outside)
		return disp_cfg_fail(p, outside->line,
			    "backend outside every pool block while default-pool is '%s': no connection would reach it (expected it inside a pool block)",
			    s->pools[s->default_pool - 1].name);
	if (!s->default_pool && !outside)
		return disp_cfg_fail(p, s->line,
			    "service '%s' has pools but no default (expected 'default-pool NAME', or backends outside the pool blocks for the connections no rule matches)",
			    s->name);
	for (size_t i = 0; i < s->n_pools; i++) {
		bool used = s->default_pool == i + 1;

		for (unsigned k = 0; k < s->rules.nrules && !used; k++)
			used = s->rules.rules[k].pool == i + 1;
		if (!used)
			return disp_cfg_fail(p, s->pools[i].line,
				    "pool '%s' is named by no use-pool rule and is not the default-pool: no connection would reach it",
				    s->pools[i].name);
	}
	return 0;
}

const struct disp_cfg_kw disp_cfg_pool_kw[] = {
	{ "pool", 1, 2, true, false, "pool NAME {", kw_pool },
	{ "use-pool", 4, CFG_TOK_MAX - 1, true, false, rule_usage, kw_use_pool },
	{ "default-pool", 1, 1, true, true, "default-pool NAME", kw_default_pool },
};
const size_t disp_cfg_pool_nkw = sizeof(disp_cfg_pool_kw) / sizeof(disp_cfg_pool_kw[0]);
