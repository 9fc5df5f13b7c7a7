/* Splice services on the control socket: session routers found by
 * service index. Internal to dispatcher/ (ctl_engine.c and tests). */
#ifndef DISP_CTL_SPLICE_H
#define DISP_CTL_SPLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "ctl/ctl.h"

struct sroute;

/* Returns service svc's router, or NULL (nat, or not running). */
typedef struct sroute *(*disp_ctl_route_fn)(void *arg, size_t svc);

/* `show table`: for each splice service of cfg, its name and mapping
 * table (or a note that no router runs it); JSON is
 * {"services":[{"service":NAME,"session_table":{"table":[...]}|null}]}.
 * now is the routers' clock (CLOCK_MONOTONIC ms). Returns 0 or -ENOBUFS. */
int disp_ctl_splice_table(const struct disp_config *cfg, disp_ctl_route_fn route,
			  void *arg, struct disp_ctl_out *o, bool json, uint64_t now);

/* `flush`: removes entries untouched for older_than_ms (0: all) from the
 * routers of services 0..nsvc-1. Returns the number removed. */
int64_t disp_ctl_splice_flush(size_t nsvc, disp_ctl_route_fn route, void *arg,
			      uint64_t older_than_ms, uint64_t now);

/* `show stats`: per service with a router, its counters, table fill and
 * full handshakes / resumptions per backend (the first 64). In JSON, a
 * ,"splice":[...] member to put inside an object. */
void disp_ctl_splice_stats(struct disp_pool *pool, size_t nsvc,
			   disp_ctl_route_fn route, void *arg,
			   struct disp_ctl_out *o, bool json);

#endif
