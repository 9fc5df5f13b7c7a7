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

/* Registers `reload` on the control socket. */
int disp_reload_ctl_register(struct disp_ctl *ctl, struct disp_reload *rl);

#endif
