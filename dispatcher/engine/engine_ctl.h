/* The engine's control commands: `show conns` and the "engine" section
 * of `show stats`; and the final counters spliced prints on exit. */
#ifndef DISP_ENGINE_CTL_H
#define DISP_ENGINE_CTL_H

#include <stdio.h>

#include "ctl/ctl.h"
#include "engine/engine.h"

/* Registers the command and section on ctl, reading e (borrowed: it must
 * outlive ctl). Returns 0 or -errno. */
int disp_engine_ctl_register(struct disp_ctl *ctl, struct disp_engine *e);

/* Writes every engine counter as "name value" lines, then
 * "workerN_flows value" per worker (the format the netns tests read). */
void disp_engine_print_stats(struct disp_engine *e, FILE *f);

#endif
