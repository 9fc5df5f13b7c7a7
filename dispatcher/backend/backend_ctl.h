/* The backends' control commands: `show backends` and `backend IP:PORT
 * up|down|drain`. */
#ifndef DISP_BACKEND_CTL_H
#define DISP_BACKEND_CTL_H

#include "backend/backend.h"
#include "conf/config.h"
#include "ctl/ctl.h"

/* Registers the commands on ctl, reading cfg (service addresses and modes)
 * and pool (borrowed: both must outlive ctl). Returns 0 or -errno. */
int disp_backend_ctl_register(struct disp_ctl *ctl, const struct disp_config *cfg,
			      struct disp_pool *pool);

#endif
