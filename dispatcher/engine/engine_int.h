/* Internals shared by engine.c, worker.c, nat.c and engine_io.c (the thin
 * layer over raw-io's captures and raw IP senders). */
#ifndef DISP_ENGINE_INT_H
#define DISP_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "engine/engine.h"
#include "flow/event.h"
#include "flow/flow.h"

#define DISP_RX_MAX 8      /* captures per worker (distinct interfaces) */
#define DISP_BURST 64      /* frames per receive call */
#define DISP_PKT_MAX 65600 /* largest frame we copy (64 KiB + headers) */

/* Link layer of a received frame (nat.c maps it to raw_pkt.h's). */
enum disp_link {
	DISP_LINK_ETH = 0,
	DISP_LINK_SLL,
	DISP_LINK_IP,
	DISP_LINK_OTHER,
};

struct disp_frame {
	const uint8_t *data;
	uint32_t len;
	uint8_t link;  /* enum disp_link */
	uint32_t flags; /* RAW_FRAME_* of raw_io.h (checksum state) */
};

struct disp_rx;
struct disp_tx;
struct splice_worker; /* splice_int.h */
struct raw_pkt;       /* raw_pkt.h */

/* engine_io.c: captures and raw IP senders. */
struct sock_fprog;
/* Opens a capture; with prog, joins fanout group `group` steered by it. */
int disp_rx_open(struct disp_rx **out, enum disp_io io, const char *ifname,
		 const char *filter, const struct sock_fprog *prog,
		 uint16_t group, char *err, size_t errlen);
int disp_rx_fd(const struct disp_rx *rx);
/* Returns frames read (0..max) or -errno; frames valid until release. */
int disp_rx_burst(struct disp_rx *rx, struct disp_frame *fr, unsigned max);
void disp_rx_release(struct disp_rx *rx);
void disp_rx_close(struct disp_rx *rx);
int disp_tx_open(struct disp_tx **out, int family);
int disp_tx_send(struct disp_tx *tx, const void *pkt, size_t len);
/* Copies pkt into the sender's batch (one sendmmsg per flush): 0 or -errno. */
int disp_tx_queue(struct disp_tx *tx, const void *pkt, size_t len);
/* Sends the batch; returns how many packets the kernel refused. NULL ok. */
unsigned disp_tx_flush(struct disp_tx *tx);
void disp_tx_close(struct disp_tx *tx);

/* One virtual service as the fast path sees it. */
struct disp_svc {
	const struct disp_service_conf *conf;
	struct disp_bset *bset;
	uint8_t family;
	uint8_t vip[16];
	uint16_t vport;
	bool snat;
	uint8_t snat_ip[16];
	uint32_t max_per_worker; /* max-flows / workers, rounded up */
	struct sroute *route;    /* splice mode: session routing, else NULL */
};

/* Counters written by one worker only, read by anyone (relaxed atomics). */
struct disp_wstats {
	DISP_ENGINE_COUNTERS(DISP_COUNTER_FIELD) /* engine_counters.h */
};

#define WSTAT_ADD(w, field, n) \
	__atomic_store_n(&(w)->st.field, (w)->st.field + (n), __ATOMIC_RELAXED)
#define WSTAT_INC(w, field) WSTAT_ADD(w, field, 1)

struct disp_engine;

struct disp_worker {
	struct disp_engine *e;
	unsigned id;
	pthread_t thread;
	bool running;
	int result;
	/* Held while a receive burst is processed, so foreach_conn sees a
	 * table between bursts, never in the middle of an update. */
	pthread_mutex_t lock;
	struct disp_flow_table *ft;
	uint32_t *svc_flows; /* flows per service in ft */
	struct disp_ev_bus *bus;
	struct disp_rx *rx[DISP_RX_MAX];
	unsigned nrx;
	struct disp_tx *tx4, *tx6;
	unsigned mtu; /* smallest MTU of the captured interfaces */
	/* Replaces the raw IP senders when set (detached engines): gets
	 * every IP packet the worker would send; returns 0 or -errno. */
	int (*tx_hook)(void *arg, int family, const uint8_t *pkt, size_t len);
	void *tx_hook_arg;
	struct disp_wstats st;
	struct splice_worker *sp; /* splice mode state; NULL without it */
	uint8_t buf[DISP_PKT_MAX];
};

struct disp_engine {
	const struct disp_config *cfg;
	struct disp_pool *pool;
	struct disp_svc *svc;
	size_t nsvc;
	struct disp_worker *w;
	unsigned nw;
	uint16_t vports[64];  /* distinct VIP ports, for steering */
	unsigned nvports;
	void *steer;          /* struct sock_fprog + program, when nw > 1 */
	bool started;
	bool detached; /* no sockets: unit tests and fuzzing */
	bool stop; /* atomic access only */
	uint8_t ssyn_key[16]; /* splice ISN/cookie secret, same in all workers */
	/* Wall clock minus CLOCK_MONOTONIC (ms), fixed at create: ISN slots
	 * and key epochs count wall-clock seconds, so instances sharing an
	 * isn-secret-file agree on them. 0 in detached engines (tests). */
	int64_t wall_off_ms;
};

/* disp_flow.mod_flags bits (the flow's owner is nat.c or splice*.c). */
#define DISP_F_COUNTED 0x1 /* counted in its backend's active connections */
#define DISP_F_SVC 0x2     /* counted in w->svc_flows[service] */
#define DISP_F_SPLICE 0x4  /* f->user is a struct splice_conn */

/* engine.c: as disp_engine_create, but opens no sockets and starts
 * nothing: frames go in through disp_nat_input on e->w[i] and come out
 * through each worker's tx_hook. For unit tests and fuzzing. */
int disp_engine_create_detached(struct disp_engine **out,
				const struct disp_config *cfg,
				struct disp_pool *pool, char *err, size_t errlen);

/* nat.c: handles one received frame on worker w at now_ms. */
void disp_nat_input(struct disp_worker *w, const struct disp_frame *fr,
		    uint64_t now_ms);

/* nat.c: the flow table's release callback (backend counts, events). */
void disp_nat_release(struct disp_flow *f, enum disp_flow_end why, void *arg);

/* nat.c, shared with splice mode: */
/* Queues an IP packet (splitting super-packets to the MTU). */
void disp_send_ip(struct disp_worker *w, const struct raw_pkt *p);
/* Answers p with an RST from its destination (RFC 9293 3.10.7.1). */
void disp_send_rst(struct disp_worker *w, const struct raw_pkt *p);
/* A 5-tuple key of either family. */
void disp_key_of(struct disp_flow_key *k, uint8_t family, const uint8_t *s,
		 uint16_t sp, const uint8_t *d, uint16_t dp);
/* The backend's address bytes (network order) and port. */
const uint8_t *disp_be_ip(const struct disp_backend *be, uint16_t *port);
/* Sets f's reply key toward backend be (source NAT: finds a free port
 * steered to this worker). Returns 0 or -errno (-EEXIST: no port). */
int disp_nat_reply_key(struct disp_worker *w, const struct disp_svc *s,
		       struct disp_flow *f, const struct disp_backend *be);
/* Counts f on its backend (once) / ends that count (once). */
void disp_nat_count(struct disp_flow *f);
void disp_nat_uncount(struct disp_flow *f);
/* The service of a client->VIP packet, or NULL. */
struct disp_svc *disp_svc_for(struct disp_engine *e, const struct raw_pkt *p,
			      size_t *idx);

struct sock_filter;
/* steer.c: writes the fanout program that sends both directions of a flow
 * to one worker (see steer.c) for the given VIP ports into out[0..max).
 * Returns the instruction count or -EINVAL. */
int disp_steer_prog(const uint16_t *ports, unsigned nports,
		    struct sock_filter *out, unsigned max);

/* steer.c: the port mixing the program applies; the worker of a port is
 * disp_steer_mix(port) % workers. */
uint32_t disp_steer_mix(uint16_t port);

/* engine_io.c: the MTU of the capture's interface. */
unsigned disp_rx_mtu(const struct disp_rx *rx);

/* stats.c: subscribes worker w's statistics to its event bus. */
int disp_stats_attach(struct disp_worker *w);

/* worker.c: the thread body. */
void *disp_worker_main(void *arg);

/* Returns CLOCK_MONOTONIC in milliseconds. */
uint64_t disp_now_ms(void);

#endif
