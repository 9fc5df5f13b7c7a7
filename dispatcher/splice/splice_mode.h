/* splice mode as the rest of spliced sees it: the mode's hooks for the
 * engine (dispatcher/modes.c lists them) and each service's session
 * router for the control socket. */
#ifndef DISP_SPLICE_MODE_H
#define DISP_SPLICE_MODE_H

#include <stddef.h>

#include "engine/mode.h"

struct disp_config;
struct disp_ctl;
struct disp_engine;
struct disp_pool;
struct sroute;

extern const struct disp_mode_ops splice_mode;

/* Service i's session router, or NULL (not a splice service, or i out of
 * range). Owned by the engine; thread-safe to use (splice_route.h) until
 * disp_engine_destroy. */
struct sroute *splice_route(struct disp_engine *e, size_t i);

/* Registers splice mode's control commands (`show table`, `flush`, the
 * "splice" statistics) over engine e's routers. Returns 0 or -errno. */
int splice_ctl_register(struct disp_ctl *ctl, const struct disp_config *cfg,
			struct disp_pool *pool, struct disp_engine *e);

#endif
