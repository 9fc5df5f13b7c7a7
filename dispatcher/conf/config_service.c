/* The keywords of a `service NAME {` block that shape its flows (address,
 * mode, interfaces, timeouts, source address), its defaults, and the
 * checks run at its closing brace. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "conf/config_int.h"

void disp_cfg_service_defaults(struct disp_service_conf *s)
{
	memset(s, 0, sizeof(*s));
	s->mode = DISP_MODE_NAT;
	s->io = DISP_IO_PCAP;
	s->sched = DISP_SCHED_RR;
	s->timeouts.syn_ms = 10000;
	s->timeouts.established_ms = 300000;
	s->timeouts.fin_ms = 15000;
	s->session_lifetime_s = 300;
	s->max_flows = 65536;
	s->timeouts.hello_ms = 1000;
	s->session_table = true;
	s->session_table_size = 65536;
	s->load_guard_pct = 150;
	s->load_guard_min = 4;
	s->transparent = true;
	s->health.interval_ms = 2000;
	s->health.timeout_ms = 1000;
	s->health.fall = 3;
	s->health.rise = 2;
	s->health.backoff_max_ms = 30000;
	s->passive_health = true;
	s->passive_hold_ms = 10000;
}

static int kw_vip(struct parser *p, const struct cfg_line *ln)
{
	return disp_cfg_want_addr(p, ln->lineno, "vip", ln->tok[1], true, &p->svc->vip);
}

static int kw_mode(struct parser *p, const struct cfg_line *ln)
{
	if (strcmp(ln->tok[1], "nat") == 0)
		p->svc->mode = DISP_MODE_NAT;
	else if (strcmp(ln->tok[1], "splice") == 0)
		p->svc->mode = DISP_MODE_SPLICE;
	else
		return disp_cfg_fail(p, ln->lineno, "mode: '%s' is unknown (expected nat or splice)",
			    ln->tok[1]);
	return 0;
}

static int want_ifname(struct parser *p, const struct cfg_line *ln, char *dst)
{
	if (!disp_cfg_valid_name(ln->tok[1], IF_NAMESIZE))
		return disp_cfg_fail(p, ln->lineno,
			    "%s: '%s' is not an interface name (expected at most %d characters of A-Z a-z 0-9 . _ -)",
			    ln->tok[0], ln->tok[1], IF_NAMESIZE - 1);
	strcpy(dst, ln->tok[1]);
	return 0;
}

static int kw_client_if(struct parser *p, const struct cfg_line *ln)
{
	return want_ifname(p, ln, p->svc->client_if);
}

static int kw_server_if(struct parser *p, const struct cfg_line *ln)
{
	return want_ifname(p, ln, p->svc->server_if);
}

static int kw_io(struct parser *p, const struct cfg_line *ln)
{
	if (strcmp(ln->tok[1], "pcap") == 0)
		p->svc->io = DISP_IO_PCAP;
	else if (strcmp(ln->tok[1], "packet") == 0)
		p->svc->io = DISP_IO_PACKET;
	else
		return disp_cfg_fail(p, ln->lineno, "io: '%s' is unknown (expected pcap or packet)",
			    ln->tok[1]);
	return 0;
}

static int kw_fastpath(struct parser *p, const struct cfg_line *ln)
{
	if (strcmp(ln->tok[1], "auto") == 0)
		p->svc->fastpath = DISP_FASTPATH_AUTO;
	else if (strcmp(ln->tok[1], "tc") == 0)
		p->svc->fastpath = DISP_FASTPATH_TC;
	else if (strcmp(ln->tok[1], "off") == 0)
		p->svc->fastpath = DISP_FASTPATH_OFF;
	else
		return disp_cfg_fail(p, ln->lineno,
			    "fastpath: '%s' is unknown (expected auto, tc or off)", ln->tok[1]);
	return 0;
}

static int kw_timeout(struct parser *p, const struct cfg_line *ln)
{
	struct disp_timeouts *t = &p->svc->timeouts;
	unsigned *dst;

	if (strcmp(ln->tok[1], "syn") == 0)
		dst = &t->syn_ms;
	else if (strcmp(ln->tok[1], "established") == 0)
		dst = &t->established_ms;
	else if (strcmp(ln->tok[1], "fin") == 0)
		dst = &t->fin_ms;
	else if (strcmp(ln->tok[1], "hello") == 0) {
		dst = &t->hello_ms;
		disp_cfg_splice_only(p, ln->lineno, "timeout hello");
	} else
		return disp_cfg_fail(p, ln->lineno,
			    "timeout: '%s' is not a flow state (expected syn, established, fin or hello)",
			    ln->tok[1]);
	return disp_cfg_want_duration(p, ln->lineno, "timeout", ln->tok[2], dst);
}

static int kw_lifetime(struct parser *p, const struct cfg_line *ln)
{
	unsigned ms;

	if (disp_cfg_want_duration(p, ln->lineno, "session-lifetime", ln->tok[1], &ms) < 0)
		return -EINVAL;
	if (ms < 1000)
		return disp_cfg_fail(p, ln->lineno,
			    "session-lifetime: '%s' is under a second (expected at least 1s)",
			    ln->tok[1]);
	p->svc->session_lifetime_s = ms / 1000;
	return 0;
}

static int kw_max_flows(struct parser *p, const struct cfg_line *ln)
{
	unsigned long v;

	if (disp_cfg_want_uint(p, ln->lineno, "max-flows", ln->tok[1], 1, 1ul << 26, &v) < 0)
		return -EINVAL;
	p->svc->max_flows = (unsigned)v;
	return 0;
}

static int kw_source_nat(struct parser *p, const struct cfg_line *ln)
{
	if (p->seen_source)
		return disp_cfg_fail(p, ln->lineno,
			    "source-nat: the service already chose its source address handling (expected one of source-nat or transparent)");
	p->seen_source = true;
	p->svc->transparent = false;
	return disp_cfg_want_addr(p, ln->lineno, "source-nat", ln->tok[1], false,
			 &p->svc->snat_addr);
}

static int kw_transparent(struct parser *p, const struct cfg_line *ln)
{
	if (p->seen_source)
		return disp_cfg_fail(p, ln->lineno,
			    "transparent: the service already chose its source address handling (expected one of source-nat or transparent)");
	p->seen_source = true;
	p->svc->transparent = true;
	return 0;
}

/* Whole-block checks, run at the closing brace. */
int disp_cfg_end_service(struct parser *p, unsigned line)
{
	struct disp_service_conf *s = p->svc;
	char a[DISP_ADDR_STRLEN];

	if (s->vip.family == 0)
		return disp_cfg_fail(p, s->line, "service '%s' has no vip (expected 'vip IP:PORT')",
			    s->name);
	if (s->client_if[0] == '\0')
		return disp_cfg_fail(p, s->line,
			    "service '%s' has no client-interface (expected 'client-interface NAME')",
			    s->name);
	if (s->server_if[0] == '\0')
		strcpy(s->server_if, s->client_if); /* one-armed */
	if (s->n_backends == 0)
		return disp_cfg_fail(p, s->line,
			    "service '%s' has no backend (expected at least one 'backend IP:PORT [weight N] ...')",
			    s->name);
	for (size_t i = 0; i < s->n_backends; i++) {
		if (s->backends[i].addr.family != s->vip.family)
			return disp_cfg_fail(p, s->backends[i].line,
				    "backend %s is not the vip's address family (IPv4/IPv6 translation is not supported)",
				    disp_addr_format(&s->backends[i].addr, a, sizeof(a)));
	}
	if (!s->transparent && s->snat_addr.family != s->vip.family)
		return disp_cfg_fail(p, s->line,
			    "service '%s': source-nat address is not the vip's address family",
			    s->name);
	for (size_t i = 0; i + 1 < p->cfg->n_services; i++) {
		if (disp_addr_equal(&p->cfg->services[i].vip, &s->vip))
			return disp_cfg_fail(p, s->line, "service '%s': vip %s is already used by service '%s'",
				    s->name, disp_addr_format(&s->vip, a, sizeof(a)),
				    p->cfg->services[i].name);
	}
	if (disp_cfg_check_pools(p) < 0)
		return -EINVAL;
	if (s->mode != DISP_MODE_SPLICE && p->splice_line)
		return disp_cfg_fail(p, p->splice_line,
			    "%s only applies to 'mode splice' (service '%s' is in %s mode)",
			    p->splice_what, s->name, disp_mode_name(s->mode));
	(void)line;
	p->svc = NULL;
	return 0;
}

const struct disp_cfg_kw disp_cfg_service_kw[] = {
	{ "vip", 1, 1, true, true, "vip IP:PORT", kw_vip },
	{ "mode", 1, 1, true, true, "mode nat|splice", kw_mode },
	{ "client-interface", 1, 1, true, true, "client-interface NAME", kw_client_if },
	{ "server-interface", 1, 1, true, true, "server-interface NAME", kw_server_if },
	{ "io", 1, 1, true, true, "io pcap|packet", kw_io },
	{ "fastpath", 1, 1, true, true, "fastpath auto|tc|off", kw_fastpath },
	{ "timeout", 2, 2, true, false, "timeout syn|established|fin|hello DURATION", kw_timeout },
	{ "session-lifetime", 1, 1, true, true, "session-lifetime DURATION", kw_lifetime },
	{ "max-flows", 1, 1, true, true, "max-flows N", kw_max_flows },
	{ "source-nat", 1, 1, true, false, "source-nat IP", kw_source_nat },
	{ "transparent", 0, 0, true, false, "transparent", kw_transparent },
};
const size_t disp_cfg_service_nkw = sizeof(disp_cfg_service_kw) / sizeof(disp_cfg_service_kw[0]);
