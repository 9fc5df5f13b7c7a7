/* Feeds the control socket's show conns / show stats from the engine. */
#ifndef DISP_CTL_ENGINE_H
#define DISP_CTL_ENGINE_H

#include <stdio.h>

#include <splicekit/ctl.h>
#include <splicekit/engine.h>

/* Fills ops with hooks reading e (borrowed: it must outlive the ctl). */
void disp_ctl_engine_ops(struct disp_engine *e, struct disp_ctl_ops *ops);

/* Writes every engine counter as "name value" lines, then
 * "workerN_flows value" per worker (the format the netns tests read). */
void disp_ctl_engine_print_stats(struct disp_engine *e, FILE *f);

#endif
