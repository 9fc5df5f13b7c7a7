/* What a reload may change in a running spliced, decided from the two
 * configs alone (no sockets), so it is tested without a daemon and the
 * refusal comes before anything changes. */
#ifndef DISP_RELOAD_CHECK_H
#define DISP_RELOAD_CHECK_H

#include <stddef.h>

#include "conf/config.h"

/* Compares next (the file just read) with cur (the config running).
 * Returns 0 when every difference can be applied live: backends added or
 * removed, weights, scheduler, health and passive-health settings.
 * Otherwise -EINVAL and err gets "FILE:LINE: service NAME:
 * changing SETTING needs a restart" for the first difference the running
 * engine cannot take (a service added, removed or renamed; vip, mode, io,
 * interfaces, fastpath, timeouts, flow bounds, source NAT, the session
 * table, content pools and rules; a new splice backend with a ticket or
 * session-ID prefix, or a changed prefix; global settings such as
 * workers or the control socket). Services are matched by name, so
 * reordering them is allowed. */
int disp_reload_check(const struct disp_config *cur, const struct disp_config *next,
		      char *err, size_t errlen);

/* The service of cfg called name, or NULL. */
const struct disp_service_conf *disp_config_service(const struct disp_config *cfg,
						    const char *name);

#endif
