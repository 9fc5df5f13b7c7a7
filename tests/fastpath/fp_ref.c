#include <arpa/inet.h>
#include <string.h>

#include <linux/bpf.h>
#include <bpf/bpf.h>

#include <splicekit/raw_rewrite.h>

#include "splice/splice_int.h"
#include "fp_ref.h"

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };

size_t fp_frame(uint8_t *buf, const struct fp_tuple *t, uint32_t seq,
		uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opts,
		size_t opts_len, size_t payload_len)
{
	static uint8_t payload[FP_FRAME_MAX];
	struct raw_tcp_spec s = {
		.family = t->family, .saddr = t->saddr, .daddr = t->daddr,
		.sport = t->sport, .dport = t->dport, .seq = seq, .ack = ack,
		.flags = flags, .window = win, .opts = opts,
		.opts_len = opts_len, .payload = payload,
		.payload_len = payload_len,
	};
	uint16_t et = htons(t->family == AF_INET ? 0x0800 : 0x86dd);
	size_t i;
	int n;

	for (i = 0; i < payload_len; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	memcpy(buf, mac_a, 6);
	memcpy(buf + 6, mac_b, 6);
	memcpy(buf + 12, &et, 2);
	n = raw_tcp_build(buf + 14, FP_FRAME_MAX - 14, &s, NULL);
	return n < 0 ? 0 : (size_t)n + 14;
}

int fp_ref_xlate(uint8_t *frame, size_t len, const struct disp_fp_flow *f)
{
	struct raw_pkt p;
	struct raw_tcpopts o;
	int ack;

	if (raw_parse_eth(&p, frame, len) || !p.is_tcp ||
	    raw_pkt_tcpopts(&p, &o))
		return -1;
	ack = p.tcp_flags & RAW_TCP_ACK;
	/* The splice translation's order: ack and SACK, seq, timestamps,
	 * window, then the tuple. */
	if (ack)
		raw_rw_ack_add(&p, f->ack_delta);
	if ((o.present & RAW_TCPOPT_F_SACK) && f->ack_delta)
		raw_rw_sack_add(&p, &o, f->ack_delta);
	raw_rw_seq_add(&p, f->seq_delta);
	if (o.present & RAW_TCPOPT_F_TS)
		raw_rw_ts(&p, &o, o.tsval + f->tsval_delta,
			  ack ? o.tsecr + f->tsecr_delta : o.tsecr);
	if (f->win_from != f->win_to)
		raw_rw_window(&p, splice_rescale(p.window, f->win_from,
						 f->win_to));
	raw_rw_saddr(&p, f->saddr);
	raw_rw_daddr(&p, f->daddr);
	raw_rw_sport(&p, ntohs(f->sport));
	raw_rw_dport(&p, ntohs(f->dport));
	memcpy(frame, f->dmac, 6);
	memcpy(frame + 6, f->smac, 6);
	return 0;
}

int fp_run_tc(int prog_fd, const uint8_t *in, size_t len, uint16_t gso_size,
	      uint8_t *out, uint32_t *out_len, uint32_t *retval)
{
	struct bpf_test_run_opts o;
	struct __sk_buff ctx;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.gso_size = gso_size;
	ctx.gso_segs = gso_size ? (uint32_t)(len + gso_size - 1) / gso_size : 0;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.data_in = in;
	o.data_size_in = (uint32_t)len;
	o.data_out = out;
	o.data_size_out = FP_FRAME_MAX;
	o.ctx_in = &ctx;
	o.ctx_size_in = sizeof(ctx);
	o.repeat = 1;
	r = bpf_prog_test_run_opts(prog_fd, &o);
	*retval = o.retval;
	*out_len = o.data_size_out;
	return r;
}
