/* splicectl: one binary, one file per subcommand. main.c owns the table
 * and the global options; each subcommand parses its own arguments. */
#ifndef SPLICECTL_H
#define SPLICECTL_H

/* Options given before the subcommand name. */
struct sc_global {
	const char *socket; /* -s SOCKET: spliced's control socket */
};

/* Default control socket path (used by subcommands that talk to spliced). */
#define SC_DEFAULT_SOCKET "/run/spliced.sock"

/* Exit codes shared by every subcommand. */
#define SC_EXIT_OK 0
#define SC_EXIT_FAIL 1  /* the operation failed (bad capture, daemon error) */
#define SC_EXIT_USAGE 2 /* bad command line */

/* A subcommand: argv[0] is its name; returns an SC_EXIT_* code. */
typedef int (*sc_cmd_fn)(int argc, char **argv, const struct sc_global *g);

/* splicectl inspect FILE.pcap [--json]: decode TLS handshakes offline. */
int sc_cmd_inspect(int argc, char **argv, const struct sc_global *g);

#endif
