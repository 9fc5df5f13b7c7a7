/* Backends added and deleted at run time on the control socket. */
#ifndef DISP_BACKEND_CMD_H
#define DISP_BACKEND_CMD_H

#include "daemon/reload.h"

/* Registers `add backend` and `del backend`. Returns 0 or -errno. */
int disp_backend_cmd_register(struct disp_ctl *ctl, struct disp_reload *rl);

#endif
