/* The engine's internals, shared by the engine/ files and the modes (nat/,
 * splice/): the workers, the per-service view, the send path and the
 * connection helpers every mode uses (engine/conn.c). */
#ifndef DISP_ENGINE_WORKER_H
#define DISP_ENGINE_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "engine/engine.h"
#include "flow/event.h"
#include "flow/flow.h"
#include "util/clock.h"

#define DISP_RX_MAX 8      /* captures per worker (distinct interfaces) */
#define DISP_BURST 64      /* frames per receive call */
#define DISP_PKT_MAX 65600 /* largest frame we copy (64 KiB + headers) */

/* Most modes an engine can be built with (enum disp_mode values). */
#define DISP_MODES_MAX 4

struct disp_frame {
	const uint8_t *data;
	uint32_t len;
	uint8_t link;  /* enum raw_link; 0: a link type we cannot read */
	uint32_t flags; /* RAW_FRAME_* of raw_io.h (checksum state) */
	int ifindex;    /* interface it was captured on */
	uint64_t ts_ms; /* when the capture saw it (wall clock), 0: unknown */
};

struct disp_rx;
struct disp_tx;
struct disp_mode_ops; /* engine/mode.h */
struct raw_pkt;       /* raw_pkt.h */

/* io.c: captures and raw IP senders. */
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
	bool fp_on;              /* its flows go to the kernel fast path */
	uint8_t snat_ip[16];
	uint32_t max_per_worker; /* max-flows / workers, rounded up */
	const struct disp_mode_ops *mode;
	void *mode_priv;         /* the mode's per-service state */
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
	void *mode_priv[DISP_MODES_MAX]; /* each mode's per-worker state */
	unsigned filter_gen; /* e->filter_gen this worker installed (atomic) */
	uint64_t alive_ms;   /* disp_now_ms of its last loop (atomic) */
	int filter_result;   /* 0 or the -errno of installing it */
	const struct disp_frame *cur;    /* the frame being handled (input) */
	struct disp_neigh *neigh;        /* offload.c: learned next hops */
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
	bool closing;  /* being destroyed: offloaded flows stay in the kernel */
	struct disp_fp *fp; /* the kernel fast path, when a service uses it */
	bool stop; /* atomic access only */
	/* The modes this engine was built with, indexed by enum disp_mode,
	 * and those a service uses (their engine and worker hooks run). */
	const struct disp_mode_ops *modes[DISP_MODES_MAX];
	bool mode_used[DISP_MODES_MAX];
	void *mode_priv[DISP_MODES_MAX]; /* each mode's engine-wide state */
	/* The capture filter a reload asked for (filter.c): workers install
	 * it when filter_gen moves past theirs. */
	pthread_mutex_t filter_lock;
	char *filter;
	unsigned filter_gen;
};

/* disp_flow.mod_flags bits the engine keeps (modes may use 0x10 up). */
#define DISP_F_COUNTED 0x1 /* counted in its backend's active connections */
#define DISP_F_SVC 0x2     /* counted in w->svc_flows[service] */
#define DISP_F_FP 0x4      /* forwarded by the kernel (offload.c) */
#define DISP_F_FP_TRIED 0x8 /* offload attempted once (done or refused) */

/* engine.c: as disp_engine_create, but opens no sockets and starts
 * nothing: frames go in through disp_engine_input on e->w[i] and come out
 * through each worker's tx_hook. For unit tests and fuzzing. */
int disp_engine_create_detached(struct disp_engine **out,
				const struct disp_config *cfg,
				struct disp_pool *pool,
				const struct disp_mode_ops *const *modes,
				char *err, size_t errlen);

/* input.c: handles one received frame on worker w at now_ms: parses it,
 * finds its flow or service, and hands it to the service's mode. */
/* The capture filter for e's services: VIPs, every backend slot that is
 * present or draining, and extra's backends the pool lacks (extra may be
 * NULL). Returns 0 or -ENAMETOOLONG. */
int disp_engine_filter(const struct disp_engine *e, const struct disp_config *extra,
		       char *buf, size_t len);

/* Installs e->filter on w's captures; called by w's own thread. */
void disp_worker_refilter(struct disp_worker *w);

int disp_rx_set_filter(struct disp_rx *rx, const char *filter);

void disp_engine_input(struct disp_worker *w, const struct disp_frame *fr,
		       uint64_t now_ms);

/* tx.c: queues an IP packet (splitting super-packets to the MTU). */
void disp_send_ip(struct disp_worker *w, const struct raw_pkt *p);
/* tx.c: answers p with an RST from its destination (RFC 9293 3.10.7.1). */
void disp_send_rst(struct disp_worker *w, const struct raw_pkt *p);

/* conn.c: a 5-tuple key of either family. */
void disp_key_of(struct disp_flow_key *k, uint8_t family, const uint8_t *s,
		 uint16_t sp, const uint8_t *d, uint16_t dp);
/* conn.c: the backend's address bytes (network order) and port. */
const uint8_t *disp_be_ip(const struct disp_backend *be, uint16_t *port);
/* conn.c: the service of a client->VIP packet, or NULL. */
struct disp_svc *disp_svc_for(struct disp_engine *e, const struct raw_pkt *p,
			      size_t *idx);
/* conn.c: true when service sidx's share of w's table is used up. */
bool disp_conn_full(const struct disp_worker *w, size_t sidx);
/* conn.c: refuses p's new connection for a full table (counted, RST). */
void disp_conn_refuse_full(struct disp_worker *w, const struct raw_pkt *p,
			   const struct disp_flow_key *k);
/* conn.c: inserts the flow of p's new connection to service sidx and
 * counts it. Returns 0 and *out, or -ENOSPC (refused: counted, RST sent)
 * or another negative errno (nothing sent). */
int disp_conn_admit(struct disp_worker *w, size_t sidx,
		    const struct raw_pkt *p, const struct disp_flow_key *k,
		    uint64_t now, struct disp_flow **out);
/* conn.c: sets f's reply key toward backend be (source NAT: finds a free
 * port steered to this worker). Returns 0 or -errno (-EEXIST: no port). */
int disp_conn_reply_key(struct disp_worker *w, const struct disp_svc *s,
			struct disp_flow *f, const struct disp_backend *be);
/* conn.c: counts f on its backend (once) / ends that count (once). */
void disp_conn_count(struct disp_flow *f);
void disp_conn_uncount(struct disp_flow *f);
/* conn.c: runs p through f's TCP tracker (dir: p's direction, in the
 * client's sequence space); ends the backend count when the connection
 * closes; raises the flow's events. */
void disp_conn_track(struct disp_worker *w, struct disp_flow *f,
		     enum disp_flow_dir dir, const struct raw_pkt *p,
		     uint64_t now);
/* conn.c: rewrites p's addresses and ports for direction dir of f (to the
 * backend, or back from the VIP), with incremental checksums. */
void disp_conn_rewrite(const struct disp_worker *w, struct raw_pkt *p,
		       const struct disp_flow *f, enum disp_flow_dir dir);
/* conn.c: the flow table's release callback (arg: the worker). */
void disp_conn_release(struct disp_flow *f, enum disp_flow_end why, void *arg);

/* offload.c: the kernel fast path's engine side (see offload.c). */
struct disp_fp;
struct disp_neigh;
/* Opens the fast path for the services that ask (maps of max_flows
 * entries, pinned); a failure is an error for `fastpath tc`, a logged
 * fallback for `auto`. */
int disp_offload_engine_init(struct disp_engine *e, uint32_t max_flows,
			     char *err, size_t errlen);
void disp_offload_engine_fini(struct disp_engine *e);
int disp_offload_worker_init(struct disp_worker *w);
/* Lists every backend of the live sets and of c (a reloaded config, or
 * NULL) in the fast path's socket filter, so their answers reach the
 * workers. */
int disp_offload_match_new(struct disp_engine *e, const struct disp_config *c);
/* Puts the fast path's socket filter on a capture socket. */
int disp_offload_attach_rx(struct disp_engine *e, int fd, char *err,
			   size_t errlen);
/* Learns the next hop of p's source from its frame (SYNs only). */
void disp_offload_learn(struct disp_worker *w, const struct disp_frame *fr,
			const struct raw_pkt *p);
/* How one direction's sequence space is translated (splice mode); see
 * struct disp_fp_flow for each field's meaning. */
struct disp_offload_dir {
	uint32_t seq_delta, ack_delta, tsval_delta, tsecr_delta;
	uint8_t win_from, win_to;
};
/* Offloads f (once; its service must ask); counted either way. x: per
 * direction (enum disp_flow_dir), or NULL for addresses and ports only. */
void disp_offload_try(struct disp_worker *w, struct disp_flow *f,
		      const struct disp_offload_dir x[2]);
/* True when the kernel already forwarded p (of f, the current frame). */
bool disp_offload_kernel_sent(const struct disp_worker *w,
			      const struct disp_flow *f, const struct raw_pkt *p);
/* Flow-table alive callback: when the kernel last forwarded f, in ms. */
uint64_t disp_offload_alive(struct disp_flow *f, void *arg);
/* Takes over the flows a previous process left in the pinned map. */
void disp_offload_adopt(struct disp_engine *e);
/* f's packets and bytes forwarded by the kernel, per direction. */
int disp_offload_counters(const struct disp_engine *e, const struct disp_flow *f,
			  uint64_t pkts[2], uint64_t bytes[2]);
/* f leaves the table: its counters join the statistics; its entries go
 * unless keep (shutdown: the next process adopts them). */
void disp_offload_release(struct disp_worker *w, struct disp_flow *f,
			  bool keep);

struct sock_filter;
/* steer.c: writes the fanout program that sends both directions of a flow
 * to one worker (see steer.c) for the given VIP ports into out[0..max).
 * Returns the instruction count or -EINVAL. */
int disp_steer_prog(const uint16_t *ports, unsigned nports,
		    struct sock_filter *out, unsigned max);

/* steer.c: the port mixing the program applies; the worker of a port is
 * disp_steer_mix(port) % workers. */
uint32_t disp_steer_mix(uint16_t port);

/* io.c: the MTU of the capture's interface. */
unsigned disp_rx_mtu(const struct disp_rx *rx);

/* stats.c: subscribes worker w's statistics to its event bus. */
int disp_stats_attach(struct disp_worker *w);

/* worker.c: the thread body. */
void *disp_worker_main(void *arg);

#endif
