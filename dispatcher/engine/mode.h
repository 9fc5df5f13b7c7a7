/* A forwarding mode behind the engine.
 *
 * The engine (engine/) owns the captures, the flow tables, the senders
 * and each service's bookkeeping; a mode decides what a packet of one of
 * its services means. spliced's modes are nat (nat/nat.c: backend picked
 * on the SYN, addresses rewritten) and splice (splice/splice_mode.c: the
 * handshake answered here, routed on the ClientHello, headers translated).
 * dispatcher/modes.c lists them; the engine is built with that list and
 * never names a mode itself, so adding one touches no engine file.
 *
 * Every hook runs on the thread named; all but new_packet and input may
 * be NULL. Hooks returning int give 0 or a negative errno and then write
 * a message to err.
 */
#ifndef DISP_ENGINE_MODE_H
#define DISP_ENGINE_MODE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "flow/flow.h"

struct disp_engine;
struct disp_svc;
struct disp_worker;
struct raw_pkt;

struct disp_mode_ops {
	enum disp_mode kind; /* the config's mode this serves */

	/* Engine-wide state (e->mode_priv[kind]), when a service uses the
	 * mode; before any svc_init or worker_init. Creating thread. */
	int (*engine_init)(struct disp_engine *e, char *err, size_t errlen);
	void (*engine_fini)(struct disp_engine *e);
	/* Per-service state (s->mode_priv). Creating thread. */
	int (*svc_init)(struct disp_engine *e, struct disp_svc *s, char *err,
			size_t errlen);
	void (*svc_fini)(struct disp_svc *s);
	/* Per-worker state (w->mode_priv[kind]). Creating thread. */
	int (*worker_init)(struct disp_worker *w, char *err, size_t errlen);
	void (*worker_fini)(struct disp_worker *w);

	/* A parsed TCP packet to service s (index sidx, flow key k) that
	 * belongs to no flow: a SYN, or anything stray. Worker thread. */
	void (*new_packet)(struct disp_worker *w, struct disp_svc *s,
			   size_t sidx, struct raw_pkt *p,
			   const struct disp_flow_key *k, uint64_t now);
	/* A packet of flow f of one of the mode's services. Worker thread. */
	void (*input)(struct disp_worker *w, struct disp_flow *f,
		      enum disp_flow_dir dir, struct raw_pkt *p, uint64_t now);
	/* f leaves the table (closed, expired, replaced): free what the mode
	 * hung on it. The engine then ends its backend count. */
	void (*release)(struct disp_worker *w, struct disp_flow *f,
			uint64_t now);
	/* About every 10 ms, and after each burst's expiry: timers. */
	void (*tick)(struct disp_worker *w, uint64_t now);
};

#endif
