/* Splice mode internals, shared by splice.c (client handshake and first
 * data), splice_bind.c (backend leg), splice_xlate.c (steady-state
 * translation) and splice_timer.c.
 *
 * A spliced connection goes through these phases:
 *
 *   (half-open)  SYN answered from the half-open table or a cookie; no flow
 *   HELLO        client handshake done, flow exists (orig key only); its
 *                first bytes are ACKed and buffered while the ClientHello
 *                parser reads them
 *   BINDING      backend picked, our SYN (seq = client ISN) sent
 *   REPLAY       backend answered; buffered bytes sent, not all ACKed
 *   SPLICED      headers translated only
 *
 * Sequence spaces: the client uses its own ISN on both legs (we open the
 * backend leg with it), so client->server seq never changes. The server's
 * ISN differs from ours (v_isn): S->C seq += delta, C->S ack and SACK
 * blocks -= delta, delta = v_isn - s_isn. Timestamps likewise: the client
 * saw our clock before the splice; S->C TSval += ts_delta and C->S TSecr
 * -= ts_delta keep what the client sees monotonic (PAWS).
 */
#ifndef DISP_SPLICE_INT_H
#define DISP_SPLICE_INT_H

#include <splicekit/raw_tcpopt.h>
#include "content/content.h"
#include "splice/route/splice_route.h"
#include "splice/syn/splice_syn.h"
#include <splicekit/tls.h>

#include "engine/worker.h"
#include "engine/mode.h"

enum splice_phase {
	SP_HELLO = 0,
	SP_BINDING,
	SP_REPLAY,
	SP_SPLICED,
};

/* Our window-scale shift toward clients. Linux picks 7 for its default
 * buffers, so with Linux backends the two legs usually agree and no
 * rescaling happens. */
#define SPLICE_WSCALE 7
/* First bytes buffered before the backend leg exists: a ClientHello up to
 * the TLS parser's default bound, plus its record headers. */
#define SPLICE_BUF_MAX (TLS_LIMIT_DEFAULT + 1024)
/* Backend SYN: first retransmission after this, doubling; after
 * SPLICE_SYN_TRIES sends the next backend is tried. */
#define SPLICE_SYN_RTO_MS 250
#define SPLICE_SYN_TRIES 3
/* Replayed first data: first retransmission after this, doubling. */
#define SPLICE_REPLAY_RTO_MS 200
#define SPLICE_REPLAY_TRIES 7
/* The largest window TCP can announce (65535 << 14): once the backend's
 * ack is this far past the replayed first data, no copy of that data can
 * still be in its receive window, nor a D-SACK of it on its way. */
#define SPLICE_WIN_MAX (1u << 30)
/* Half-open entries per worker: past this, SYN cookies. */
#define SPLICE_HALFOPEN_MAX 16384
/* The ISN/cookie key is replaced this often by one derived from the
 * engine's master secret and the epoch number, so every worker switches
 * to the same key without talking to the others, and a key recovered
 * from observed ISNs says nothing about the next one. */
#define SPLICE_REKEY_SECS 3600

struct splice_conn {
	struct disp_flow *f;
	struct splice_conn *tprev, *tnext; /* timer list (not SPLICED) */
	uint8_t phase;                     /* enum splice_phase */
	uint8_t tries;                     /* sends of the current SYN/replay */
	bool on_timer;
	bool s_ts;                         /* backend accepted timestamps */
	bool replay_far;                   /* the backend's ack is a maximum
					    * window past the first data */
	int8_t s_ws;                       /* backend's shift; -1: none */
	uint64_t deadline_ms;              /* next timer action */
	uint64_t bind_us;                  /* backend SYN first sent */

	/* client leg */
	struct ssyn_opts copts;            /* the client's SYN options */
	uint32_t c_isn, v_isn;
	uint32_t c_next;                   /* next client byte we expect */
	uint32_t c_tsval;                  /* latest client TSval */
	uint16_t c_win;                    /* latest client window field */
	uint16_t v_mss;                    /* MSS we announced */

	/* backend leg */
	uint32_t s_isn;
	uint32_t s_tsval;                  /* latest backend TSval */
	uint32_t s_acked;                  /* highest backend ack (client space) */
	uint32_t s_next;                   /* next server byte (server space),
					    * for the in-order TLS parse */
	uint16_t s_mss;
	uint32_t delta, ts_delta;

	/* first data (freed once the backend ACKs it) */
	uint8_t *buf;
	uint32_t blen;
	struct tls_ch *ch;                 /* the hello parser, or: */
	struct content *ct;                /* with content pools, the reader
					    * of the first bytes for the rules
					    * (it parses the hello too) */
	unsigned pool;                     /* the content pool, once chosen */
	bool pool_set;
	struct tls_srv *srv;               /* freed when the server stream
					    * is encrypted or unparseable */
	struct sroute_pick rp;
	bool *tried;                       /* per backend of the service */
};

/* Engine-wide (e->mode_priv[DISP_MODE_SPLICE]). */
struct splice_engine {
	/* The ISN/cookie master secret, the same in every worker: whichever
	 * worker sees the ACK computes what the one that sent the SYN-ACK
	 * did. A configured one extends that to every instance sharing the
	 * file. */
	uint8_t master[16];
	/* Wall clock minus CLOCK_MONOTONIC (ms), fixed at create: ISN slots
	 * and key epochs count wall-clock seconds, so instances sharing an
	 * isn-secret-file agree on them. 0 in detached engines (tests). */
	int64_t wall_off_ms;
	uint32_t ho_ttl_ms; /* half-open entry lifetime */
};

/* Per worker (w->mode_priv[DISP_MODE_SPLICE]). */
struct splice_worker {
	struct ssyn_secret secret;
	uint64_t master[2];                /* engine-wide, never on the wire */
	int64_t wall_off_ms;               /* struct splice_engine's */
	uint64_t epoch;                    /* now_s / SPLICE_REKEY_SECS */
	struct ssyn_ho *ho;
	struct splice_conn *timers;        /* connections in setup */
	uint64_t route_expired_ms;         /* last sroute_expire pass (worker 0) */
	uint64_t now;                      /* ms, of the packet or timer being
					    * handled: our TSval clock too */
	uint8_t ttl;
};

/* splice.c */
int splice_worker_init(struct disp_worker *w, char *err, size_t errlen);
/* Moves to the key of now_s's epoch if it changed (see SPLICE_REKEY_SECS). */
void splice_rekey(struct disp_worker *w, uint64_t now_s);
void splice_worker_fini(struct disp_worker *w);
/* splice.c: the engine's hooks for a packet without / with a flow. */
/* A packet for a splice service with no flow (SYN, or the ACK ending the
 * client's handshake). */
void splice_new(struct disp_worker *w, struct disp_svc *s, size_t sidx,
		struct raw_pkt *p, const struct disp_flow_key *k, uint64_t now);
/* A packet of an existing splice flow. */
void splice_input(struct disp_worker *w, struct disp_flow *f,
		  enum disp_flow_dir dir, struct raw_pkt *p, uint64_t now);
/* The flow leaves the table: frees the splice state. */
void splice_release(struct disp_worker *w, struct disp_flow *f, uint64_t now);
/* Runs due timers (hello timeout, backend SYN and replay retransmits). */
void splice_timer(struct disp_worker *w, uint64_t now);

void splice_timer_arm(struct disp_worker *w, struct splice_conn *c,
		      uint64_t at);
void splice_timer_disarm(struct disp_worker *w, struct splice_conn *c);

/* splice_bind.c */
/* The connection's ClientHello as parsed so far (NULL: none, or not
 * TLS). */
const struct tls_client_hello *splice_hello(const struct splice_conn *c);

/* Picks a backend (ch may be NULL) and sends the backend SYN. On failure
 * the client is reset and the flow removed; returns -errno then. */
int splice_bind(struct disp_worker *w, struct splice_conn *c,
		const struct tls_client_hello *ch, uint64_t now);
/* Resends the backend SYN, or moves to the next backend. */
void splice_bind_retry(struct disp_worker *w, struct splice_conn *c,
		       uint64_t now);
/* The backend's SYN-ACK (or RST) during BINDING. */
void splice_bind_reply(struct disp_worker *w, struct splice_conn *c,
		       struct raw_pkt *p, uint64_t now);
/* Sends the unacknowledged part of the buffered first data (or, with
 * none left, the ACK that completes the backend's handshake). */
void splice_replay(struct disp_worker *w, struct splice_conn *c);
/* The replay timer fired: resend, or give up and reset both legs. */
void splice_replay_timeout(struct disp_worker *w, struct splice_conn *c,
			   uint64_t now);

/* splice_xlate.c */
void splice_xlate_c2s(struct disp_worker *w, struct splice_conn *c,
		      struct raw_pkt *p, struct raw_tcpopts *o);
void splice_xlate_s2c(struct disp_worker *w, struct splice_conn *c,
		      struct raw_pkt *p, struct raw_tcpopts *o);
/* Hands c to the kernel fast path once it is spliced and learned. */
void splice_offload(struct disp_worker *w, struct splice_conn *c);
/* Rescales a window field from shift `from` to shift `to`. */
uint16_t splice_rescale(uint16_t win, int from, int to);

/* splice_out.c: segments spliced builds itself. */
/* To the client from the VIP: ACK of its first data (seq v_isn+1). */
void splice_ack_client(struct disp_worker *w, struct splice_conn *c);
/* To the client: RST (used when no backend can take it). */
void splice_rst_client(struct disp_worker *w, struct splice_conn *c);
/* To the backend, in the client's (or source-NAT) name. */
int splice_to_backend(struct disp_worker *w, struct splice_conn *c,
		      uint32_t seq, uint32_t ack, uint8_t flags,
		      const uint8_t *opts, size_t olen, const void *data,
		      size_t dlen);
/* Writes a NOP NOP TS option; returns 12. */
size_t splice_ts_opt(uint8_t out[12], uint32_t tsval, uint32_t tsecr);

static inline struct splice_engine *splice_e(const struct disp_engine *e)
{
	return e->mode_priv[DISP_MODE_SPLICE];
}

static inline struct splice_worker *splice_w(const struct disp_worker *w)
{
	return w->mode_priv[DISP_MODE_SPLICE];
}

/* A splice service's session router. */
static inline struct sroute *splice_route_of(const struct disp_svc *s)
{
	return s->mode_priv;
}

/* Seconds on the clock ISN slots and key epochs use (wall clock). */
static inline uint64_t splice_secs(const struct splice_worker *sp,
				   uint64_t now_ms)
{
	return (uint64_t)((int64_t)now_ms + sp->wall_off_ms) / 1000;
}

static inline struct splice_conn *splice_of(const struct disp_flow *f)
{
	return f->user;
}

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

#endif
