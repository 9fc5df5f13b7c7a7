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

bool disp_cfg_valid_name(const char *s, size_t max)
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

int disp_cfg_want_addr(struct parser *p, unsigned line, const char *what,
		       const char *s, bool port, struct disp_addr *out)
{
	if (disp_addr_parse(s, strlen(s), port, out) == 0)
		return 0;
	return disp_cfg_fail(p, line, "%s: '%s' is not %s", what, s,
		    port ? "an address with a port (expected 10.0.0.1:80 or [fd00::1]:80)"
			 : "an address without a port (expected 10.0.0.1 or fd00::1)");
}

int disp_cfg_want_duration(struct parser *p, unsigned line, const char *what,
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

int disp_cfg_want_onoff(struct parser *p, unsigned line, const char *what,
			const char *s, bool *v)
{
	if (strcmp(s, "on") != 0 && strcmp(s, "off") != 0)
		return disp_cfg_fail(p, line, "%s: '%s' is not on or off", what, s);
	*v = s[1] == 'n';
	return 0;
}

int disp_cfg_want_uint(struct parser *p, unsigned line, const char *what,
		       const char *s, unsigned long min, unsigned long max,
		       unsigned long *v)
{
	if (parse_uint(s, min, max, v) == 0)
		return 0;
	return disp_cfg_fail(p, line, "%s: '%s' is not a number in %lu..%lu", what, s,
		    min, max);
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

static int kw_state_file(struct parser *p, const struct cfg_line *ln)
{
	const char *path = ln->tok[1];

	if (path[0] != '/')
		return disp_cfg_fail(p, ln->lineno,
			    "state-file: '%s' is not an absolute path (expected /var/lib/spliced/state)",
			    path);
	/* room for the ".tmp" the writer renames from */
	if (strlen(path) + 4 >= sizeof(p->cfg->state_path))
		return disp_cfg_fail(p, ln->lineno, "state-file: path too long");
	strcpy(p->cfg->state_path, path);
	return 0;
}

static int kw_fastpath_dir(struct parser *p, const struct cfg_line *ln)
{
	const char *path = ln->tok[1];

	if (path[0] != '/')
		return disp_cfg_fail(p, ln->lineno,
			    "fastpath-dir: '%s' is not an absolute path (expected a directory on a bpf filesystem, e.g. "
			    DISP_FP_DIR_DEFAULT ")", path);
	if (strlen(path) >= sizeof(p->cfg->fp_dir))
		return disp_cfg_fail(p, ln->lineno, "fastpath-dir: path longer than %zu bytes",
			    sizeof(p->cfg->fp_dir) - 1);
	strcpy(p->cfg->fp_dir, path);
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
	if (!disp_cfg_valid_name(ln->tok[1], sizeof(p->cfg->user)))
		return disp_cfg_fail(p, ln->lineno, "user: '%s' is not a user name", ln->tok[1]);
	strcpy(p->cfg->user, ln->tok[1]);
	return 0;
}

static int kw_workers(struct parser *p, const struct cfg_line *ln)
{
	unsigned long v;

	if (disp_cfg_want_uint(p, ln->lineno, "workers", ln->tok[1], 1, 256, &v) < 0)
		return -EINVAL;
	p->cfg->workers = (unsigned)v;
	return 0;
}

static int kw_service(struct parser *p, const struct cfg_line *ln)
{
	struct disp_config *c = p->cfg;
	struct disp_service_conf *ns;

	if (ln->ntok != 3 || strcmp(ln->tok[2], "{") != 0)
		return disp_cfg_fail(p, ln->lineno,
			    "service: expected 'service NAME {' with the brace on the same line");
	if (!disp_cfg_valid_name(ln->tok[1], sizeof(c->services[0].name)))
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
	disp_cfg_service_defaults(p->svc);
	strcpy(p->svc->name, ln->tok[1]);
	p->svc->line = ln->lineno;
	p->seen = 0;
	p->seen_source = false;
	p->splice_line = 0;
	p->backends_cap = 0;
	p->pool_open = 0;
	p->pool_kw_line = 0;
	p->sched_line = 0;
	return 0;
}

/* Top-level keywords; each subsystem's file has its table (config_int.h). */
const struct disp_cfg_kw disp_cfg_global_kw[] = {
	{ "control-socket", 1, 1, false, true, "control-socket PATH", kw_control },
	{ "control-mode", 1, 1, false, true, "control-mode OCTAL", kw_control_mode },
	{ "user", 1, 1, false, true, "user NAME", kw_user },
	{ "state-file", 1, 1, false, true, "state-file PATH", kw_state_file },
	{ "fastpath-dir", 1, 1, false, true, "fastpath-dir PATH", kw_fastpath_dir },
	{ "workers", 1, 1, false, true, "workers N", kw_workers },
	{ "service", 1, 3, false, false, "service NAME {", kw_service },
};
const size_t disp_cfg_global_nkw = sizeof(disp_cfg_global_kw) / sizeof(disp_cfg_global_kw[0]);

/* Every keyword table, in the order the hint lists them. */
static const struct {
	const struct disp_cfg_kw *kw;
	const size_t *n;
} tables[] = {
	{ disp_cfg_global_kw, &disp_cfg_global_nkw },
	{ disp_cfg_service_kw, &disp_cfg_service_nkw },
	{ disp_cfg_backend_kw, &disp_cfg_backend_nkw },
	{ disp_cfg_splice_kw, &disp_cfg_splice_nkw },
	{ disp_cfg_pool_kw, &disp_cfg_pool_nkw },
};

size_t disp_cfg_keyword_count(void)
{
	size_t n = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		n += *tables[t].n;
	return n;
}

const struct disp_cfg_kw *disp_cfg_keyword(size_t i)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		if (i < *tables[t].n)
			return &tables[t].kw[i];
		i -= *tables[t].n;
	}
	return NULL;
}

void disp_cfg_hint(bool in_service, char *buf, size_t len)
{
	size_t n = 0, at = 0, total = disp_cfg_keyword_count();
	size_t count = 0;

	for (size_t i = 0; i < total; i++)
		count += disp_cfg_keyword(i)->in_service == in_service;
	if (in_service)
		count++; /* '}' closes the block */
	buf[0] = '\0';
	for (size_t i = 0; i <= total && at < len; i++) {
		const char *w;

		if (i < total) {
			const struct disp_cfg_kw *k = disp_cfg_keyword(i);

			if (k->in_service != in_service)
				continue;
			w = k->name;
		} else if (in_service) {
			w = "'}'";
		} else {
			break;
		}
		n++;
		at += (size_t)snprintf(buf + at, len - at, "%s%s",
				       n == 1 ? "" : n == count ? " or " : ", ", w);
	}
}

static int dispatch(struct parser *p, const struct cfg_line *ln)
{
	const char *w = ln->tok[0];
	size_t nargs = ln->ntok - 1;
	char hint[512];

	if (strcmp(w, "}") == 0) {
		if (!p->svc)
			return disp_cfg_fail(p, ln->lineno, "'}' without an open 'service NAME {' block");
		if (ln->ntok != 1)
			return disp_cfg_fail(p, ln->lineno, "unexpected '%s' after '}'", ln->tok[1]);
		if (p->pool_open)
			return disp_cfg_end_pool(p, ln->lineno);
		return disp_cfg_end_service(p, ln->lineno);
	}
	/* A pool block holds backend lines only. */
	if (p->pool_open && strcmp(w, "backend") != 0)
		return disp_cfg_fail(p, ln->lineno,
			    "'%s' inside pool '%s' (a pool block holds only 'backend' lines; expected backend or '}')",
			    w, p->svc->pools[p->pool_open - 1].name);
	for (size_t i = 0; i < disp_cfg_keyword_count(); i++) {
		const struct disp_cfg_kw *k = disp_cfg_keyword(i);

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
			if (p->seen & (1ull << i))
				return disp_cfg_fail(p, ln->lineno,
					    "'%s' given twice in service '%s'", w, p->svc->name);
			p->seen |= 1ull << i;
		}
		if (k->once && !p->svc) {
			if (p->seen_global & (1ull << i))
				return disp_cfg_fail(p, ln->lineno, "'%s' given twice", w);
			p->seen_global |= 1ull << i;
		}
		return k->fn(p, ln);
	}
	disp_cfg_hint(p->svc != NULL, hint, sizeof(hint));
	return disp_cfg_fail(p, ln->lineno, "unknown keyword '%s' (expected %s)", w, hint);
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
	if (p.svc && p.pool_open) {
		r = disp_cfg_fail(&p, lx.lineno,
			 "end of file inside pool '%s' opened at line %u (expected '}')",
			 p.svc->pools[p.pool_open - 1].name,
			 p.svc->pools[p.pool_open - 1].line);
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
	for (size_t i = 0; i < cfg->n_services; i++) {
		free(cfg->services[i].backends);
		free(cfg->services[i].pools);
		rule_set_free(&cfg->services[i].rules);
	}
	free(cfg->services);
	free(cfg);
}
