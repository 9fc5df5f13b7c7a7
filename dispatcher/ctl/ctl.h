/* The spliced control socket: a UNIX stream socket speaking a line
 * protocol, served by one thread.
 *
 * Protocol: the client sends one command per line (at most
 * DISP_CTL_LINE_MAX bytes, printable ASCII). The server answers each with
 * a status line "ok LEN" or "error LEN", then exactly LEN bytes of body
 * (text, or JSON when the command ends in "json" / "--json").
 *
 * The ctl knows no subsystem: each registers its own commands (a verb, an
 * optional noun, a handler) and its `show stats` section before
 * disp_ctl_start; the ctl itself provides `help` (the registry's list),
 * `quit` and `show stats` (its own counters, then every section).
 *
 * A client that sends garbage gets an error reply; one that sends an
 * over-long line, stops reading its replies, or idles is disconnected.
 * Each client has bounded buffers, so no client can stall the daemon or
 * make it allocate without limit.
 */
#ifndef SPLICEKIT_CTL_H
#define SPLICEKIT_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DISP_CTL_LINE_MAX 512         /* bytes per command line */
#define DISP_CTL_REPLY_MAX (4u << 20) /* bytes per reply; longer is cut */
#define DISP_CTL_CLIENTS_MAX 32
#define DISP_CTL_IDLE_MS 60000        /* no command for this long: close */
#define DISP_CTL_STALL_MS 5000        /* reply not read for this long: close */

struct disp_ctl;
struct disp_ctl_out; /* a reply being built */

#define DISP_CTL_ARGS_MAX 5           /* words after a verb */
#define DISP_CTL_CMDS_MAX 32          /* registered commands per ctl */
#define DISP_CTL_SECTIONS_MAX 8       /* `show stats` sections per ctl */

/* A command line's words after the command's verb (and noun), and whether
 * JSON was asked for (the trailing "json" is not among the words). */
struct disp_ctl_args {
	size_t n;
	const char *w[DISP_CTL_ARGS_MAX];
	bool json;
};

/* A command handler: writes the reply body into o and returns 0 (an ok
 * reply) or a negative errno (an error reply; the body says why). Runs on
 * the control thread. */
typedef int (*disp_ctl_cmd_fn)(void *arg, const struct disp_ctl_args *a,
			       struct disp_ctl_out *o);

/* One command. A command with a noun ("show backends") is chosen by its
 * first two words; one without ("flush") by its first word alone. */
struct disp_ctl_cmd {
	const char *verb;   /* "show", "backend", "flush" */
	const char *noun;   /* "backends", or NULL */
	const char *args;   /* argument synopsis for help and usage errors */
	const char *help;   /* one line for `help` */
	disp_ctl_cmd_fn fn;
	void *arg;          /* passed to fn; borrowed */
};

/* Adds a command (copied; its strings and arg are borrowed and must
 * outlive the ctl). Call before disp_ctl_start. Returns 0, -EEXIST when
 * the verb and noun are taken (or a verb is registered both with and
 * without nouns), -ENOSPC past DISP_CTL_CMDS_MAX, -EINVAL. */
int disp_ctl_register(struct disp_ctl *ctl, const struct disp_ctl_cmd *cmd);

/* A `show stats` section: text lines, or in JSON one value (an object or
 * array) that the ctl prints as member `name`. Returns 0 or -errno. */
typedef int (*disp_ctl_stats_fn)(void *arg, struct disp_ctl_out *o, bool json);

/* Adds a `show stats` section, printed after the ctl's own counters in
 * registration order. Same rules and returns as disp_ctl_register. */
int disp_ctl_register_stats(struct disp_ctl *ctl, const char *name,
			    disp_ctl_stats_fn fn, void *arg);

/* Hands p (malloc'd, e.g. a module's command context) to the ctl, which
 * frees it in disp_ctl_close. Returns 0, or -ENOSPC (p is freed now). */
int disp_ctl_keep(struct disp_ctl *ctl, void *p);

/* Appends formatted text to a reply; output past DISP_CTL_REPLY_MAX is
 * dropped and the reply marked truncated. Returns 0 or -ENOBUFS. */
__attribute__((format(printf, 2, 3)))
int disp_ctl_printf(struct disp_ctl_out *o, const char *fmt, ...);

/* Appends s as a JSON string literal (quoted, escaped). Returns 0 or
 * -ENOBUFS. */
int disp_ctl_json_str(struct disp_ctl_out *o, const char *s);

/* Creates the socket at path with the given mode (replacing a stale socket
 * file but refusing to replace anything else), listening, nonblocking,
 * with the built-in commands registered. Returns 0 and *out, or a
 * negative errno with a message in err. */
int disp_ctl_open(const char *path, mode_t mode, struct disp_ctl **out,
		  char *err, size_t errlen);

/* As disp_ctl_open without a socket: commands run only through
 * disp_ctl_exec. For tests and fuzzing. Returns 0 or -ENOMEM. */
int disp_ctl_create_detached(struct disp_ctl **out);

/* Replaces the idle and stall limits (defaults DISP_CTL_IDLE_MS and
 * DISP_CTL_STALL_MS); call before disp_ctl_start. */
void disp_ctl_set_timeouts(struct disp_ctl *ctl, unsigned idle_ms,
			   unsigned stall_ms);

/* Serves clients for up to timeout_ms (-1: until an event). Returns 0, or a
 * negative errno on a fatal error of the listening socket. */
int disp_ctl_poll(struct disp_ctl *ctl, int timeout_ms);

/* Runs disp_ctl_poll in a thread of its own until disp_ctl_stop. Returns 0
 * or a negative errno. */
int disp_ctl_start(struct disp_ctl *ctl);

/* Stops the thread started by disp_ctl_start and waits for it. Safe to call
 * when it was never started. */
void disp_ctl_stop(struct disp_ctl *ctl);

/* Stops, disconnects every client, closes and unlinks the socket, frees.
 * NULL is a no-op. */
void disp_ctl_close(struct disp_ctl *ctl);

/* Runs one command line (without its newline) and writes the reply body
 * into o. Returns 0 for an ok reply or a negative errno for an error reply
 * (the body then says why). Exposed for tests and fuzzing. */
int disp_ctl_exec(struct disp_ctl *ctl, const char *line, size_t len,
		  struct disp_ctl_out *o);

/* CLOCK_MONOTONIC in milliseconds: the clock the engine passes to the
 * session routers, so commands reading them must use it too. */
uint64_t disp_ctl_now_ms(void);

/* Allocates an empty reply buffer / frees one, and reads its contents (NUL
 * terminated, owned by o). For tests and fuzzing. */
struct disp_ctl_out *disp_ctl_out_new(void);
void disp_ctl_out_free(struct disp_ctl_out *o);
const char *disp_ctl_out_str(const struct disp_ctl_out *o, size_t *len);

#endif
