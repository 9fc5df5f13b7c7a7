/* Content rules: parsing (every rejection), each condition's matching,
 * first match wins, the default pool. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "rule.h"

static struct rule_set set;

static void setup(void)
{
	rule_set_init(&set);
}

static void teardown(void)
{
	rule_set_free(&set);
}

/* Adds a rule to pool from "field value" pairs, NULL-terminated. */
static void add(unsigned pool, ...)
{
	struct rule r = {.pool = pool};
	const char *field, *why = NULL;
	va_list ap;

	va_start(ap, pool);
	while ((field = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);

		cr_assert_eq(rule_cond_parse(&set, &r.cond[r.ncond++], field, value,
					     &why), 0, "%s %s: %s", field, value, why);
	}
	va_end(ap);
	cr_assert_eq(rule_set_add(&set, &r), 0);
}

static struct rule_input in_sni(const char *sni)
{
	return (struct rule_input){.sni = sni, .sni_len = sni ? strlen(sni) : 0};
}

static struct rule_input in_http(const char *host, const char *path)
{
	return (struct rule_input){
		.host = host, .host_len = host ? strlen(host) : 0,
		.path = path, .path_len = path ? strlen(path) : 0};
}

TestSuite(rule, .init = setup, .fini = teardown);

Test(rule, sni_exact_and_suffix)
{
	struct rule_input in;

	add(1, "sni", "www.Example.com.", NULL);
	add(2, "sni", "*.example.com", NULL);
	add(3, "sni", "*.example.org", NULL);
	in = in_sni("www.example.com");
	cr_assert_eq(rule_pick(&set, &in, 0), 1);
	in = in_sni("WWW.EXAMPLE.COM.");
	cr_assert_eq(rule_pick(&set, &in, 0), 1);
	in = in_sni("api.example.com");
	cr_assert_eq(rule_pick(&set, &in, 0), 2);
	in = in_sni("a.b.example.org");
	cr_assert_eq(rule_pick(&set, &in, 0), 3);
	/* the suffix itself and a name that only ends in its letters do not */
	in = in_sni("example.com");
	cr_assert_eq(rule_pick(&set, &in, 0), 0);
	in = in_sni("badexample.com");
	cr_assert_eq(rule_pick(&set, &in, 0), 0);
	in = in_sni(".example.com");
	cr_assert_eq(rule_pick(&set, &in, 0), 0, "nothing before the suffix");
}

Test(rule, sni_absent_never_matches)
{
	struct rule_input in = in_http("www.example.com", "/");

	add(1, "sni", "www.example.com", NULL);
	cr_assert_eq(rule_pick(&set, &in, 7), 7);
}

Test(rule, alpn_offered_anywhere)
{
	static const uint8_t list[] = "\x02h2\x08http/1.1";
	struct rule_input in = {.alpn = list, .alpn_len = sizeof(list) - 1};
	static const uint8_t lying[] = "\x02h2\x09http/1.1";
	struct rule_input bad = {.alpn = lying, .alpn_len = sizeof(lying) - 1};

	add(1, "alpn", "http/1.1", NULL);
	cr_assert_eq(rule_pick(&set, &in, 0), 1);
	cr_assert_eq(rule_pick(&set, &bad, 0), 0, "length past the list");
	in.alpn_len = 3; /* only h2 */
	cr_assert_eq(rule_pick(&set, &in, 0), 0);
}

Test(rule, host_and_path_prefix_and_first_match)
{
	struct rule_input in;

	add(1, "host", "api.example.com", "path", "/v2/", NULL);
	add(2, "host", "api.example.com", NULL);
	add(3, "path", "/static/", NULL);
	add(4, "host", "[2001:db8::1]", NULL);
	in = in_http("api.example.com", "/v2/items");
	cr_assert_eq(rule_pick(&set, &in, 0), 1);
	in = in_http("api.example.com", "/v1/items");
	cr_assert_eq(rule_pick(&set, &in, 0), 2);
	in = in_http("www.example.com", "/static/a.css");
	cr_assert_eq(rule_pick(&set, &in, 0), 3);
	in = in_http("www.example.com", "/static");
	cr_assert_eq(rule_pick(&set, &in, 9), 9, "shorter than the prefix");
	in = in_http(NULL, "/index.html");
	cr_assert_eq(rule_pick(&set, &in, 9), 9);
	in = in_http("[2001:db8::1]", "/");
	cr_assert_eq(rule_pick(&set, &in, 0), 4);
}

Test(rule, cookie_value)
{
	struct rule_input in = {0};

	add(1, "cookie", "SERVERID=s1", NULL);
	add(2, "cookie", "SERVERID=s2", NULL);
	add(3, "cookie", "lang=fr", NULL);
	cr_assert_eq(set.ncookies, 2);
	cr_assert_str_eq(set.cookies[0], "SERVERID");
	cr_assert_str_eq(set.cookies[1], "lang");
	in.cookie[0] = "s2";
	in.cookie_len[0] = 2;
	cr_assert_eq(rule_pick(&set, &in, 0), 2);
	in.cookie_len[0] = 1; /* "s": a prefix is not the value */
	cr_assert_eq(rule_pick(&set, &in, 0), 0);
	in.cookie[0] = NULL;
	in.cookie[1] = "fr";
	in.cookie_len[1] = 2;
	cr_assert_eq(rule_pick(&set, &in, 0), 3);
}

Test(rule, uses)
{
	add(1, "sni", "a.example", NULL);
	add(2, "cookie", "a=b", NULL);
	cr_assert(rule_set_uses(&set, RULE_SNI));
	cr_assert(rule_set_uses(&set, RULE_COOKIE));
	cr_assert_not(rule_set_uses(&set, RULE_PATH));
}

struct bad {
	const char *field, *value;
	int err;
	const char *why;
};

Test(rule, every_rejection)
{
	static const struct bad table[] = {
		{"url", "/", -EINVAL, "unknown condition"},
		{"sni", "", -EINVAL, "not a host name"},
		{"sni", "a..b", -EINVAL, "not a host name"},
		{"sni", ".a.b", -EINVAL, "not a host name"},
		{"sni", "a b", -EINVAL, "not a host name"},
		{"sni", "[::1]", -EINVAL, "not a host name"},
		{"sni", "a.*.b", -EINVAL, "wildcard"},
		{"sni", "*a.b", -EINVAL, "wildcard"},
		{"sni", "*.", -EINVAL, "wildcard"},
		{"host", "*.[::1]", -EINVAL, "not a host name"},
		{"host", "[::1", -EINVAL, "not a host name"},
		{"host", "[zz]", -EINVAL, "not a host name"},
		{"path", "static/", -EINVAL, "starts with '/'"},
		{"path", "/a b", -EINVAL, "space or a control"},
		{"alpn", "", -EINVAL, "1 to 255 bytes"},
		{"cookie", "novalue", -EINVAL, "NAME=VALUE"},
		{"cookie", "=v", -EINVAL, "NAME=VALUE"},
		{"cookie", "a;b=v", -EINVAL, "NAME=VALUE"},
		{"cookie", "a=", -EINVAL, "1 to 255 bytes"},
	};
	char longname[300];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct rule_cond c;
		const char *why = NULL;

		cr_assert_eq(rule_cond_parse(&set, &c, table[i].field, table[i].value,
					     &why), table[i].err, "%s %s", table[i].field,
			     table[i].value);
		cr_assert(why && strstr(why, table[i].why), "%s %s: '%s'",
			  table[i].field, table[i].value, why);
	}
	memset(longname, 'a', sizeof(longname));
	longname[sizeof(longname) - 1] = '\0';
	{
		struct rule_cond c;
		const char *why;

		cr_assert_eq(rule_cond_parse(&set, &c, "host", longname, &why), -EINVAL);
		cr_assert(strstr(why, "253"));
		cr_assert_eq(rule_cond_parse(&set, &c, "path", longname, &why), -EINVAL);
	}
}

Test(rule, limits)
{
	struct rule r = {0};
	struct rule_cond c;
	const char *why;

	cr_assert_eq(rule_set_add(&set, &r), -EINVAL, "no conditions");
	add(0, "cookie", "a=1", NULL);
	add(0, "cookie", "b=1", NULL);
	add(0, "cookie", "c=1", NULL);
	add(0, "cookie", "d=1", NULL);
	add(0, "cookie", "a=2", NULL); /* a known name costs nothing */
	cr_assert_eq(rule_cond_parse(&set, &c, "cookie", "e=1", &why), -ENOSPC);
	r.ncond = 1;
	r.cond[0] = set.rules[0].cond[0];
	while (set.nrules < RULES_MAX)
		cr_assert_eq(rule_set_add(&set, &r), 0);
	cr_assert_eq(rule_set_add(&set, &r), -ENOSPC);
}
