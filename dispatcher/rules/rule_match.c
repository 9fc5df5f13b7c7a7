/* Matching content rules against what a connection's first bytes said. */
#include <string.h>
#include <strings.h>

#include "rule.h"

/* Exact or "*.suffix" name match, without case and one trailing dot. */
static bool name_match(const struct rule_cond *c, const char *s, size_t n)
{
	if (!s)
		return false;
	if (n > 1 && s[n - 1] == '.')
		n--;
	if (!c->suffix)
		return n == c->len && !strncasecmp(s, c->value, n);
	/* value is ".suffix": at least one byte must precede it. */
	return n > c->len && !strncasecmp(s + n - c->len, c->value, c->len);
}

/* Walks the ALPN wire list; a length running past the list ends it (the
 * TLS parser has checked it, but the matcher does not rely on that). */
static bool alpn_offers(const struct rule_cond *c, const uint8_t *l, size_t n)
{
	size_t off = 0;

	if (!l)
		return false;
	while (off < n) {
		size_t k = l[off++];

		if (k > n - off)
			return false;
		if (k == c->len && !memcmp(l + off, c->value, k))
			return true;
		off += k;
	}
	return false;
}

static bool cond_holds(const struct rule_cond *c, const struct rule_input *in)
{
	switch (c->field) {
	case RULE_SNI:
		return name_match(c, in->sni, in->sni_len);
	case RULE_HOST:
		return name_match(c, in->host, in->host_len);
	case RULE_ALPN:
		return alpn_offers(c, in->alpn, in->alpn_len);
	case RULE_PATH:
		return in->path && in->path_len >= c->len &&
		       !memcmp(in->path, c->value, c->len);
	case RULE_COOKIE:
		return c->cookie < RULE_COOKIES_MAX && in->cookie[c->cookie] &&
		       in->cookie_len[c->cookie] == c->len &&
		       !memcmp(in->cookie[c->cookie], c->value, c->len);
	}
	return false;
}

bool rule_matches(const struct rule *r, const struct rule_input *in)
{
	if (r->ncond == 0)
		return false;
	for (unsigned i = 0; i < r->ncond && i < RULE_CONDS_MAX; i++)
		if (!cond_holds(&r->cond[i], in))
			return false;
	return true;
}

unsigned rule_pick(const struct rule_set *s, const struct rule_input *in,
		   unsigned def)
{
	for (unsigned i = 0; i < s->nrules; i++)
		if (rule_matches(&s->rules[i], in))
			return s->rules[i].pool;
	return def;
}
