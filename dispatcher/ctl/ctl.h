/* The spliced control socket: a UNIX stream socket speaking a line
 * protocol, served by one thread.
 *
 * Protocol: the client sends one command per line (at most
 * DISP_CTL_LINE_MAX bytes, printable ASCII). The server answers each with
 * a status line "ok LEN" or "error LEN", then exactly LEN bytes of body
 * (text, or JSON when the command ends in "json" / "--json"). Commands:
 *
 *   show backends|conns|stats|table [json]
 *   backend IP:PORT up|down|drain
 *   flush [older-than SECONDS]  (splice: forget mapping-table entries)
 *   help
 *   quit
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

#include "backend/backend.h"
#include "conf/config.h"

#define DISP_CTL_LINE_MAX 512         /* bytes per command line */
#define DISP_CTL_REPLY_MAX (4u << 20) /* bytes per reply; longer is cut */
#define DISP_CTL_CLIENTS_MAX 32
#define DISP_CTL_IDLE_MS 60000        /* no command for this long: close */
#define DISP_CTL_STALL_MS 5000        /* reply not read for this long: close */

struct disp_ctl;
struct disp_ctl_out; /* a reply being built */

/* Data the control socket cannot compute itself (it lives in the engine).
 * Any hook may be NULL: the command then replies with what it knows (an
 * empty table with its header). Hooks run on the control thread. */
struct disp_ctl_ops {
	int (*show_conns)(void *arg, struct disp_ctl_out *o, bool json);
	int (*show_stats)(void *arg, struct disp_ctl_out *o, bool json);
	int (*show_table)(void *arg, struct disp_ctl_out *o, bool json);
	void *arg;
	/* Removes mapping-table entries untouched for older_than_ms (0: all)
	 * from every splice service; returns how many (>= 0) or -errno. */
	int64_t (*flush)(void *arg, uint64_t older_than_ms);
};

/* Appends formatted text to a reply; output past DISP_CTL_REPLY_MAX is
 * dropped and the reply marked truncated. Returns 0 or -ENOBUFS. */
__attribute__((format(printf, 2, 3)))
int disp_ctl_printf(struct disp_ctl_out *o, const char *fmt, ...);

/* Appends s as a JSON string literal (quoted, escaped). Returns 0 or
 * -ENOBUFS. */
int disp_ctl_json_str(struct disp_ctl_out *o, const char *s);

/* Creates the socket at path with the given mode (replacing a stale socket
 * file but refusing to replace anything else), listening, nonblocking. cfg
 * and pool are borrowed and must outlive the ctl; ops is copied (may be
 * NULL). Returns 0 and *out, or a negative errno with a message in err. */
int disp_ctl_open(const char *path, mode_t mode, const struct disp_config *cfg,
		  struct disp_pool *pool, const struct disp_ctl_ops *ops,
		  struct disp_ctl **out, char *err, size_t errlen);

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

/* Allocates an empty reply buffer / frees one, and reads its contents (NUL
 * terminated, owned by o). For tests and fuzzing. */
struct disp_ctl_out *disp_ctl_out_new(void);
void disp_ctl_out_free(struct disp_ctl_out *o);
const char *disp_ctl_out_str(const struct disp_ctl_out *o, size_t *len);

#endif
