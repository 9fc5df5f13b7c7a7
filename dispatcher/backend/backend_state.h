/* The state file: what an operator changed at run time (admin states and
 * weights, per service and backend), kept across restarts, as HAProxy's
 * server-state-file. One line per backend:
 *
 *   backend SERVICE ADDR admin UP|DOWN|DRAIN weight N [added]
 *   deleted SERVICE ADDR
 *
 * "added": `add backend` made it, so a start creates it if the config
 * lacks it; "deleted": `del backend` removed this configured backend, so a
 * start removes it again. '#' lines are comments. A line naming a service
 * or backend the config no longer has is skipped (counted), so an old file
 * never blocks a start. */
#ifndef DISP_BACKEND_STATE_H
#define DISP_BACKEND_STATE_H

#include <stddef.h>

#include "backend/backend.h"

/* What applying a state file did. */
struct disp_state_result {
	unsigned applied; /* backends set from the file */
	unsigned skipped; /* lines naming a service or backend not configured */
};

/* Writes every backend's admin state and weight to path, through a
 * temporary file and rename(), so a crash leaves the old file or the new
 * one. Returns 0 or -errno. */
int disp_pool_state_save(struct disp_pool *pool, const char *path);

/* Applies state text (len bytes, untrusted) to pool. Every line is checked
 * before anything is applied: on a bad line nothing changes, -EINVAL is
 * returned and err holds "line N: what was wrong". Returns 0 otherwise. */
int disp_pool_state_apply(struct disp_pool *pool, const char *buf, size_t len,
			  struct disp_state_result *res, char *err, size_t errlen);

/* Reads path and applies it as disp_pool_state_apply does. A missing file
 * is not an error (first start): 0 with nothing applied. Returns 0, -EINVAL
 * (err says which line), or the -errno of reading it. */
int disp_pool_state_load(struct disp_pool *pool, const char *path,
			 struct disp_state_result *res, char *err, size_t errlen);

#endif
