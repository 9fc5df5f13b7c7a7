/* Feeds the control socket's show conns / show stats from the engine. */
#ifndef DISP_CTL_ENGINE_H
#define DISP_CTL_ENGINE_H

#include <splicekit/ctl.h>
#include <splicekit/engine.h>

/* Fills ops with hooks reading e (borrowed: it must outlive the ctl). */
void disp_ctl_engine_ops(struct disp_engine *e, struct disp_ctl_ops *ops);

#endif
