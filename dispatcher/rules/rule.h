/* Content rules: which pool of a service a connection goes to, chosen on
 * its first bytes.
 *
 * A rule is up to RULE_CONDS_MAX conditions, all of which must hold, and
 * the pool it sends to. Rules are tried in the order they were added; the
 * first that matches wins; a connection no rule matches goes to the
 * default pool. Everything here is a pure function of its arguments: the
 * matcher neither parses packets nor allocates (rule_set_add does, at
 * configuration time).
 *
 * Conditions (values as written in the configuration):
 *   sni HOST | sni *.SUFFIX    the TLS server_name, exact or any name that
 *                              ends in .SUFFIX (one label or more before
 *                              it; SUFFIX itself does not match)
 *   alpn PROTO                 the ClientHello offers PROTO (anywhere in
 *                              its list: order rules by preference)
 *   host HOST | host *.SUFFIX  the HTTP/1.x Host (port not compared)
 *   path /PREFIX               the HTTP path starts with /PREFIX (bytes as
 *                              sent: no percent-decoding)
 *   cookie NAME=VALUE          cookie NAME has exactly VALUE
 * Host names are compared without case and without one trailing dot. A
 * condition on a field the connection does not have (no SNI on plain
 * HTTP, no Host on TLS) does not hold.
 */
#ifndef SPLICEKIT_RULE_H
#define SPLICEKIT_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULE_CONDS_MAX 4      /* conditions in one rule */
#define RULE_COOKIES_MAX 4    /* distinct cookie names in one rule set */
#define RULE_NAME_MAX 253     /* longest DNS name */
#define RULE_VALUE_MAX 255    /* longest path prefix, ALPN id, cookie value */
#define RULE_COOKIE_NAME_MAX 64
#define RULES_MAX 256         /* rules in one set */

enum rule_field {
	RULE_SNI,
	RULE_ALPN,
	RULE_HOST,
	RULE_PATH,
	RULE_COOKIE,
};

struct rule_cond {
	enum rule_field field;
	bool suffix;          /* "*.SUFFIX": value holds ".SUFFIX" */
	uint8_t cookie;       /* RULE_COOKIE: index into the set's names */
	uint16_t len;         /* bytes of value */
	char value[RULE_VALUE_MAX + 1]; /* NUL-terminated; names lower-cased */
};

struct rule {
	struct rule_cond cond[RULE_CONDS_MAX];
	unsigned ncond;
	unsigned pool;        /* the caller's pool index */
};

struct rule_set {
	struct rule *rules;   /* in the order added; owned by the set */
	unsigned nrules;
	char cookies[RULE_COOKIES_MAX][RULE_COOKIE_NAME_MAX + 1];
	unsigned ncookies;    /* names the HTTP parser must extract */
	unsigned fields;      /* bit (1 << enum rule_field) per field used */
};

/* What is known about a connection. A NULL pointer means "absent". */
struct rule_input {
	const char *sni;
	size_t sni_len;
	const uint8_t *alpn;  /* ClientHello protocol_name_list without its
				 outer length: (u8 len, name)* */
	size_t alpn_len;
	const char *host;
	size_t host_len;
	const char *path;
	size_t path_len;
	const char *cookie[RULE_COOKIES_MAX]; /* by the set's cookie index */
	size_t cookie_len[RULE_COOKIES_MAX];
};

/* Starts an empty set. */
void rule_set_init(struct rule_set *s);

/* Frees the set's rules; s may be initialised again. */
void rule_set_free(struct rule_set *s);

/* Parses condition "field value" (field one of sni, alpn, host, path,
 * cookie) into *c, registering a cookie name in s. Returns 0, or -EINVAL
 * with *why set to a static sentence naming the problem, or -ENOSPC when
 * s already has RULE_COOKIES_MAX other cookie names. */
int rule_cond_parse(struct rule_set *s, struct rule_cond *c, const char *field,
		    const char *value, const char **why);

/* Appends a copy of r (1..RULE_CONDS_MAX conditions) to s. Returns 0,
 * -EINVAL for a rule without conditions, -ENOSPC past RULES_MAX, -ENOMEM. */
int rule_set_add(struct rule_set *s, const struct rule *r);

/* True when every condition of r holds for in. */
bool rule_matches(const struct rule *r, const struct rule_input *in);

/* Returns the pool of the first rule of s that matches in, or def. */
unsigned rule_pick(const struct rule_set *s, const struct rule_input *in,
		   unsigned def);

/* True when some rule of s looks at field f (so the caller knows whether
 * it must wait for a ClientHello or an HTTP head). */
bool rule_set_uses(const struct rule_set *s, enum rule_field f);

#endif
