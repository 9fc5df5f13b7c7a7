/* withsplice policy: which transport a stream socket gets.
 *
 * Pure code (no libc interposition, no globals), shared by the shim, the
 * withsplice wrapper (which validates rules before exec) and the unit tests.
 *
 * Rule text, one rule per entry, entries separated by ';' or newlines:
 *
 *   TRANSPORT [connect|listen] [addr ADDR[/LEN]] [port P[-Q]] [prog NAME]
 *             [shutwr defer|full] [dual]
 *
 * TRANSPORT is tcp, sctp or mptcp. Every selector present must match; the
 * first matching rule wins. After the user's rules come the built-in ones
 * (port 53 stays TCP; loopback stays TCP unless ws_policy.loopback), then
 * ws_policy.dflt.
 */
#ifndef SPLICEKIT_WS_POLICY_H
#define SPLICEKIT_WS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_MAX_RULES 32
#define WS_PROG_MAX 32

enum ws_transport { WS_TCP = 0, WS_SCTP, WS_MPTCP };

enum ws_role { WS_ROLE_CONNECT = 1, WS_ROLE_LISTEN = 2 };

/* What shutdown(SHUT_WR) does on an SCTP socket, which has no half-close. */
enum ws_shutwr {
	WS_SHUTWR_UNSET = 0, /* rule did not say: use the policy default */
	WS_SHUTWR_DEFER,     /* succeed, keep sending possible; close() ends it */
	WS_SHUTWR_FULL,      /* start SCTP's full shutdown now */
};

struct ws_rule {
	enum ws_transport transport;
	unsigned roles;       /* WS_ROLE_* bits; 0 = any role */
	int family;           /* AF_INET, AF_INET6, 0 = any address */
	uint8_t addr[16];     /* network order; IPv4 in the first 4 bytes */
	uint8_t plen;         /* prefix length */
	uint16_t port_lo, port_hi;
	char prog[WS_PROG_MAX]; /* "" = any program */
	enum ws_shutwr shutwr;
	bool dual;            /* listen: TCP and SCTP on the same port */
};

struct ws_policy {
	struct ws_rule rules[WS_MAX_RULES];
	unsigned nrules;
	enum ws_transport dflt;
	bool loopback;        /* convert loopback too instead of keeping TCP */
	bool fallback_tcp;    /* SCTP client falls back to TCP on failure */
	unsigned fallback_ms; /* how long an SCTP INIT may go unanswered */
	enum ws_shutwr shutwr;/* default for rules that do not say */
};

/* One socket's situation at connect() or listen(). */
struct ws_query {
	enum ws_role role;
	int family;           /* AF_INET or AF_INET6; v4-mapped v6 is given as v4 */
	uint8_t addr[16];     /* peer (connect) or bound local (listen) address */
	uint16_t port;        /* host order */
	const char *prog;     /* program short name, may be NULL */
};

struct ws_decision {
	enum ws_transport transport;
	enum ws_shutwr shutwr; /* never WS_SHUTWR_UNSET */
	bool dual;
	int rule;              /* index of the user rule, -1 built-in, -2 default */
};

/* Sets *p to the defaults: no rules, TCP, fallback to TCP after 2000 ms,
 * shutdown deferred, loopback kept on TCP. */
void ws_policy_init(struct ws_policy *p);

/* Parses "tcp"/"sctp"/"mptcp" (len bytes, not NUL-terminated) into *t:
 * 0, or -EINVAL. */
int ws_transport_parse(const char *s, size_t len, enum ws_transport *t);

/* Returns the static name of t ("tcp", "sctp", "mptcp"). */
const char *ws_transport_name(enum ws_transport t);

/* Parses one rule from text[0..len) and appends it to p: 0, -EINVAL with a
 * message naming the bad token in err (NUL-terminated, errlen bytes), or
 * -ENOSPC when p already holds WS_MAX_RULES rules. */
int ws_policy_add_rule(struct ws_policy *p, const char *text, size_t len,
		       char *err, size_t errlen);

/* Parses every rule in text (';' or newline separated, '#' starts a comment
 * to the end of the line, blank entries ignored) into p: 0, or the first
 * error of ws_policy_add_rule with "rule N: " prefixed to err. */
int ws_policy_add_rules(struct ws_policy *p, const char *text, char *err,
			size_t errlen);

/* Decides the transport for q. Never fails: without a match it returns the
 * policy default. */
void ws_policy_decide(const struct ws_policy *p, const struct ws_query *q,
		      struct ws_decision *d);

#endif
