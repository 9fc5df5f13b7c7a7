/* splicectl: one binary, one file per subcommand. main.c owns the table
 * and the global options; each subcommand parses its own arguments. */
#ifndef SPLICECTL_H
#define SPLICECTL_H

#include <stdbool.h>
#include <stddef.h>

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

/* splicectl show backends|conns|stats|table [--json] */
int sc_cmd_show(int argc, char **argv, const struct sc_global *g);

/* splicectl backend IP:PORT up|down|drain */
int sc_cmd_backend(int argc, char **argv, const struct sc_global *g);

/* splicectl set weight [SERVICE/]IP:PORT N [--json] */
int sc_cmd_set(int argc, char **argv, const struct sc_global *g);

/* splicectl flush [--older-than SECONDS] [--json] */
int sc_cmd_flush(int argc, char **argv, const struct sc_global *g);

/* splicectl add backend ... / del backend ... (addel.c). */
int sc_cmd_add(int argc, char **argv, const struct sc_global *g);
int sc_cmd_del(int argc, char **argv, const struct sc_global *g);

/* splicectl reload [--json]: apply the config file again (reload.c). */
int sc_cmd_reload(int argc, char **argv, const struct sc_global *g);

/* splicectl watch [-n SECONDS] [-c COUNT]: a live view, like top. */
int sc_cmd_watch(int argc, char **argv, const struct sc_global *g);

/* ---- control-socket client (ctl_client.c) ---- */

/* Connects to spliced's control socket. Returns the fd, or -1 after
 * printing why to stderr. */
int sc_ctl_connect(const char *path);

/* Sends one command (words joined by spaces; each word must be printable
 * ASCII without spaces, checked here so an argument can never smuggle a
 * second command) and reads the framed reply. Returns 1 for "ok", 0 for
 * "error", -1 when the daemon could not be reached or broke the framing
 * (printed to stderr). *body (malloc'd, NUL-terminated) is the caller's. */
int sc_ctl_request(int fd, const char *const *words, size_t n, char **body);

/* Connects, runs one command, prints the body (to stdout on ok, stderr on
 * error). Returns an SC_EXIT_* code. */
int sc_ctl_run(const char *path, const char *const *words, size_t n);

#endif
