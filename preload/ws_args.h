/* withsplice's settings: the command line, --config lines and the address
 * lists of --multihome and --peer, parsed without exiting or allocating,
 * so that the wrapper, the shim, the unit tests and the fuzz harnesses
 * share one parser. Every parser returns 0 or -EINVAL (-ENOSPC when a
 * table is full) and then names the offending text in err. */
#ifndef WS_ARGS_H
#define WS_ARGS_H

#include <splicekit/ws_policy.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define WS_ADDRS_MAX 8 /* --multihome addresses; members of one peer group */
#define WS_PEER_GROUPS 16

struct ws_addr {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
};

struct ws_peer_group {
	unsigned n;
	struct ws_addr a[WS_ADDRS_MAX];
};

/* Parses s[0..len), addresses separated by ',' or ' ', into out[0..max):
 * sets *n. An empty list is valid. */
int ws_addrs_parse(const char *s, size_t len, struct ws_addr *out, unsigned max, unsigned *n,
		   char *err, size_t errlen);

/* Parses --peer text "A=B,C;D=E" (groups separated by ';'; '=' and ','
 * separate members, each group at least two) and appends the groups to
 * g[*n..max): sets *n. */
int ws_peers_spec(const char *s, size_t len, struct ws_peer_group *g, unsigned max, unsigned *n,
		  char *err, size_t errlen);

/* Everything the wrapper passes to the shim, as validated text. */
struct ws_opts {
	struct ws_policy pol;
	char rules[8192];  /* ';'-joined rule text (WITHSPLICE_RULES) */
	size_t rlen;
	char peers[1024];  /* ';'-joined --peer specs */
	char multihome[512];
	char dflt[8], fallback[8], shutwr[8], log[8];
	char fallback_ms[8], failover[8];
	const char *logfile; /* points into argv */
	bool loopback, noinherit, halfclose, help, version;
};

/* Sets o to the defaults (no rules, nothing given). */
void ws_opts_init(struct ws_opts *o);

/* Applies one setting by its --config name ("default", "fallback",
 * "fallback-ms", "multihome", "peer", "failover-ms", "shutwr", "log",
 * "loopback", "half-close", or a rule starting with its transport). */
int ws_opts_set(struct ws_opts *o, const char *key, const char *val, char *err, size_t errlen);

/* Applies config text: one setting per line, '#' comments, blank lines;
 * err is prefixed with "where:LINE: ". */
int ws_opts_config(struct ws_opts *o, const char *text, size_t len, const char *where, char *err,
		   size_t errlen);

/* Parses argv up to the program to run (getopt_long, '+'): returns its
 * index (0 with o->help or o->version set for --help, --version), or
 * -EINVAL. --config FILE reads FILE. */
int ws_opts_argv(struct ws_opts *o, int argc, char **argv, char *err, size_t errlen);

#endif
