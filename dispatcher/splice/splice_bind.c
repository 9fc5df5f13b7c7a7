/* Splice mode, backend leg: pick the backend for a connection whose first
 * bytes we hold, open the leg with the client's own ISN and options, then
 * replay those bytes until the backend acknowledges them. A backend that
 * resets or never answers is marked tried and the next one is picked; when
 * none is left the client gets an RST. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splicekit/raw_rewrite.h>

#include "splice/splice_int.h"

static void send_syn(struct disp_worker *w, struct splice_conn *c)
{
	uint8_t opt[40];
	uint16_t mss = c->copts.mss ? c->copts.mss : 536;
	int n;

	/* The client's own options, its MSS clamped to our links: the
	 * backend must accept exactly what the client will send. */
	if (mss > c->v_mss)
		mss = c->v_mss;
	n = raw_tcpopt_build_syn(opt, sizeof(opt), mss, c->copts.sack_perm,
				 c->copts.ts, c->c_tsval, 0, c->copts.wscale);
	if (n < 0)
		return;
	splice_to_backend(w, c, c->c_isn, 0, RAW_TCP_SYN, opt, (size_t)n,
			  NULL, 0);
}

static void fail_client(struct disp_worker *w, struct splice_conn *c)
{
	splice_rst_client(w, c);
	disp_flow_remove(w->ft, c->f, DISP_FLOW_END_RST);
}

const struct tls_client_hello *splice_hello(const struct splice_conn *c)
{
	if (c->ch)
		return tls_ch_result(c->ch);
	if (c->ct && content_kind_of(c->ct) == CONTENT_TLS)
		return content_hello(c->ct);
	return NULL;
}

/* The connection's content pool: the first rule matching what its first
 * bytes showed (decided once: a retry stays in the pool), else the
 * default. A service without pools has one, 0. */
static unsigned conn_pool(const struct disp_svc *s, struct splice_conn *c)
{
	if (c->pool_set)
		return c->pool;
	c->pool = s->conf->default_pool;
	if (c->ct) {
		content_eof(c->ct);
		c->pool = rule_pick(&s->conf->rules, content_input(c->ct),
				    s->conf->default_pool);
	}
	c->pool_set = true;
	sroute_pool_chosen(splice_route_of(s), c->pool);
	return c->pool;
}

int splice_bind(struct disp_worker *w, struct splice_conn *c,
		const struct tls_client_hello *ch, uint64_t now)
{
	struct disp_flow *f = c->f;
	struct disp_svc *s = &w->e->svc[f->service];
	struct disp_addr client;
	unsigned pool;
	int r;

	disp_addr_set(&client, f->key[DISP_DIR_ORIG].family,
		      f->key[DISP_DIR_ORIG].saddr, f->key[DISP_DIR_ORIG].sport);
	pool = conn_pool(s, c); /* decides what the first bytes say */
	r = -ENOENT;
	if (c->ct && content_kind_of(c->ct) == CONTENT_HTTP &&
	    content_input(c->ct)->path) /* `scheduler lard`, else -ENOENT */
		r = sroute_pick_path(splice_route_of(s), content_input(c->ct)->path,
				     content_input(c->ct)->path_len, now, c->tried,
				     pool, &c->rp);
	if (r == -ENOENT)
		r = sroute_pick(splice_route_of(s), ch, &client,
				disp_flow_key_hash(&f->key[DISP_DIR_ORIG], 0), now,
				c->tried, pool, &c->rp);
	if (r == 0) {
		f->backend = c->rp.be;
		r = disp_conn_reply_key(w, s, f, c->rp.be);
		if (r < 0)
			sroute_release(splice_route_of(s), &c->rp, now);
	}
	if (r < 0) {
		WSTAT_INC(w, refused_nobackend);
		f->backend = NULL;
		fail_client(w, c);
		return r;
	}
	disp_conn_count(f);
	if (!c->bind_us)
		c->bind_us = disp_now_us();
	c->phase = SP_BINDING;
	c->tries = 1;
	send_syn(w, c);
	splice_timer_arm(w, c, now + SPLICE_SYN_RTO_MS);
	return 0;
}

/* The backend refused or stayed silent on a real connection: hold it
 * DOWN (passive health) so the next flows skip it instead of paying the
 * same RST round trip or SYN timeouts until an active probe notices. */
static void passive_fail(struct disp_worker *w, struct disp_backend *be)
{
	WSTAT_INC(w, splice_be_refused);
	if (be && disp_backend_passive_fail(be, disp_now_ms()))
		WSTAT_INC(w, be_passive_down);
}

/* The current backend refused or stayed silent: the next one. */
static void next_backend(struct disp_worker *w, struct splice_conn *c,
			 uint64_t now)
{
	struct disp_flow *f = c->f;
	struct disp_svc *s = &w->e->svc[f->service];

	passive_fail(w, c->rp.be);
	c->tried[c->rp.backend] = true;
	sroute_release(splice_route_of(s), &c->rp, now);
	disp_conn_uncount(f);
	splice_bind(w, c, splice_hello(c), now);
}

void splice_bind_retry(struct disp_worker *w, struct splice_conn *c,
		       uint64_t now)
{
	if (c->tries >= SPLICE_SYN_TRIES) {
		next_backend(w, c, now);
		return;
	}
	WSTAT_INC(w, splice_be_retries);
	send_syn(w, c);
	splice_timer_arm(w, c, now + ((uint64_t)SPLICE_SYN_RTO_MS << c->tries));
	c->tries++;
}

static void backend_opts(struct splice_conn *c, const struct raw_tcpopts *o)
{
	/* An option counts only if both ends offered it (RFC 7323, 2018). */
	c->s_ws = (o->present & RAW_TCPOPT_F_WSCALE) && c->copts.wscale >= 0
		  ? (int8_t)(o->wscale > 14 ? 14 : o->wscale) : -1;
	c->s_ts = (o->present & RAW_TCPOPT_F_TS) && c->copts.ts;
	c->s_mss = (o->present & RAW_TCPOPT_F_MSS) ? o->mss : 536;
	c->s_tsval = c->s_ts ? o->tsval : 0;
}

static void setup_done(struct disp_worker *w, struct splice_conn *c)
{
	uint64_t us = disp_now_us() - c->bind_us;

	WSTAT_INC(w, splice_bound);
	WSTAT_ADD(w, splice_setup_us, us);
	if (us > w->st.splice_setup_max_us)
		__atomic_store_n(&w->st.splice_setup_max_us, us, __ATOMIC_RELAXED);
}

void splice_bind_reply(struct disp_worker *w, struct splice_conn *c,
		       struct raw_pkt *p, uint64_t now)
{
	const struct tls_client_hello *ch;
	struct raw_tcpopts o;

	if (p->tcp_flags & RAW_TCP_RST) {
		if (c->phase == SP_BINDING)
			next_backend(w, c, now);
		return;
	}
	if ((p->tcp_flags & (RAW_TCP_SYN | RAW_TCP_ACK)) !=
	    (RAW_TCP_SYN | RAW_TCP_ACK) || p->ack != c->c_isn + 1)
		return;
	if (c->phase == SP_BINDING) {
		if (raw_pkt_tcpopts(p, &o) < 0)
			return;
		backend_opts(c, &o);
		c->s_isn = p->seq;
		c->s_next = p->seq + 1;
		c->s_acked = c->c_isn + 1;
		c->delta = c->v_isn - c->s_isn;
		/* The client has seen our clock up to now: the backend's
		 * clock continues from just above it. */
		c->ts_delta = (uint32_t)now + 1 - c->s_tsval;
		setup_done(w, c);
		/* A TLS client: the server's first bytes teach the table
		 * (with content pools the hello came through c->ct). */
		ch = splice_hello(c);
		if (ch) {
			c->srv = tls_srv_new(0);
			if (c->srv && ch->session_id_len)
				tls_srv_set_offered(c->srv, ch->session_id,
						    ch->session_id_len);
		}
		tls_ch_free(c->ch);
		c->ch = NULL;
		content_free(c->ct);
		c->ct = NULL;
		c->phase = SP_REPLAY;
		c->tries = 1;
	}
	splice_replay(w, c);
}

void splice_replay(struct disp_worker *w, struct splice_conn *c)
{
	uint32_t base = c->c_isn + 1;
	uint32_t off = c->s_acked - base;
	uint32_t seg = c->s_mss < c->v_mss ? c->s_mss : c->v_mss;
	uint8_t opt[12];
	size_t olen = 0;

	if (c->s_ts) {
		olen = splice_ts_opt(opt, c->c_tsval, c->s_tsval);
		seg -= (uint32_t)olen;
	}
	if (off >= c->blen) {
		/* Nothing (left) to replay: the ACK completing the backend's
		 * handshake, and the splice is up. */
		splice_to_backend(w, c, base + c->blen, c->s_isn + 1, RAW_TCP_ACK,
				  opt, olen, NULL, 0);
		c->phase = SP_SPLICED;
		splice_timer_disarm(w, c);
		free(c->buf);
		c->buf = NULL;
		return;
	}
	while (off < c->blen) {
		uint32_t n = c->blen - off < seg ? c->blen - off : seg;
		uint8_t fl = RAW_TCP_ACK | (off + n == c->blen ? RAW_TCP_PSH : 0);

		if (splice_to_backend(w, c, base + off, c->s_isn + 1, fl, opt, olen,
				      c->buf + off, n) < 0)
			break;
		off += n;
	}
	splice_timer_arm(w, c, splice_w(w)->now +
			 ((uint64_t)SPLICE_REPLAY_RTO_MS << (c->tries - 1)));
}

void splice_replay_timeout(struct disp_worker *w, struct splice_conn *c,
			   uint64_t now)
{
	(void)now;
	if (c->tries >= SPLICE_REPLAY_TRIES) {
		/* The backend took the handshake but never the data. */
		passive_fail(w, c->rp.be);
		splice_to_backend(w, c, c->s_acked, 0, RAW_TCP_RST, NULL, 0,
				  NULL, 0);
		fail_client(w, c);
		return;
	}
	c->tries++;
	WSTAT_INC(w, splice_replays);
	splice_replay(w, c);
}
