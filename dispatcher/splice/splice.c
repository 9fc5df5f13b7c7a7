/* Splice mode, client side: spliced answers the client's handshake itself
 * (half-open table, or SYN cookies when it is full), then ACKs and buffers
 * the client's first bytes while the ClientHello parser reads them, and
 * binds the connection to a backend once the hello is complete, is not
 * TLS, or the hello timeout passes (splice_bind.c). Packets of bound
 * connections go to splice_xlate.c. See splice_int.h for the phases. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_rewrite.h>

#include "splice/splice_int.h"

/* The MSS we announce: the smallest captured MTU minus the headers, so a
 * full segment from the client also fits the backend's link. */
static uint16_t our_mss(const struct disp_worker *w, uint8_t family)
{
	unsigned mtu = w->mtu ? w->mtu : 1500;
	unsigned hdr = family == AF_INET ? 40 : 60;

	return (uint16_t)(mtu > hdr + 536 ? mtu - hdr : 536);
}

static void send_synack(struct disp_worker *w, const struct ssyn_tuple *t,
			uint32_t client_isn, const struct ssyn_opts *o,
			uint32_t isn, uint64_t now)
{
	uint8_t b[128];
	struct raw_pkt out;
	struct ssyn_local l = {
		.mss = our_mss(w, t->family),
		.wscale = SPLICE_WSCALE,
		.window = 65535,
		.tsval = (uint32_t)now,
		.ttl = splice_w(w)->ttl,
	};

	if (ssyn_build_synack(b, sizeof(b), t, client_isn, o, isn, &l, &out) < 0)
		return;
	disp_send_ip(w, &out);
	WSTAT_INC(w, splice_synacks);
}

static void on_syn(struct disp_worker *w, struct raw_pkt *p, uint64_t now)
{
	struct splice_worker *sp = splice_w(w);
	struct ssyn_ho_entry e = { .client_isn = p->seq };
	const struct ssyn_ho_entry *old;
	struct raw_tcpopts o;
	int r;

	if (raw_pkt_tcpopts(p, &o) < 0 || ssyn_tuple_from_pkt(p, &e.t) < 0) {
		WSTAT_INC(w, dropped_parse);
		return;
	}
	ssyn_opts_from_tcpopts(&o, &e.opts);
	e.isn = ssyn_isn(&sp->secret, &e.t, splice_secs(sp, now));
	r = ssyn_ho_insert(sp->ho, &e, now, &old);
	if (r == -EEXIST && old->client_isn == p->seq) {
		/* Our SYN-ACK was lost: the same answer again. */
		send_synack(w, &old->t, old->client_isn, &e.opts, old->isn, now);
		return;
	}
	if (r == -EEXIST) {
		/* A new SYN (new ISN) on the tuple: the client gave up on the
		 * old attempt; answer the new one. */
		ssyn_ho_remove(sp->ho, &e.t);
		r = ssyn_ho_insert(sp->ho, &e, now, NULL);
	}
	if (r == -ENOSPC) {
		/* Flood: keep nothing, put the options in the ISN. */
		e.isn = ssyn_cookie_make(&sp->secret, &e.t, p->seq, &e.opts,
					 splice_secs(sp, now));
		WSTAT_INC(w, splice_cookies);
	} else if (r < 0) {
		return;
	}
	send_synack(w, &e.t, p->seq, &e.opts, e.isn, now);
}

/* The ACK that completes the client's handshake: from the half-open table,
 * or a valid cookie. Returns 0 with *isn and *o, or -EACCES. */
static int handshake_ok(struct disp_worker *w, struct raw_pkt *p,
			const struct ssyn_tuple *t, uint64_t now,
			uint32_t *isn, struct ssyn_opts *o)
{
	struct splice_worker *sp = splice_w(w);
	const struct ssyn_ho_entry *e = ssyn_ho_lookup(sp->ho, t, now);

	if (e && p->ack == e->isn + 1 && p->seq == e->client_isn + 1) {
		*isn = e->isn;
		*o = e->opts;
		ssyn_ho_remove(sp->ho, t);
		return 0;
	}
	if (ssyn_cookie_check(&sp->secret, t, p->seq, p->ack, splice_secs(sp, now),
			      o) < 0)
		return -EACCES;
	*isn = p->ack - 1;
	WSTAT_INC(w, splice_cookie_ok);
	return 0;
}

static struct splice_conn *conn_new(const struct disp_svc *s)
{
	/* tried[] is indexed by backend slot: room for any a reload adds. */
	size_t nb = disp_bset_capacity(s->bset);
	struct splice_conn *c = calloc(1, sizeof(*c) + nb * sizeof(bool));

	if (c)
		c->tried = (bool *)(c + 1);
	return c;
}

/* The first-data buffer and hello parser exist only once data arrives, so
 * a client that completes the handshake and stays silent costs little. A
 * service with content pools (or LARD, which needs the HTTP path) reads
 * the first bytes for its rules (the ClientHello, or an HTTP/1.x head),
 * the hello parsed once for both. */
static int conn_buffers(const struct disp_svc *s, struct splice_conn *c)
{
	if (c->buf)
		return 0;
	if (s->conf->n_pools || s->conf->sched == DISP_SCHED_LARD)
		c->ct = content_new(&s->conf->rules);
	else
		c->ch = tls_ch_new(0);
	c->buf = malloc(SPLICE_BUF_MAX);
	if ((!c->ch && !c->ct) || !c->buf) {
		tls_ch_free(c->ch);
		content_free(c->ct);
		free(c->buf);
		c->ch = NULL;
		c->ct = NULL;
		c->buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void hello_data(struct disp_worker *w, struct splice_conn *c,
		       struct raw_pkt *p, uint64_t now);

/* Without disp_bset_pick, which would move round-robin on. */
static bool any_usable(struct disp_bset *bs)
{
	for (size_t i = 0; i < disp_bset_count(bs); i++)
		if (disp_backend_usable(disp_bset_get(bs, i)))
			return true;
	return false;
}

void splice_new(struct disp_worker *w, struct disp_svc *s, size_t sidx,
		struct raw_pkt *p, const struct disp_flow_key *k, uint64_t now)
{
	uint8_t fl = p->tcp_flags & (RAW_TCP_SYN | RAW_TCP_ACK | RAW_TCP_RST);
	struct ssyn_tuple t;
	struct ssyn_opts o;
	struct splice_conn *c;
	struct disp_flow *f;
	uint32_t isn;
	int r;

	splice_w(w)->now = now;
	if (fl == RAW_TCP_SYN) {
		if (!any_usable(s->bset)) {
			/* Nothing could take it: refuse now, not after the
			 * client has sent its hello. */
			WSTAT_INC(w, refused_nobackend);
			disp_send_rst(w, p);
			return;
		}
		on_syn(w, p, now);
		return;
	}
	if (fl != RAW_TCP_ACK || ssyn_tuple_from_pkt(p, &t) < 0) {
		WSTAT_INC(w, dropped_noflow);
		return;
	}
	if (handshake_ok(w, p, &t, now, &isn, &o) < 0) {
		WSTAT_INC(w, splice_bad_ack);
		disp_send_rst(w, p);
		return;
	}
	c = conn_new(s);
	if (!c) {
		disp_conn_refuse_full(w, p, k);
		return;
	}
	r = disp_conn_admit(w, sidx, p, k, now, &f);
	if (r < 0) {
		free(c);
		if (r != -ENOSPC)
			disp_conn_refuse_full(w, p, k);
		return;
	}
	f->user = c;
	disp_flow_set_state(w->ft, f, DISP_FLOW_ESTABLISHED, now);

	c->f = f;
	c->phase = SP_HELLO;
	c->copts = o;
	c->c_isn = p->seq - 1;
	c->v_isn = isn;
	c->c_next = p->seq;
	c->c_win = p->window;
	c->v_mss = our_mss(w, t.family);
	{
		struct raw_tcpopts ao;

		if (raw_pkt_tcpopts(p, &ao) == 0 && (ao.present & RAW_TCPOPT_F_TS))
			c->c_tsval = ao.tsval;
		else
			c->c_tsval = o.tsval;
	}
	c->s_ws = -1;
	splice_timer_arm(w, c, now + (s->conf->timeouts.hello_ms
				      ? s->conf->timeouts.hello_ms : 1000));
	if (p->payload_len)
		hello_data(w, c, p, now);
}

/* The first bytes of a service with content pools: bind once the rules'
 * fields are known (the parsers decide what "known" takes), or when the
 * buffer is full. */
static void content_data(struct disp_worker *w, struct splice_conn *c,
			 const uint8_t *data, size_t len, uint64_t now)
{
	int r = content_feed(c->ct, data, len);

	if (r == CONTENT_DONE) {
		if (content_kind_of(c->ct) != CONTENT_TLS)
			WSTAT_INC(w, splice_not_tls);
		splice_bind(w, c, splice_hello(c), now);
		return;
	}
	if (r < 0 || c->blen == SPLICE_BUF_MAX)
		splice_bind(w, c, NULL, now);
}

/* In-order client bytes before the bind: keep, ACK, parse. */
static void hello_data(struct disp_worker *w, struct splice_conn *c,
		       struct raw_pkt *p, uint64_t now)
{
	uint32_t off = c->c_next - p->seq, take;
	const uint8_t *data = p->buf + p->payload_off;
	int r;

	if (conn_buffers(&w->e->svc[c->f->service], c) < 0) {
		/* Not ACKed: the client will resend to the backend. */
		if (c->phase == SP_HELLO)
			splice_bind(w, c, NULL, now);
		return;
	}
	if (seq_lt(c->c_next, p->seq) || off >= p->payload_len) {
		/* Out of order, or all seen: a duplicate ACK asks for what
		 * is missing. */
		splice_ack_client(w, c);
		return;
	}
	take = p->payload_len - off;
	if (take > SPLICE_BUF_MAX - c->blen)
		take = SPLICE_BUF_MAX - c->blen;
	memcpy(c->buf + c->blen, data + off, take);
	c->blen += take;
	c->c_next += take;
	splice_ack_client(w, c);
	if (c->phase != SP_HELLO)
		return; /* more bytes while the backend leg opens: replayed too */
	if (c->ct) {
		content_data(w, c, data + off, take, now);
		return;
	}
	r = tls_ch_feed(c->ch, data + off, take);
	if (r == TLS_DONE) {
		splice_bind(w, c, tls_ch_result(c->ch), now);
		return;
	}
	if (r == -EPROTONOSUPPORT)
		WSTAT_INC(w, splice_not_tls);
	/* Not TLS, malformed, too big, or the buffer is full: balance on
	 * what is known; the backend sees the same bytes and decides. */
	if (r < 0 || c->blen == SPLICE_BUF_MAX)
		splice_bind(w, c, NULL, now);
}

static void track(struct disp_worker *w, struct disp_flow *f,
		  enum disp_flow_dir dir, const struct raw_pkt *p, uint64_t now)
{
	struct splice_conn *c = splice_of(f);

	disp_conn_track(w, f, dir, p, now);
	/* From the first FIN on (it comes after TLS's close_notify) the
	 * session is free: a client reconnecting at once, before the other
	 * side's FIN, must find it IDLE, not BUSY. */
	if (f->state >= DISP_FLOW_FIN_WAIT && c)
		sroute_release(splice_route_of(&w->e->svc[f->service]), &c->rp,
			       now);
}

static void client_before_bind(struct disp_worker *w, struct splice_conn *c,
			       struct raw_pkt *p, struct raw_tcpopts *o,
			       uint64_t now)
{
	if (p->tcp_flags & RAW_TCP_RST) {
		/* Our SYN may be on its way: reset the backend leg too. */
		if (c->phase == SP_BINDING)
			splice_to_backend(w, c, c->c_isn + 1, 0, RAW_TCP_RST, NULL, 0,
					  NULL, 0);
		disp_flow_remove(w->ft, c->f, DISP_FLOW_END_RST);
		return;
	}
	if (p->tcp_flags & RAW_TCP_SYN)
		return; /* a late duplicate of the SYN */
	if (o->present & RAW_TCPOPT_F_TS)
		c->c_tsval = o->tsval;
	c->c_win = p->window;
	if (p->payload_len)
		hello_data(w, c, p, now);
	else if (c->phase == SP_HELLO && (p->tcp_flags & RAW_TCP_FIN)) {
		/* The client is done sending: decide on what it sent. Its
		 * FIN is not ACKed here; it will retransmit it, and the
		 * backend acknowledges it once the splice is up. */
		splice_bind(w, c, NULL, now);
	}
}

void splice_input(struct disp_worker *w, struct disp_flow *f,
		  enum disp_flow_dir dir, struct raw_pkt *p, uint64_t now)
{
	struct splice_conn *c = splice_of(f);
	struct raw_tcpopts o;

	splice_w(w)->now = now;
	/* Offloaded: what still comes up is a FIN or RST the kernel has
	 * forwarded already, only for the tracker (and the router's release);
	 * an adopted flow has no splice state left to use. */
	if (disp_offload_kernel_sent(w, f, p) || !c) {
		WSTAT_INC(w, fp_ctl);
		track(w, f, dir, p, now);
		return;
	}
	if (raw_pkt_tcpopts(p, &o) < 0) {
		WSTAT_INC(w, dropped_parse);
		return;
	}
	if (dir == DISP_DIR_ORIG) {
		bool bound = c->phase >= SP_REPLAY;

		/* The client's view: seq in its space, ack in ours. */
		track(w, f, dir, p, now);
		if (!bound) {
			client_before_bind(w, c, p, &o, now);
			return;
		}
		if (o.present & RAW_TCPOPT_F_TS)
			c->c_tsval = o.tsval;
		c->c_win = p->window;
		splice_xlate_c2s(w, c, p, &o);
		splice_offload(w, c);
		return;
	}
	if (c->phase == SP_BINDING) {
		splice_bind_reply(w, c, p, now);
		return;
	}
	if (c->phase < SP_BINDING)
		return; /* nothing of ours was sent to a backend yet */
	if (p->tcp_flags & RAW_TCP_SYN) {
		/* The backend retransmits its SYN-ACK: our ACK was lost. */
		splice_bind_reply(w, c, p, now);
		return;
	}
	splice_xlate_s2c(w, c, p, &o);
	track(w, f, dir, p, now); /* translated: the client's view */
	splice_offload(w, c);
}

void splice_release(struct disp_worker *w, struct disp_flow *f, uint64_t now)
{
	struct splice_conn *c = splice_of(f);

	if (!c)
		return;
	sroute_release(splice_route_of(&w->e->svc[f->service]), &c->rp, now);
	splice_timer_disarm(w, c);
	tls_ch_free(c->ch);
	content_free(c->ct);
	tls_srv_free(c->srv);
	free(c->buf);
	free(c);
	f->user = NULL;
}
