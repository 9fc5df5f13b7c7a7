/* Active health checks for spliced's backends.
 *
 * One thread probes every backend of every service whose config has a
 * `health` line: a nonblocking TCP connect (and, with `health tls`, a TLS
 * handshake) that must finish within the timeout. After `fall` failures in
 * a row the backend is marked unhealthy (DOWN: no new flows); after `rise`
 * successes it is healthy again. While DOWN the probe interval doubles
 * after every failure up to backoff-max (the REAP idea: a dead server is
 * not hammered, and a long outage costs few probes), and it returns to the
 * base interval as soon as a probe succeeds, so recovery is noticed within
 * one backed-off interval.
 */
#ifndef SPLICEKIT_HEALTH_H
#define SPLICEKIT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/backend.h"
#include "conf/config.h"

struct disp_health;

/* Called on the health thread when a backend's verdict changes. */
typedef void (*disp_health_cb)(void *arg, const char *service,
			       const struct disp_addr *backend, bool healthy,
			       const char *reason);

/* Prepares probes for every service of cfg with health checks enabled,
 * over the backends of pool (a service's bset is the one of its name).
 * What it needs of cfg is copied; pool is borrowed and must outlive the
 * checker; cb may be NULL. Removed backends are not probed, and a backend
 * already marked failed starts DOWN (a reload replaces the checker). Returns 0 and
 * *out, or -ENOMEM / -EINVAL. */
int disp_health_create(const struct disp_config *cfg, struct disp_pool *pool,
		       disp_health_cb cb, void *cb_arg, struct disp_health **out);

/* Starts the probing thread. Returns 0 or a negative errno. */
int disp_health_start(struct disp_health *h);

/* Stops and joins the thread (no-op when not started). */
void disp_health_stop(struct disp_health *h);

/* Stops the thread and frees everything. NULL is a no-op. */
void disp_health_free(struct disp_health *h);

/* Returns the delay before the next probe, in ms: the base interval while
 * the backend is healthy, interval * 2^failures_while_down capped at
 * backoff_max_ms while it is down. Exposed for tests. */
unsigned disp_health_next_ms(const struct disp_health_conf *hc, bool down,
			     unsigned failures_while_down);

/* Returns how many probes have been started since create (thread-safe). */
unsigned long disp_health_probes(const struct disp_health *h);

#endif
