/* Rule parser and matcher for withsplice. Pure: no interposed calls, no
 * globals, so the wrapper can validate rules and the tests can drive it. */
#include <splicekit/cursor.h>
#include <splicekit/ws_policy.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct tok {
	const char *p;
	size_t len;
};

void ws_policy_init(struct ws_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->dflt = WS_TCP;
	p->fallback_tcp = true;
	p->fallback_ms = 2000;
	p->shutwr = WS_SHUTWR_DEFER;
}

static bool tok_is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);
	return t->len == n && memcmp(t->p, word, n) == 0;
}

int ws_transport_parse(const char *s, size_t len, enum ws_transport *t)
{
	struct tok k = { s, len };
	if (tok_is(&k, "tcp"))
		*t = WS_TCP;
	else if (tok_is(&k, "sctp"))
		*t = WS_SCTP;
	else if (tok_is(&k, "mptcp"))
		*t = WS_MPTCP;
	else
		return -EINVAL;
	return 0;
}

const char *ws_transport_name(enum ws_transport t)
{
	switch (t) {
	case WS_SCTP: return "sctp";
	case WS_MPTCP: return "mptcp";
	default: return "tcp";
	}
}

/* Next whitespace-separated token from c; false at the end. */
static bool next_tok(struct raw_cur *c, struct tok *t)
{
	uint8_t b;
	while (raw_cur_has(c, 1) && (raw_cur_ptr(c)[0] == ' ' || raw_cur_ptr(c)[0] == '\t' ||
				     raw_cur_ptr(c)[0] == '\r'))
		(void)raw_cur_skip(c, 1);
	if (!raw_cur_has(c, 1))
		return false;
	t->p = (const char *)raw_cur_ptr(c);
	t->len = 0;
	while (raw_cur_u8(c, &b) == 0) {
		if (b == ' ' || b == '\t' || b == '\r')
			break;
		t->len++;
	}
	return true;
}

static int fail(char *err, size_t errlen, const char *what, const struct tok *t)
{
	if (t)
		snprintf(err, errlen, "%s: '%.*s'", what, (int)(t->len > 64 ? 64 : t->len), t->p);
	else
		snprintf(err, errlen, "%s", what);
	return -EINVAL;
}

/* Decimal number in [0, max] from the whole of s[0..len). */
static bool parse_uint(const char *s, size_t len, unsigned long max, unsigned long *v)
{
	unsigned long n = 0;
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	if (n > max)
		return false;
	*v = n;
	return true;
}

static int parse_addr(const struct tok *t, struct ws_rule *r, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(t->p, '/', t->len);
	size_t alen = slash ? (size_t)(slash - t->p) : t->len;
	unsigned long plen;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return fail(err, errlen, "bad address", t);
	memcpy(buf, t->p, alen);
	buf[alen] = '\0';
	memset(r->addr, 0, sizeof(r->addr));
	if (inet_pton(AF_INET, buf, r->addr) == 1)
		r->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, r->addr) == 1)
		r->family = AF_INET6;
	else
		return fail(err, errlen, "bad address", t);
	r->plen = r->family == AF_INET ? 32 : 128;
	if (slash) {
		size_t n = t->len - alen - 1;
		if (!parse_uint(slash + 1, n, r->plen, &plen))
			return fail(err, errlen, "bad prefix length", t);
		r->plen = (uint8_t)plen;
	}
	return 0;
}

static int parse_ports(const struct tok *t, struct ws_rule *r, char *err, size_t errlen)
{
	const char *dash = memchr(t->p, '-', t->len);
	unsigned long lo, hi;
	size_t n = dash ? (size_t)(dash - t->p) : t->len;

	if (!parse_uint(t->p, n, 65535, &lo))
		return fail(err, errlen, "bad port", t);
	hi = lo;
	if (dash && !parse_uint(dash + 1, t->len - n - 1, 65535, &hi))
		return fail(err, errlen, "bad port", t);
	if (hi < lo)
		return fail(err, errlen, "port range upside down", t);
	r->port_lo = (uint16_t)lo;
	r->port_hi = (uint16_t)hi;
	return 0;
}

int ws_policy_add_rule(struct ws_policy *p, const char *text, size_t len, char *err,
		       size_t errlen)
{
	struct raw_cur c;
	struct tok t, arg;
	struct ws_rule r;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (p->nrules >= WS_MAX_RULES)
		return snprintf(err, errlen, "more than %d rules", WS_MAX_RULES), -ENOSPC;
	memset(&r, 0, sizeof(r));
	r.port_hi = 65535;
	raw_cur_init(&c, text, len);
	if (!next_tok(&c, &t))
		return fail(err, errlen, "empty rule", NULL);
	if (ws_transport_parse(t.p, t.len, &r.transport) < 0)
		return fail(err, errlen, "rule must start with tcp, sctp or mptcp, not", &t);

	while (next_tok(&c, &t)) {
		if (tok_is(&t, "connect")) {
			r.roles |= WS_ROLE_CONNECT;
			continue;
		}
		if (tok_is(&t, "listen")) {
			r.roles |= WS_ROLE_LISTEN;
			continue;
		}
		if (tok_is(&t, "dual")) {
			if (r.transport != WS_SCTP)
				return fail(err, errlen, "dual needs an sctp rule", &t);
			r.dual = true;
			continue;
		}
		if (!tok_is(&t, "addr") && !tok_is(&t, "port") && !tok_is(&t, "prog") &&
		    !tok_is(&t, "shutwr"))
			return fail(err, errlen, "unknown word", &t);
		if (!next_tok(&c, &arg))
			return fail(err, errlen, "missing value after", &t);
		if (tok_is(&t, "addr")) {
			if ((rc = parse_addr(&arg, &r, err, errlen)) < 0)
				return rc;
		} else if (tok_is(&t, "port")) {
			if ((rc = parse_ports(&arg, &r, err, errlen)) < 0)
				return rc;
		} else if (tok_is(&t, "prog")) {
			if (arg.len >= WS_PROG_MAX)
				return fail(err, errlen, "program name too long", &arg);
			memcpy(r.prog, arg.p, arg.len);
			r.prog[arg.len] = '\0';
		} else {
			if (tok_is(&arg, "defer"))
				r.shutwr = WS_SHUTWR_DEFER;
			else if (tok_is(&arg, "full"))
				r.shutwr = WS_SHUTWR_FULL;
			else
				return fail(err, errlen, "shutwr takes defer or full, not", &arg);
		}
	}
	p->rules[p->nrules++] = r;
	return 0;
}

int ws_policy_add_rules(struct ws_policy *p, const char *text, char *err, size_t errlen)
{
	const char *s = text;
	unsigned n = 0;
	char sub[200];

	while (*s) {
		size_t len = strcspn(s, ";\n");
		size_t use = len;
		const char *hash = memchr(s, '#', len);
		if (hash)
			use = (size_t)(hash - s);
		n++;
		/* Blank entries (and comment-only lines) are allowed. */
		size_t i = 0;
		while (i < use && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i < use) {
			int rc = ws_policy_add_rule(p, s, use, sub, sizeof(sub));
			if (rc < 0) {
				snprintf(err, errlen, "rule %u: %s", n, sub);
				return rc;
			}
		}
		s += len;
		if (*s)
			s++;
	}
	return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned plen)
{
	unsigned bytes = plen / 8, bits = plen % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - bits));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

static bool rule_matches(const struct ws_rule *r, const struct ws_query *q)
{
	if (r->roles && !(r->roles & q->role))
		return false;
	if (q->port < r->port_lo || q->port > r->port_hi)
		return false;
	if (r->family && (r->family != q->family || !prefix_match(r->addr, q->addr, r->plen)))
		return false;
	if (r->prog[0] && (!q->prog || strcmp(r->prog, q->prog) != 0))
		return false;
	return true;
}

static bool is_loopback(const struct ws_query *q)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	if (q->family == AF_INET)
		return q->addr[0] == 127;
	return q->family == AF_INET6 && memcmp(q->addr, v6lo, 16) == 0;
}

void ws_policy_decide(const struct ws_policy *p, const struct ws_query *q,
		      struct ws_decision *d)
{
	d->dual = false;
	d->shutwr = p->shutwr ? p->shutwr : WS_SHUTWR_DEFER;
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct ws_rule *r = &p->rules[i];
		if (!rule_matches(r, q))
			continue;
		d->transport = r->transport;
		d->dual = r->dual;
		if (r->shutwr)
			d->shutwr = r->shutwr;
		d->rule = (int)i;
		return;
	}
	/* DNS over TCP and loopback helpers (local resolvers, agents, debug
	 * ports) almost never have an SCTP peer: keep them on TCP unless a
	 * user rule above said otherwise. */
	if (q->port == 53 || (!p->loopback && is_loopback(q))) {
		d->transport = WS_TCP;
		d->rule = -1;
		return;
	}
	d->transport = p->dflt;
	d->rule = -2;
}
