/* Reloading spliced's config in place (SIGHUP, `systemctl reload`,
 * `splicectl reload`): read and check the file, refuse what needs a
 * restart, then apply the rest without dropping a connection, a learned
 * session or an admin state. */
#ifndef DISP_RELOAD_H
#define DISP_RELOAD_H

#include <stddef.h>

#include "backend/health.h"

struct disp_config;
struct disp_ctl;
struct disp_engine;
struct disp_pool;
struct disp_reload;

/* The running daemon's parts a reload touches. cfg is the config spliced
 * started with: the engine and the control commands keep pointers into
 * it, so it stays allocated (and owned by the caller) until exit; later
 * configs are owned by the reloader. *health is the running checker,
 * which a reload replaces (the caller frees the last one). */
struct disp_reload_parts {
	const struct disp_config *cfg;
	struct disp_pool *pool;
	struct disp_engine *eng;
	struct disp_health **health;
	disp_health_cb health_cb;
};

/* Returns 0 and *out, or -ENOMEM. */
int disp_reload_create(const struct disp_reload_parts *parts, struct disp_reload **out);

/* Frees the reloader and the configs it loaded. NULL is a no-op. */
void disp_reload_free(struct disp_reload *rl);

/* Reloads the config file spliced was started with. Serialised: one
 * reload at a time, from any thread. On success returns 0 and msg holds
 * one line per changed service (or "no change"); on failure returns a
 * negative errno, nothing has changed, and msg says why ("FILE:LINE:
 * ..."). Both outcomes are logged. */
int disp_reload_run(struct disp_reload *rl, char *msg, size_t len);

/* A change of the running backend sets made outside a reload (`add
 * backend`, `del backend`): writes its reply into msg, returns >= 0 or a
 * negative errno (nothing changed). */
typedef int (*disp_reload_fn)(const struct disp_reload_parts *p, const struct disp_config *cur,
			      void *arg, char *msg, size_t len);

/* Runs fn under the reload lock, so it never meets a reload halfway;
 * when fn succeeds, rebuilds the health checker over the backends now in
 * the pool and rewrites the state file (warnings appended to msg).
 * Returns fn's result. */
int disp_reload_locked(struct disp_reload *rl, disp_reload_fn fn, void *arg, char *msg,
		       size_t len);

/* The backend pool the reloader changes. */
struct disp_pool *disp_reload_pool(struct disp_reload *rl);

/* Registers `reload` on the control socket. */
int disp_reload_ctl_register(struct disp_ctl *ctl, struct disp_reload *rl);

#endif
