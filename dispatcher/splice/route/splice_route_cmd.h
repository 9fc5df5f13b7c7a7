/* Splice services on the control socket: `show table`, `flush` and the
 * "splice" section of `show stats`, over the services' session routers. */
#ifndef DISP_SPLICE_ROUTE_CMD_H
#define DISP_SPLICE_ROUTE_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "ctl/ctl.h"

struct disp_engine;
struct sroute;

/* Returns service svc's router, or NULL (nat, or not running). */
typedef struct sroute *(*sroute_cmd_route_fn)(void *arg, size_t svc);

/* Registers the commands on ctl over the routers found by route(arg,
 * svc) (splice_ctl_register passes the engine's), whose clock is read by
 * now (NULL: disp_ctl_now_ms, the engine's). cfg, pool and arg are
 * borrowed: they must outlive ctl. `show table` JSON is
 * {"services":[{"service":NAME,"session_table":{"table":[...]}|null}]}.
 * Returns 0 or -errno. */
int sroute_cmd_register_fn(struct disp_ctl *ctl, const struct disp_config *cfg,
			   struct disp_pool *pool, sroute_cmd_route_fn route,
			   void *arg, uint64_t (*now)(void));

#endif
