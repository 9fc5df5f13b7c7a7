/* Content rules from configuration text: each condition is checked here,
 * once, so that the matcher can compare bytes without further tests. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

void rule_set_init(struct rule_set *s)
{
	memset(s, 0, sizeof(*s));
}

void rule_set_free(struct rule_set *s)
{
	free(s->rules);
	rule_set_init(s);
}

/* A DNS name as SNI and Host carry it: letters, digits, '-', '_' and dots
 * between non-empty labels; or, for Host only, a bracketed IPv6 literal. */
static bool name_ok(const char *v, size_t n, bool allow_literal)
{
	if (n == 0 || n > RULE_NAME_MAX)
		return false;
	if (allow_literal && v[0] == '[') {
		if (v[n - 1] != ']' || n < 3)
			return false;
		for (size_t i = 1; i + 1 < n; i++)
			if (!strchr("0123456789abcdef:.", v[i]))
				return false;
		return true;
	}
	if (v[0] == '.' || v[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (c == '.' && i + 1 < n && v[i + 1] == '.')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static int name_cond(struct rule_cond *c, const char *v, bool host,
		     const char **why)
{
	size_t n = strlen(v);
	char low[RULE_NAME_MAX + 3];
	const char *body = low;
	size_t bn;

	if (n > RULE_NAME_MAX + 2) {
		*why = "host name longer than 253 bytes";
		return -EINVAL;
	}
	for (size_t i = 0; i <= n; i++)
		low[i] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] + 32) : v[i];
	if (n > 1 && low[n - 1] == '.' && low[0] != '[')
		low[--n] = '\0';
	bn = n;
	c->suffix = n > 2 && low[0] == '*' && low[1] == '.';
	if (c->suffix) {
		body = low + 2;
		bn = n - 2;
	}
	if (!name_ok(body, bn, host && !c->suffix)) {
		*why = memchr(body, '*', bn) || (!c->suffix && low[0] == '*') ?
			       "a wildcard is only allowed as '*.suffix'" :
			       "not a host name (letters, digits, '-', '_', dots)";
		return -EINVAL;
	}
	/* A suffix keeps its dot, so "*.a.b" cannot match "xa.b". */
	body = c->suffix ? low + 1 : low;
	bn = c->suffix ? n - 1 : n;
	memcpy(c->value, body, bn + 1);
	c->len = (uint16_t)bn;
	return 0;
}

static bool printable(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
			return false;
	return true;
}

static int copy_value(struct rule_cond *c, const char *v, size_t n,
		      const char **why)
{
	if (n == 0 || n > RULE_VALUE_MAX) {
		*why = "value must be 1 to 255 bytes";
		return -EINVAL;
	}
	if (!printable(v, n)) {
		*why = "value holds a space or a control byte";
		return -EINVAL;
	}
	memcpy(c->value, v, n);
	c->value[n] = '\0';
	c->len = (uint16_t)n;
	return 0;
}

/* RFC 6265 cookie-name: a token. */
static bool cookie_name_ok(const char *v, size_t n)
{
	if (n == 0 || n > RULE_COOKIE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!printable(v + i, 1) || strchr("()<>@,;:\\\"/[]?={}", v[i]))
			return false;
	return true;
}

static int cookie_cond(struct rule_set *s, struct rule_cond *c, const char *v,
		       const char **why)
{
	const char *eq = strchr(v, '=');
	size_t n;
	unsigned i;
	int r;

	if (!eq || !cookie_name_ok(v, (size_t)(eq - v))) {
		*why = "expected NAME=VALUE with NAME a cookie name of 1-64 bytes";
		return -EINVAL;
	}
	n = (size_t)(eq - v);
	r = copy_value(c, eq + 1, strlen(eq + 1), why);
	if (r < 0)
		return r;
	for (i = 0; i < s->ncookies; i++)
		if (strlen(s->cookies[i]) == n && !memcmp(s->cookies[i], v, n))
			break;
	if (i == s->ncookies) {
		if (s->ncookies == RULE_COOKIES_MAX) {
			*why = "more than 4 different cookie names in one service";
			return -ENOSPC;
		}
		memcpy(s->cookies[i], v, n);
		s->cookies[i][n] = '\0';
		s->ncookies++;
	}
	c->cookie = (uint8_t)i;
	return 0;
}

int rule_cond_parse(struct rule_set *s, struct rule_cond *c, const char *field,
		    const char *value, const char **why)
{
	int r;

	memset(c, 0, sizeof(*c));
	if (!strcmp(field, "sni")) {
		c->field = RULE_SNI;
		r = name_cond(c, value, false, why);
	} else if (!strcmp(field, "host")) {
		c->field = RULE_HOST;
		r = name_cond(c, value, true, why);
	} else if (!strcmp(field, "alpn")) {
		c->field = RULE_ALPN;
		r = copy_value(c, value, strlen(value), why);
	} else if (!strcmp(field, "path")) {
		c->field = RULE_PATH;
		if (value[0] != '/') {
			*why = "a path prefix starts with '/'";
			return -EINVAL;
		}
		r = copy_value(c, value, strlen(value), why);
	} else if (!strcmp(field, "cookie")) {
		c->field = RULE_COOKIE;
		r = cookie_cond(s, c, value, why);
	} else {
		*why = "unknown condition (sni, alpn, host, path, cookie)";
		return -EINVAL;
	}
	return r;
}

int rule_set_add(struct rule_set *s, const struct rule *r)
{
	struct rule *v;

	if (r->ncond == 0 || r->ncond > RULE_CONDS_MAX)
		return -EINVAL;
	if (s->nrules == RULES_MAX)
		return -ENOSPC;
	v = realloc(s->rules, (s->nrules + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->rules = v;
	s->rules[s->nrules++] = *r;
	for (unsigned i = 0; i < r->ncond; i++)
		s->fields |= 1u << r->cond[i].field;
	return 0;
}

bool rule_set_uses(const struct rule_set *s, enum rule_field f)
{
	return s->fields & (1u << f);
}
