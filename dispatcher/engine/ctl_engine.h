/* Feeds the control socket's show conns / show stats from the engine. */
#ifndef DISP_CTL_ENGINE_H
#define DISP_CTL_ENGINE_H

#include <stdio.h>

#include "ctl/ctl.h"
#include "engine/engine.h"

/* What the hooks read: the engine, and the config and pool it runs (for
 * service names, modes and backend addresses). All borrowed. */
struct disp_ctl_engine {
	struct disp_engine *e;
	const struct disp_config *cfg;
	struct disp_pool *pool;
};

/* Fills ops with hooks reading ce (borrowed: ce and what it points to
 * must outlive the ctl). The session routers' times are CLOCK_MONOTONIC
 * milliseconds, the clock the engine must also pass to sroute_*. */
void disp_ctl_engine_ops(struct disp_ctl_engine *ce, struct disp_ctl_ops *ops);

/* Writes every engine counter as "name value" lines, then
 * "workerN_flows value" per worker (the format the netns tests read). */
void disp_ctl_engine_print_stats(struct disp_engine *e, FILE *f);

#endif
