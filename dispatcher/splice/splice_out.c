/* Segments splice mode writes itself: ACKs of the client's first bytes,
 * RSTs, and the backend leg's SYN, ACK and replayed data. Everything else
 * is a translated copy of a segment an endpoint sent. */
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_rewrite.h>

#include "splice/splice_int.h"

size_t splice_ts_opt(uint8_t out[12], uint32_t tsval, uint32_t tsecr)
{
	out[0] = 1;
	out[1] = 1;
	out[2] = 8;
	out[3] = 10;
	for (int i = 0; i < 4; i++) {
		out[4 + i] = (uint8_t)(tsval >> (24 - 8 * i));
		out[8 + i] = (uint8_t)(tsecr >> (24 - 8 * i));
	}
	return 12;
}

static void to_client(struct disp_worker *w, struct splice_conn *c,
		      uint8_t flags, uint16_t window)
{
	const struct disp_flow_key *ck = &c->f->key[DISP_DIR_ORIG];
	uint8_t b[128], opt[12];
	struct raw_pkt out;
	struct raw_tcp_spec s = {
		.family = ck->family,
		.saddr = ck->daddr,
		.daddr = ck->saddr,
		.sport = ck->dport,
		.dport = ck->sport,
		.seq = c->v_isn + 1,
		.ack = c->c_next,
		.flags = flags,
		.window = window,
		.ttl = splice_w(w)->ttl,
	};

	if (c->copts.ts && !(flags & RAW_TCP_RST)) {
		s.opts = opt;
		s.opts_len = splice_ts_opt(opt, (uint32_t)splice_w(w)->now, c->c_tsval);
	}
	if (raw_tcp_build(b, sizeof(b), &s, &out) < 0)
		return;
	disp_send_ip(w, &out);
}

void splice_ack_client(struct disp_worker *w, struct splice_conn *c)
{
	/* The window is what is left of the buffer, in our announced scale
	 * (the client sent window scale: we answered SPLICE_WSCALE). */
	uint32_t room = SPLICE_BUF_MAX - c->blen;
	int shift = c->copts.wscale >= 0 ? SPLICE_WSCALE : 0;

	to_client(w, c, RAW_TCP_ACK, (uint16_t)((room >> shift) > 65535
						 ? 65535 : room >> shift));
}

void splice_rst_client(struct disp_worker *w, struct splice_conn *c)
{
	to_client(w, c, RAW_TCP_RST | RAW_TCP_ACK, 0);
	WSTAT_INC(w, rst_sent);
}

int splice_to_backend(struct disp_worker *w, struct splice_conn *c,
		      uint32_t seq, uint32_t ack, uint8_t flags,
		      const uint8_t *opts, size_t olen, const void *data,
		      size_t dlen)
{
	const struct disp_flow *f = c->f;
	const struct disp_flow_key *ck = &f->key[DISP_DIR_ORIG];
	const struct disp_svc *s = &w->e->svc[f->service];
	static __thread uint8_t b[9216 + 128];
	struct raw_pkt out;
	uint16_t bport;
	const uint8_t *bip = disp_be_ip(f->backend, &bport);
	struct raw_tcp_spec sp = {
		.family = ck->family,
		.saddr = s->snat ? s->snat_ip : ck->saddr,
		.daddr = bip,
		.sport = s->snat ? f->nat_port : ck->sport,
		.dport = bport,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.window = splice_rescale(c->c_win, c->copts.wscale,
					 c->s_ws >= 0 ? c->copts.wscale : 0),
		.ttl = splice_w(w)->ttl,
		.opts = opts,
		.opts_len = olen,
		.payload = data,
		.payload_len = dlen,
	};
	int r;

	if (flags & RAW_TCP_SYN) {
		/* A SYN's window is never scaled. */
		uint32_t bytes = (uint32_t)c->c_win
				 << (c->copts.wscale > 0 ? c->copts.wscale : 0);

		sp.window = (uint16_t)(bytes > 65535 ? 65535 : bytes);
	}
	r = raw_tcp_build(b, sizeof(b), &sp, &out);
	if (r < 0)
		return r;
	disp_send_ip(w, &out);
	return 0;
}
