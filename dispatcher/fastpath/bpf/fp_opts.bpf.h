/* TCP option walk and translation for the tc program.
 *
 * POLICY (the same as raw/tcpopt.c, so both paths agree on what is
 * malformed): EOL ends the list, NOP is skipped, any other kind needs a
 * length >= 2 that fits; MSS, WS, SACK-permitted, SACK (10..34, 2 + 8n)
 * and TS have fixed lengths and appear once. A malformed list is left to
 * user space untouched (it drops it with a named reason).
 *
 * The walk runs in a bpf_loop callback over a stack copy masked to 64
 * bytes: a plain bounded loop with the nested SACK edges blew the
 * verifier's instruction budget. */
#ifndef SPLICEKIT_FP_OPTS_BPF_H
#define SPLICEKIT_FP_OPTS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define FP_OPT_NONE 0xffu

struct fp_optwalk {
	__u8 opt[64];           /* option bytes, zero past len */
	__u32 off, len;
	__u32 sack_off, sack_n, ts_off;
	__u32 seen, bad;
};

static long fp_opt_step(__u32 i, void *ctx)
{
	struct fp_optwalk *w = ctx;
	__u32 off = w->off, kind, len, bit = 0;
	int ok = 1;

	if (off >= w->len || off >= 40)
		return 1;
	kind = w->opt[off & 63];
	if (kind == 0)
		return 1;
	if (kind == 1) {
		w->off = off + 1;
		return 0;
	}
	if (off + 1 >= w->len) {
		w->bad = 1;
		return 1;
	}
	len = w->opt[(off + 1) & 63];
	if (len < 2 || off + len > w->len) {
		w->bad = 1;
		return 1;
	}
	switch (kind) {
	case 2: bit = 0x01; ok = len == 4; break;
	case 3: bit = 0x02; ok = len == 3; break;
	case 4: bit = 0x04; ok = len == 2; break;
	case 5:
		bit = 0x08;
		ok = len >= 10 && len <= 34 && (len - 2) % 8 == 0;
		w->sack_off = off;
		w->sack_n = (len - 2) / 8;
		break;
	case 8:
		bit = 0x10;
		ok = len == 10;
		w->ts_off = off;
		break;
	}
	if (!ok || (w->seen & bit)) {
		w->bad = 1;
		return 1;
	}
	w->seen |= bit;
	w->off = off + len;
	return 0;
}

static __always_inline __u32 fp_get32(const __u8 *b, __u32 o)
{
	return (__u32)b[o & 63] << 24 | (__u32)b[(o + 1) & 63] << 16 |
	       (__u32)b[(o + 2) & 63] << 8 | b[(o + 3) & 63];
}

static __always_inline void fp_put32(__u8 *b, __u32 o, __u32 v)
{
	b[o & 63] = v >> 24;
	b[(o + 1) & 63] = v >> 16;
	b[(o + 2) & 63] = v >> 8;
	b[(o + 3) & 63] = v;
}

/* Walks w->opt[0..w->len). Returns 0, or 1 for a malformed list. */
static __always_inline int fp_opts_walk(struct fp_optwalk *w)
{
	w->sack_off = w->ts_off = FP_OPT_NONE;
	/* The usual data segment: NOP NOP TS, nothing else. */
	if (w->len == 12 && w->opt[0] == 1 && w->opt[1] == 1 &&
	    w->opt[2] == 8 && w->opt[3] == 10) {
		w->ts_off = 2;
		return 0;
	}
	bpf_loop(40, fp_opt_step, w, 0);
	return w->bad ? 1 : 0;
}

/* Shifts SACK edges by ack_delta and TSval/TSecr by theirs in the copy
 * out[] (which starts equal to w->opt). Returns 1 if out[] changed. */
static __always_inline int fp_opts_xlate(const struct fp_optwalk *w,
					 __u8 *out, __u32 ack_delta,
					 __u32 tsval_delta, __u32 tsecr_delta,
					 int ack)
{
	int changed = 0;
	__u32 o, k;

	if (w->sack_off != FP_OPT_NONE && ack_delta) {
#pragma unroll
		for (k = 0; k < 4; k++) {
			if (k >= w->sack_n)
				break;
			o = w->sack_off + 2 + 8 * k;
			fp_put32(out, o, fp_get32(w->opt, o) + ack_delta);
			fp_put32(out, o + 4, fp_get32(w->opt, o + 4) + ack_delta);
		}
		changed = 1;
	}
	if (w->ts_off != FP_OPT_NONE) {
		o = w->ts_off + 2;
		if (tsval_delta) {
			fp_put32(out, o, fp_get32(w->opt, o) + tsval_delta);
			changed = 1;
		}
		if (ack && tsecr_delta) {
			fp_put32(out, o + 4, fp_get32(w->opt, o + 4) + tsecr_delta);
			changed = 1;
		}
	}
	return changed;
}

#endif
