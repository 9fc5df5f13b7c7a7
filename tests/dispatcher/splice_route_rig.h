/* Test rig for the session router: a real backend pool built from config
 * text, and real OpenSSL handshakes (tests/tls/gen.h) whose ClientHello
 * and server bytes go through the real TLS parsers into sroute_*. Only the
 * network is absent: the "backend" of a connection is whatever the router
 * chose, and the bytes are those of an OpenSSL server standing for it. */
#ifndef SPLICEKIT_TEST_SPLICE_ROUTE_RIG_H
#define SPLICEKIT_TEST_SPLICE_ROUTE_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "splice/route/splice_route.h"

#include "../tls/gen.h"

struct rig {
	struct disp_config *cfg;
	struct disp_pool *pool;
	struct disp_bset *bs;
	struct sroute *r;
};

/* Builds one splice service "s" (vip 10.0.0.1:443, client-interface c0,
 * mode splice) whose block also holds body (backends and options). */
void rig_up(struct rig *g, const char *body);
void rig_down(struct rig *g);

/* Parses run's ClientHello and asks the router for a backend. Returns
 * sroute_pick's value. */
int rig_pick(struct rig *g, const struct gen_run *run, uint64_t now,
	     const bool *tried, struct sroute_pick *p);

/* As rig_pick, inside content pool (backend.h's pool numbers). */
int rig_pick_pool(struct rig *g, const struct gen_run *run, uint64_t now,
		  const bool *tried, unsigned pool, struct sroute_pick *p);

/* Feeds run's server bytes one at a time through a server-stream parser
 * (told p's offered session ID, as the engine does), calling sroute_server
 * after each byte as the engine does each time the parser learns. */
void rig_serve(struct rig *g, const struct gen_run *run,
	       struct sroute_pick *p, uint64_t now);

/* One handshake on gc (resuming resume if not NULL); asserts it completed
 * and, when resume is set, that OpenSSL resumed. */
void rig_handshake(struct gen_ctx *gc, SSL_SESSION *resume, struct gen_run *run);

/* `show table` (text) into a static buffer. */
const char *rig_show(struct rig *g, uint64_t now);

#endif
