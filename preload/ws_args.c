/* withsplice's command line and --config lines (see ws_args.h). Config
 * text is untrusted: it is walked with a bounds-checked cursor, and every
 * value is checked before it is kept. */
#include "ws_args.h"

#include <splicekit/cursor.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 510

__attribute__((format(printf, 3, 4)))
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void ws_opts_init(struct ws_opts *o)
{
	memset(o, 0, sizeof(*o));
	ws_policy_init(&o->pol);
}

/* Copies val into a fixed field if it is one of the words in choices
 * ("a|b|c"). */
static int word(char *dst, size_t dlen, const char *key, const char *val, const char *choices,
		const char *human, char *err, size_t errlen)
{
	size_t n = strlen(val);
	for (const char *c = choices; *c;) {
		size_t w = strcspn(c, "|");
		if (w == n && memcmp(c, val, n) == 0 && n < dlen) {
			memcpy(dst, val, n + 1);
			return 0;
		}
		c += w;
		if (*c)
			c++;
	}
	return bad(err, errlen, "%s %.64s: want %s", key, val, human);
}

/* Milliseconds as decimal digits, min..max. */
static int millis(char *dst, size_t dlen, const char *key, const char *val, unsigned long min,
		  unsigned long max, char *err, size_t errlen)
{
	size_t n = strlen(val);
	unsigned long v = 0;

	if (n == 0 || n >= dlen || strspn(val, "0123456789") != n)
		return bad(err, errlen, "%s '%.64s': want milliseconds", key, val);
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(val[i] - '0');
	if (v < min || v > max)
		return bad(err, errlen, "%s %.64s: want %lu to %lu milliseconds", key, val, min, max);
	memcpy(dst, val, n + 1);
	return 0;
}

static int yes_no(bool *dst, const char *key, const char *val, char *err, size_t errlen)
{
	if (!strcmp(val, "yes") || !strcmp(val, "1"))
		*dst = true;
	else if (!strcmp(val, "no") || !strcmp(val, "0"))
		*dst = false;
	else
		return bad(err, errlen, "%s '%.64s': want yes or no", key, val);
	return 0;
}

static int add_rule(struct ws_opts *o, const char *rule, char *err, size_t errlen)
{
	size_t n = strlen(rule);
	int rc = ws_policy_add_rule(&o->pol, rule, n, err, errlen);

	if (rc < 0)
		return rc;
	if (o->rlen + n + 2 > sizeof(o->rules))
		return bad(err, errlen, "rules longer than %zu bytes in all", sizeof(o->rules));
	o->rlen += (size_t)snprintf(o->rules + o->rlen, sizeof(o->rules) - o->rlen, "%s%s",
				    o->rlen ? ";" : "", rule);
	return 0;
}

static int add_peer(struct ws_opts *o, const char *spec, char *err, size_t errlen)
{
	struct ws_peer_group g[WS_PEER_GROUPS];
	size_t have = strlen(o->peers), n = strlen(spec);
	unsigned ng = 0;
	char sub[160];

	/* Parsed with everything given so far, so the group limit holds. */
	if ((have && ws_peers_spec(o->peers, have, g, WS_PEER_GROUPS, &ng, sub, sizeof(sub)) < 0) ||
	    ws_peers_spec(spec, n, g, WS_PEER_GROUPS, &ng, sub, sizeof(sub)) < 0)
		return bad(err, errlen, "peer: %s", sub);
	if (!strchr(spec, '='))
		return bad(err, errlen, "peer '%.64s': want ADDR=ADDR[,ADDR...]", spec);
	if (have + n + 2 > sizeof(o->peers))
		return bad(err, errlen, "peers longer than %zu bytes in all", sizeof(o->peers));
	snprintf(o->peers + have, sizeof(o->peers) - have, "%s%s", have ? ";" : "", spec);
	return 0;
}

static int set_multihome(struct ws_opts *o, const char *val, char *err, size_t errlen)
{
	struct ws_addr a[WS_ADDRS_MAX];
	unsigned n;
	char sub[160];

	if (ws_addrs_parse(val, strlen(val), a, WS_ADDRS_MAX, &n, sub, sizeof(sub)) < 0)
		return bad(err, errlen, "multihome: %s", sub);
	if (n == 0)
		return bad(err, errlen, "multihome: no address given");
	if (strlen(val) >= sizeof(o->multihome))
		return bad(err, errlen, "multihome: longer than %zu bytes", sizeof(o->multihome) - 1);
	memcpy(o->multihome, val, strlen(val) + 1);
	return 0;
}

int ws_opts_set(struct ws_opts *o, const char *key, const char *val, char *err, size_t errlen)
{
	enum ws_transport t;

	if (ws_transport_parse(key, strlen(key), &t) == 0) {
		char rule[LINE_MAX_BYTES + 8];
		snprintf(rule, sizeof(rule), "%s %s", key, val);
		return add_rule(o, rule, err, errlen);
	}
	if (!strcmp(key, "default")) {
		if (ws_transport_parse(val, strlen(val), &t) < 0)
			return bad(err, errlen, "default transport '%.64s': want tcp, sctp or mptcp",
				   val);
		o->pol.dflt = t;
		return word(o->dflt, sizeof(o->dflt), key, val, "tcp|sctp|mptcp", "", err, errlen);
	}
	if (!strcmp(key, "fallback"))
		return word(o->fallback, sizeof(o->fallback), key, val, "tcp|none", "tcp or none",
			    err, errlen);
	if (!strcmp(key, "fallback-ms"))
		return millis(o->fallback_ms, sizeof(o->fallback_ms), key, val, 0, 600000, err,
			      errlen);
	if (!strcmp(key, "failover-ms"))
		return millis(o->failover, sizeof(o->failover), key, val, 30, 600000, err, errlen);
	if (!strcmp(key, "shutwr"))
		return word(o->shutwr, sizeof(o->shutwr), key, val, "defer|full", "defer or full",
			    err, errlen);
	if (!strcmp(key, "log"))
		return word(o->log, sizeof(o->log), key, val, "error|warn|info|debug",
			    "error, warn, info or debug", err, errlen);
	if (!strcmp(key, "multihome"))
		return set_multihome(o, val, err, errlen);
	if (!strcmp(key, "peer"))
		return add_peer(o, val, err, errlen);
	if (!strcmp(key, "loopback"))
		return yes_no(&o->loopback, key, val, err, errlen);
	if (!strcmp(key, "half-close"))
		return yes_no(&o->halfclose, key, val, err, errlen);
	return bad(err, errlen, "unknown setting '%.64s' (a rule starts with tcp, sctp or mptcp)",
		   key);
}

static bool blank(uint8_t b)
{
	return b == ' ' || b == '\t' || b == '\r';
}

/* One line (no newline) of config text: a NUL byte, an overlong line and
 * every bad setting are errors. */
static int config_line(struct ws_opts *o, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	char key[LINE_MAX_BYTES + 1], val[LINE_MAX_BYTES + 1];
	size_t k = 0, v;

	if (memchr(p, '\0', n))
		return bad(err, errlen, "NUL byte in the line");
	if (n > LINE_MAX_BYTES)
		return bad(err, errlen, "line longer than %d bytes", LINE_MAX_BYTES);
	const uint8_t *hash = memchr(p, '#', n);
	if (hash)
		n = (size_t)(hash - p);
	while (n && blank(p[n - 1]))
		n--;
	while (n && blank(*p))
		p++, n--;
	if (!n)
		return 0;
	while (k < n && !blank(p[k]))
		k++;
	memcpy(key, p, k);
	key[k] = '\0';
	v = k;
	while (v < n && blank(p[v]))
		v++;
	memcpy(val, p + v, n - v);
	val[n - v] = '\0';
	return ws_opts_set(o, key, val, err, errlen);
}

int ws_opts_config(struct ws_opts *o, const char *text, size_t len, const char *where, char *err,
		   size_t errlen)
{
	struct raw_cur c;
	unsigned ln = 0;
	char sub[256];

	raw_cur_init(&c, text, len);
	while (raw_cur_has(&c, 1)) {
		const uint8_t *p = raw_cur_ptr(&c), *nl = memchr(p, '\n', raw_cur_left(&c));
		size_t n = nl ? (size_t)(nl - p) : raw_cur_left(&c);
		int rc;

		ln++;
		if ((rc = config_line(o, p, n, sub, sizeof(sub))) < 0) {
			snprintf(err, errlen, "%s:%u: %s", where, ln, sub);
			return rc;
		}
		(void)raw_cur_skip(&c, nl ? n + 1 : n);
	}
	return 0;
}

/* Reads config file path whole (bounded) and applies it. */
static int config_file(struct ws_opts *o, const char *path, char *err, size_t errlen)
{
	static char text[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return bad(err, errlen, "cannot read config %.200s: %s", path, strerror(errno));
	n = fread(text, 1, sizeof(text), f);
	if (n == sizeof(text) && fgetc(f) != EOF) {
		fclose(f);
		return bad(err, errlen, "config %.200s: larger than %zu bytes", path, sizeof(text));
	}
	fclose(f);
	return ws_opts_config(o, text, n, path, err, errlen);
}

int ws_opts_argv(struct ws_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	static const struct option lo[] = {
		{ "tcp", no_argument, NULL, 't' },
		{ "sctp", no_argument, NULL, 's' },
		{ "mptcp", no_argument, NULL, 'm' },
		{ "rule", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "multihome", required_argument, NULL, 'H' },
		{ "peer", required_argument, NULL, 'P' },
		{ "failover-ms", required_argument, NULL, 'O' },
		{ "fallback", required_argument, NULL, 'f' },
		{ "fallback-ms", required_argument, NULL, 'F' },
		{ "shutwr", required_argument, NULL, 'S' },
		{ "loopback", no_argument, NULL, 'L' },
		{ "half-close", no_argument, NULL, 'E' },
		{ "no-inherit", no_argument, NULL, 'N' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-file", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	char sub[256];
	int c, rc = 0;

	/* 0 makes glibc's getopt start afresh (tests parse many lines). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", lo, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case 't': rc = ws_opts_set(o, "default", "tcp", sub, sizeof(sub)); break;
		case 's': rc = ws_opts_set(o, "default", "sctp", sub, sizeof(sub)); break;
		case 'm': rc = ws_opts_set(o, "default", "mptcp", sub, sizeof(sub)); break;
		case 'r':
			rc = add_rule(o, optarg, sub, sizeof(sub));
			if (rc < 0)
				return bad(err, errlen, "--rule #%u: %s", o->pol.nrules + 1, sub);
			break;
		case 'c': rc = config_file(o, optarg, sub, sizeof(sub)); break;
		case 'H': key = "multihome"; break;
		case 'P': key = "peer"; break;
		case 'O': key = "failover-ms"; break;
		case 'f': key = "fallback"; break;
		case 'F': key = "fallback-ms"; break;
		case 'S': key = "shutwr"; break;
		case 'L': o->loopback = true; break;
		case 'E': o->halfclose = true; break;
		case 'N': o->noinherit = true; break;
		case 'l': key = "log"; break;
		case 'o': o->logfile = optarg; break;
		case 'h': o->help = true; return 0;
		case 'V': o->version = true; return 0;
		default:
			return bad(err, errlen, "unknown option or missing value: '%.64s'",
				   argv[optind - 1 >= 0 && optind - 1 < argc ? optind - 1 : 0]);
		}
		if (key)
			rc = ws_opts_set(o, key, optarg, sub, sizeof(sub));
		if (rc < 0)
			return bad(err, errlen, "%s%s", key ? "--" : "", sub);
	}
	if (optind >= argc)
		return bad(err, errlen, "no program given");
	return optind;
}
