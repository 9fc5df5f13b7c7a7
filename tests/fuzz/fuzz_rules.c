/* libFuzzer: content rules from configuration text, and the matcher.
 *
 * Input: lines "F VALUE" (F one byte choosing sni, alpn, host, path or
 * cookie; a line starting with '|' ends a rule), then after an empty line
 * the connection's fields: sni, host, path, ALPN wire list, one cookie
 * value, separated by newlines.
 * Oracles beyond "no crash": a condition that parses holds its value
 * NUL-terminated with the recorded length; an exact name, a path prefix or
 * a cookie value matches an input equal to itself (names also in upper
 * case); rule_pick returns the first matching rule's pool or the default. */
#include <ctype.h>
#include <string.h>

#include "fuzz_check.h"
#include "rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fields[] = {"sni", "alpn", "host", "path", "cookie"};

/* Next line of data into buf (NUL-terminated, at most cap - 1 bytes). */
static size_t line(const uint8_t **d, size_t *n, char *buf, size_t cap)
{
	size_t k = 0;

	while (*n && **d != '\n') {
		if (k + 1 < cap)
			buf[k++] = (char)**d;
		(*d)++;
		(*n)--;
	}
	if (*n) {
		(*d)++;
		(*n)--;
	}
	buf[k] = '\0';
	return k;
}

static void self_match(const struct rule_cond *c)
{
	struct rule r = {.ncond = 1};
	struct rule_input in = {0};
	char up[RULE_VALUE_MAX + 1];
	uint8_t alpn[RULE_VALUE_MAX + 1];

	r.cond[0] = *c;
	switch (c->field) {
	case RULE_SNI:
	case RULE_HOST:
		if (c->suffix)
			return;
		for (size_t i = 0; i <= c->len; i++)
			up[i] = (char)toupper((unsigned char)c->value[i]);
		in.sni = in.host = up;
		in.sni_len = in.host_len = c->len;
		break;
	case RULE_PATH:
		in.path = c->value;
		in.path_len = c->len;
		break;
	case RULE_ALPN:
		alpn[0] = (uint8_t)c->len;
		memcpy(alpn + 1, c->value, c->len);
		in.alpn = alpn;
		in.alpn_len = c->len + 1u;
		break;
	case RULE_COOKIE:
		in.cookie[c->cookie] = c->value;
		in.cookie_len[c->cookie] = c->len;
		break;
	}
	CHECK(rule_matches(&r, &in));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_set set;
	struct rule r = {0};
	struct rule_input in = {0};
	char buf[600], sni[300], host[300], path[300], alpn[300], cookie[300];
	unsigned pool = 1;
	int want = -1;

	rule_set_init(&set);
	while (size && *data != '\n') {
		const char *why = NULL;
		size_t k = line(&data, &size, buf, sizeof(buf));
		int rc;

		if (k == 0)
			continue;
		if (buf[0] == '|' || r.ncond == RULE_CONDS_MAX) {
			if (r.ncond)
				CHECK(rule_set_add(&set, &r) == 0 || set.nrules == RULES_MAX);
			r = (struct rule){.pool = ++pool};
			continue;
		}
		rc = rule_cond_parse(&set, &r.cond[r.ncond],
				     fields[(unsigned char)buf[0] % 5], buf + 1, &why);
		if (rc < 0) {
			CHECK(why != NULL);
			continue;
		}
		CHECK(strlen(r.cond[r.ncond].value) == r.cond[r.ncond].len);
		CHECK(r.cond[r.ncond].field != RULE_COOKIE ||
		      r.cond[r.ncond].cookie < set.ncookies);
		self_match(&r.cond[r.ncond]);
		r.ncond++;
	}
	if (r.ncond)
		CHECK(rule_set_add(&set, &r) == 0 || set.nrules == RULES_MAX);
	in.sni_len = line(&data, &size, sni, sizeof(sni));
	in.sni = in.sni_len ? sni : NULL;
	in.host_len = line(&data, &size, host, sizeof(host));
	in.host = in.host_len ? host : NULL;
	in.path_len = line(&data, &size, path, sizeof(path));
	in.path = path;
	in.alpn_len = line(&data, &size, alpn, sizeof(alpn));
	in.alpn = (const uint8_t *)alpn;
	in.cookie_len[0] = line(&data, &size, cookie, sizeof(cookie));
	in.cookie[0] = cookie;
	for (unsigned i = 0; i < set.nrules && want < 0; i++)
		if (rule_matches(&set.rules[i], &in))
			want = (int)set.rules[i].pool;
	CHECK(rule_pick(&set, &in, 0) == (want < 0 ? 0u : (unsigned)want));
	rule_set_free(&set);
	return 0;
}
