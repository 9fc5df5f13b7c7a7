/* The spliced config parser: text in, struct disp_config out, or one
 * "FILE:LINE: problem, expected ..." message.
 *
 * The grammar is one keyword per line with its arguments; globals at the
 * top level, one `service NAME {` ... `}` block per virtual service. Each
 * keyword has a row in a table giving its argument count and usage, so
 * the argument-count errors are uniform and every usage string is also the
 * documentation the message quotes. Semantic checks that need the whole
 * block (a VIP, at least one backend, families that match) run at `}`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"

#include "conf/config_int.h"
#include "conf/config_lex.h"

#define CFG_FILE_MAX (1u << 20)  /* a config is small; refuse the absurd */
#define CFG_SERVICES_MAX 64
#define CFG_BACKENDS_MAX 1024

int disp_cfg_vfail(struct parser *p, unsigned line, const char *fmt, va_list ap)
{
	int n = 0;

	if (p->errlen == 0)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -EINVAL;
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

int disp_cfg_fail(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = disp_cfg_vfail(p, line, fmt, ap);
	va_end(ap);
	return r;
}

/* Decimal integer in [min, max]; nothing else on the word. */
static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (unsigned)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
}

/* "250ms", "5s", "2m", "1h" into milliseconds, 1 ms .. 7 days. A unit is
 * required: a bare "5" is ambiguous between the two common conventions. */
static int parse_duration(const char *s, unsigned *ms)
{
	static const struct { const char *unit; unsigned long mul; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	const unsigned long max_ms = 7ul * 24 * 3600 * 1000;
	char num[16];
	size_t n = strspn(s, "0123456789");
	unsigned long v;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + n, units[i].unit) != 0)
			continue;
		if (parse_uint(num, 1, max_ms / units[i].mul, &v) < 0)
			return -ERANGE;
		*ms = (unsigned)(v * units[i].mul);
		return 0;
	}
	return -EINVAL;
}

static bool valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max)
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return false;
	}
	return true;
}

static int want_addr(struct parser *p, unsigned line, const char *what,
		     const char *s, bool port, struct disp_addr *out)
{
	if (disp_addr_parse(s, strlen(s), port, out) == 0)
		return 0;
	return disp_cfg_fail(p, line, "%s: '%s' is not %s", what, s,
		    port ? "an address with a port (expected 10.0.0.1:80 or [fd00::1]:80)"
			 : "an address without a port (expected 10.0.0.1 or fd00::1)");
}

static int want_duration(struct parser *p, unsigned line, const char *what,
			 const char *s, unsigned *ms)
{
	int r = parse_duration(s, ms);

	if (r == -ERANGE)
		return disp_cfg_fail(p, line, "%s: '%s' is out of range (expected 1ms .. 7 days)",
			    what, s);
	if (r < 0)
		return disp_cfg_fail(p, line,
			    "%s: '%s' is not a duration (expected a number with a unit: 500ms, 5s, 2m, 1h)",
			    what, s);
	return 0;
}

static int want_uint(struct parser *p, unsigned line, const char *what,
		     const char *s, unsigned long min, unsigned long max,
		     unsigned long *v)
{
	if (parse_uint(s, min, max, v) == 0)
		return 0;
	return disp_cfg_fail(p, line, "%s: '%s' is not a number in %lu..%lu", what, s,
		    min, max);
}

int disp_cfg_want_uint(struct parser *p, unsigned line, const char *what,
		       const char *s, unsigned long min, unsigned long max,
		       unsigned long *v)
{
	return want_uint(p, line, what, s, min, max, v);
}

/* ---- top-level keywords ---- */

static int kw_control(struct parser *p, const struct cfg_line *ln)
{
	const char *path = ln->tok[1];

	if (path[0] != '/')
		return disp_cfg_fail(p, ln->lineno,
			    "control-socket: '%s' is not an absolute path (expected /run/spliced.sock)",
			    path);
	if (strlen(path) >= sizeof(p->cfg->ctl_path))
		return disp_cfg_fail(p, ln->lineno, "control-socket: path longer than %zu bytes",
			    sizeof(p->cfg->ctl_path) - 1);
	strcpy(p->cfg->ctl_path, path);
	return 0;
}

static int kw_control_mode(struct parser *p, const struct cfg_line *ln)
{
	const char *s = ln->tok[1];
	unsigned long v = 0;

	if (strlen(s) < 3 || strlen(s) > 4 || strspn(s, "01234567") != strlen(s))
		return disp_cfg_fail(p, ln->lineno,
			    "control-mode: '%s' is not an octal mode (expected e.g. 0600)", s);
	v = strtoul(s, NULL, 8);
	if (v & 0007)
		return disp_cfg_fail(p, ln->lineno,
			    "control-mode: %s lets every local user control spliced (expected no 'other' bits, e.g. 0600 or 0660)",
			    s);
	p->cfg->ctl_mode = (mode_t)v;
	return 0;
}

static int kw_user(struct parser *p, const struct cfg_line *ln)
{
	if (!valid_name(ln->tok[1], sizeof(p->cfg->user)))
		return disp_cfg_fail(p, ln->lineno, "user: '%s' is not a user name", ln->tok[1]);
	strcpy(p->cfg->user, ln->tok[1]);
	return 0;
}

static int kw_workers(struct parser *p, const struct cfg_line *ln)
{
	unsigned long v;

	if (want_uint(p, ln->lineno, "workers", ln->tok[1], 1, 256, &v) < 0)
		return -EINVAL;
	p->cfg->workers = (unsigned)v;
	return 0;
}

static void service_defaults(struct disp_service_conf *s)
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
}

static int kw_service(struct parser *p, const struct cfg_line *ln)
{
	struct disp_config *c = p->cfg;
	struct disp_service_conf *ns;

	if (ln->ntok != 3 || strcmp(ln->tok[2], "{") != 0)
		return disp_cfg_fail(p, ln->lineno,
			    "service: expected 'service NAME {' with the brace on the same line");
	if (!valid_name(ln->tok[1], sizeof(c->services[0].name)))
		return disp_cfg_fail(p, ln->lineno,
			    "service: '%s' is not a name (expected 1-63 of A-Z a-z 0-9 . _ -)",
			    ln->tok[1]);
	for (size_t i = 0; i < c->n_services; i++) {
		if (strcmp(c->services[i].name, ln->tok[1]) == 0)
			return disp_cfg_fail(p, ln->lineno,
				    "service: '%s' is already defined at line %u",
				    ln->tok[1], c->services[i].line);
	}
	if (c->n_services == CFG_SERVICES_MAX)
		return disp_cfg_fail(p, ln->lineno, "service: more than %d services",
			    CFG_SERVICES_MAX);
	ns = realloc(c->services, (c->n_services + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	c->services = ns;
	p->svc = &ns[c->n_services++];
	service_defaults(p->svc);
	strcpy(p->svc->name, ln->tok[1]);
	p->svc->line = ln->lineno;
	p->seen = 0;
	p->seen_source = false;
	p->splice_line = 0;
	p->backends_cap = 0;
	return 0;
}

/* ---- service keywords ---- */

static int kw_vip(struct parser *p, const struct cfg_line *ln)
{
	return want_addr(p, ln->lineno, "vip", ln->tok[1], true, &p->svc->vip);
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
	if (!valid_name(ln->tok[1], IF_NAMESIZE))
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

static int kw_scheduler(struct parser *p, const struct cfg_line *ln)
{
	const char *s = ln->tok[1];

	if (strcmp(s, "rr") == 0)
		p->svc->sched = DISP_SCHED_RR;
	else if (strcmp(s, "wlc") == 0)
		p->svc->sched = DISP_SCHED_WLC;
	else if (strcmp(s, "source-hash") == 0)
		p->svc->sched = DISP_SCHED_SOURCE_HASH;
	else
		return disp_cfg_fail(p, ln->lineno,
			    "scheduler: '%s' is unknown (expected rr, wlc or source-hash)", s);
	return 0;
}

/* backend IP:PORT [weight N] [ticket-key-file PATH] [session-id-prefix HEX] */
static int kw_backend(struct parser *p, const struct cfg_line *ln)
{
	struct disp_service_conf *s = p->svc;
	struct disp_backend_conf b = { .weight = 1, .line = ln->lineno };
	bool seen_w = false;
	unsigned long w;

	if (want_addr(p, ln->lineno, "backend", ln->tok[1], true, &b.addr) < 0)
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
			if (want_uint(p, ln->lineno, "backend weight", val, 1, 256, &w) < 0)
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
	return want_duration(p, ln->lineno, "timeout", ln->tok[2], dst);
}

static int kw_lifetime(struct parser *p, const struct cfg_line *ln)
{
	unsigned ms;

	if (want_duration(p, ln->lineno, "session-lifetime", ln->tok[1], &ms) < 0)
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

	if (want_uint(p, ln->lineno, "max-flows", ln->tok[1], 1, 1ul << 26, &v) < 0)
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
	return want_addr(p, ln->lineno, "source-nat", ln->tok[1], false,
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
			if (want_duration(p, ln->lineno, "health interval", val, &h->interval_ms) < 0)
				return -EINVAL;
		} else if (strcmp(k, "timeout") == 0) {
			if (want_duration(p, ln->lineno, "health timeout", val, &h->timeout_ms) < 0)
				return -EINVAL;
		} else if (strcmp(k, "backoff-max") == 0) {
			if (want_duration(p, ln->lineno, "health backoff-max", val, &h->backoff_max_ms) < 0)
				return -EINVAL;
		} else if (strcmp(k, "fall") == 0 || strcmp(k, "rise") == 0) {
			if (want_uint(p, ln->lineno, k, val, 1, 100, &v) < 0)
				return -EINVAL;
			*(k[0] == 'f' ? &h->fall : &h->rise) = (unsigned)v;
		} else if (strcmp(k, "port") == 0) {
			if (want_uint(p, ln->lineno, "health port", val, 1, 65535, &v) < 0)
				return -EINVAL;
			h->port = (uint16_t)v;
		} else if (strcmp(k, "sni") == 0) {
			if (!h->tls)
				return disp_cfg_fail(p, ln->lineno, "health: sni needs 'health tls'");
			if (!valid_name(val, sizeof(h->sni)))
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

/* Whole-block checks, run at the closing brace. */
static int end_service(struct parser *p, unsigned line)
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
	if (s->mode != DISP_MODE_SPLICE && p->splice_line)
		return disp_cfg_fail(p, p->splice_line,
			    "%s only applies to 'mode splice' (service '%s' is in %s mode)",
			    p->splice_what, s->name, disp_mode_name(s->mode));
	(void)line;
	p->svc = NULL;
	return 0;
}

struct keyword {
	const char *name;
	unsigned min_args, max_args;
	bool in_service; /* else top level */
	bool once;       /* at most once per block */
	const char *usage;
	int (*fn)(struct parser *p, const struct cfg_line *ln);
};

static const struct keyword keywords[] = {
	{ "control-socket", 1, 1, false, true, "control-socket PATH", kw_control },
	{ "control-mode", 1, 1, false, true, "control-mode OCTAL", kw_control_mode },
	{ "user", 1, 1, false, true, "user NAME", kw_user },
	{ "workers", 1, 1, false, true, "workers N", kw_workers },
	{ "isn-secret-file", 1, 1, false, true, "isn-secret-file PATH", disp_cfg_kw_isn_secret },
	{ "service", 1, 3, false, false, "service NAME {", kw_service },
	{ "vip", 1, 1, true, true, "vip IP:PORT", kw_vip },
	{ "mode", 1, 1, true, true, "mode nat|splice", kw_mode },
	{ "client-interface", 1, 1, true, true, "client-interface NAME", kw_client_if },
	{ "server-interface", 1, 1, true, true, "server-interface NAME", kw_server_if },
	{ "io", 1, 1, true, true, "io pcap|packet", kw_io },
	{ "scheduler", 1, 1, true, true, "scheduler rr|wlc|source-hash", kw_scheduler },
	{ "backend", 1, 7, true, false,
	  "backend IP:PORT [weight N] [ticket-key-file PATH] [session-id-prefix HEX]",
	  kw_backend },
	{ "timeout", 2, 2, true, false, "timeout syn|established|fin|hello DURATION", kw_timeout },
	{ "session-lifetime", 1, 1, true, true, "session-lifetime DURATION", kw_lifetime },
	{ "max-flows", 1, 1, true, true, "max-flows N", kw_max_flows },
	{ "session-table", 1, 1, true, true, "session-table on|off", disp_cfg_kw_session_table },
	{ "session-table-size", 1, 1, true, true, "session-table-size N",
	  disp_cfg_kw_session_table_size },
	{ "load-guard", 1, 3, true, true, "load-guard PCT [min N] | load-guard off",
	  disp_cfg_kw_load_guard },
	{ "source-nat", 1, 1, true, false, "source-nat IP", kw_source_nat },
	{ "transparent", 0, 0, true, false, "transparent", kw_transparent },
	{ "health", 1, CFG_TOK_MAX - 1, true, true,
	  "health tcp|tls [interval D] [timeout D] [fall N] [rise N] [backoff-max D] [port N] [sni NAME]",
	  kw_health },
};

static int dispatch(struct parser *p, const struct cfg_line *ln)
{
	const char *w = ln->tok[0];
	size_t nargs = ln->ntok - 1;

	if (strcmp(w, "}") == 0) {
		if (!p->svc)
			return disp_cfg_fail(p, ln->lineno, "'}' without an open 'service NAME {' block");
		if (ln->ntok != 1)
			return disp_cfg_fail(p, ln->lineno, "unexpected '%s' after '}'", ln->tok[1]);
		return end_service(p, ln->lineno);
	}
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		const struct keyword *k = &keywords[i];

		if (strcmp(k->name, w) != 0)
			continue;
		if (k->in_service && !p->svc)
			return disp_cfg_fail(p, ln->lineno,
				    "'%s' belongs inside a 'service NAME {' block", w);
		if (!k->in_service && p->svc)
			return disp_cfg_fail(p, ln->lineno,
				    k->fn == kw_service
					? "'service' inside service '%s' (expected '}' to close it first)"
					: "'%s' is a global setting (expected it before the first service)",
				    k->fn == kw_service ? p->svc->name : w);
		if (nargs < k->min_args || nargs > k->max_args)
			return disp_cfg_fail(p, ln->lineno, "%s: wrong number of arguments (expected '%s')",
				    w, k->usage);
		if (k->once && p->svc) {
			if (p->seen & (1u << i))
				return disp_cfg_fail(p, ln->lineno,
					    "'%s' given twice in service '%s'", w, p->svc->name);
			p->seen |= 1u << i;
		}
		if (k->once && !p->svc) {
			if (p->seen_global & (1u << i))
				return disp_cfg_fail(p, ln->lineno, "'%s' given twice", w);
			p->seen_global |= 1u << i;
		}
		return k->fn(p, ln);
	}
	return disp_cfg_fail(p, ln->lineno, "unknown keyword '%s' (expected %s)", w,
		    p->svc ? "vip, mode, client-interface, server-interface, io, scheduler, backend, timeout, session-lifetime, session-table, session-table-size, load-guard, max-flows, source-nat, transparent, health or '}'"
			   : "control-socket, control-mode, user, workers or service");
}

int disp_config_parse(const char *text, size_t len, const char *name,
		      struct disp_config **out, char *err, size_t errlen)
{
	struct parser p = { .name = name, .err = err, .errlen = errlen };
	struct cfg_lexer lx;
	struct cfg_line *ln;
	char msg[256];
	int r;

	if (errlen > 0)
		err[0] = '\0';
	p.cfg = calloc(1, sizeof(*p.cfg));
	ln = malloc(sizeof(*ln));
	if (!p.cfg || !ln) {
		r = -ENOMEM;
		goto cleanup;
	}
	snprintf(p.cfg->path, sizeof(p.cfg->path), "%s", name);
	snprintf(p.cfg->ctl_path, sizeof(p.cfg->ctl_path), "/run/spliced.sock");
	p.cfg->ctl_mode = 0600;
	p.cfg->workers = 1;

	disp_cfg_lex_init(&lx, text, len);
	while ((r = disp_cfg_lex_next(&lx, ln, msg, sizeof(msg))) == 1) {
		r = dispatch(&p, ln);
		if (r < 0)
			goto cleanup;
	}
	if (r < 0) {
		r = disp_cfg_fail(&p, lx.lineno, "%s", msg);
		goto cleanup;
	}
	if (p.svc) {
		r = disp_cfg_fail(&p, lx.lineno,
			 "end of file inside service '%s' opened at line %u (expected '}')",
			 p.svc->name, p.svc->line);
		goto cleanup;
	}
	if (p.cfg->n_services == 0) {
		r = disp_cfg_fail(&p, lx.lineno > 0 ? lx.lineno : 1,
			 "no service defined (expected at least one 'service NAME {' block)");
		goto cleanup;
	}
	*out = p.cfg;
	p.cfg = NULL;
	r = 0;
cleanup:
	if (r == -ENOMEM && errlen > 0)
		snprintf(err, errlen, "%s: out of memory", name);
	free(ln);
	disp_config_free(p.cfg);
	return r;
}

int disp_config_load(const char *path, struct disp_config **out, char *err,
		     size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto cleanup;
	}
	if ((unsigned long long)st.st_size > CFG_FILE_MAX) {
		r = -EFBIG;
		snprintf(err, errlen, "%s: larger than %u bytes; not a config", path,
			 CFG_FILE_MAX);
		goto cleanup;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto cleanup;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n == 0 ? -EIO : -errno;
			snprintf(err, errlen, "%s: read failed: %s", path, strerror(-r));
			goto cleanup;
		}
		got += (size_t)n;
	}
	r = disp_config_parse(buf, got, path, out, err, errlen);
cleanup:
	free(buf);
	close(fd);
	return r;
}

void disp_config_free(struct disp_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_services; i++)
		free(cfg->services[i].backends);
	free(cfg->services);
	free(cfg);
}
