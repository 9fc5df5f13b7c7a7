/* tc clsact ingress program: translates the segments of flows in fp_flows
 * and redirects them out of the flow's interface, the kernel half of nat
 * and splice mode (ARCHITECTURE: fast path).
 *
 * What stays with user space (TC_ACT_OK, untouched): packets fp_parse()
 * leaves out, tuples not in the map, and SYNs (a SYN on an offloaded tuple
 * is a reused tuple user space must decide on). FIN and RST are translated
 * here, so a flow closes even while the daemon is down; the socket filter
 * still copies them up so user space sees the close.
 *
 * All reads happen first; then each rewritten span is stored and its
 * checksum fixed with a csum_diff of old and new bytes through the
 * l3/l4_csum_replace helpers, which keep CHECKSUM_PARTIAL (pseudo-header
 * sum only, for address changes) and CHECKSUM_COMPLETE skbs right. GSO
 * packets are rewritten whole; segmentation later copies the headers. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "fp_maps.bpf.h"
#include "fp_parse.bpf.h"
#include "fp_opts.bpf.h"

/* Scratch for the rewritten copies: the stack (512 bytes) cannot hold
 * them next to the option walk. Per-CPU, and a tc program runs to the end
 * on one CPU, so no other packet can use it meanwhile. */
struct fp_scratch {
	__u8 nopt[64];
	__u8 oa[32], na[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fp_scratch);
} fp_scratch SEC(".maps");

/* field << from >> to, never 0 from an open window, capped: the same
 * arithmetic as the user-space splice translation. */
static __always_inline __u16 fp_rescale(__u16 win, __u8 from, __u8 to)
{
	__u64 v = ((__u64)win << (from & 15)) >> (to & 15);

	if (v == 0 && win)
		v = 1;
	return v > 65535 ? 65535 : (__u16)v;
}

/* clang has no BPF memcmp: returns non-zero if a[0..n) != b[0..n). */
static __always_inline int fp_differ(const __u8 *a, const __u8 *b, __u32 n)
{
	__u8 d = 0;
	__u32 i;

#pragma unroll
	for (i = 0; i < 32; i++)
		if (i < n)
			d |= a[i] ^ b[i];
	return d;
}

/* Stores new[0..len) over old at off and folds the difference into the
 * TCP checksum (and the IPv4 header checksum when l3_csum_off). */
static __always_inline int fp_store(struct __sk_buff *skb, __u32 off,
				    __u8 *old, __u8 *new, __u32 len,
				    __u32 csum_off, __u32 l3_csum_off,
				    __u64 l4_flags)
{
	__s64 diff;

	/* 1..64 in the register the helper gets: 6.1's verifier forgets a
	 * bound checked before the value was spilled to the stack. */
	len = ((len - 1) & 63) + 1;
	diff = bpf_csum_diff((__be32 *)old, len, (__be32 *)new, len, 0);

	if (diff < 0)
		return -1;
	if (bpf_skb_store_bytes(skb, off, new, len, 0))
		return -1;
	if (l3_csum_off && bpf_l3_csum_replace(skb, l3_csum_off, 0, diff, 0))
		return -1;
	if (bpf_l4_csum_replace(skb, csum_off, 0, diff, l4_flags))
		return -1;
	return 0;
}

/* Returns 0 when the packet was rewritten, 1 when nothing was written and
 * user space should have it, -1 when a write failed halfway. */
static __always_inline int fp_xlate(struct __sk_buff *skb, struct fp_hdrs *h,
				    const struct disp_fp_flow *f)
{
	struct fp_optwalk w = {};
	__u8 nt[20], mac[12], *nopt, *oa, *na;
	__u32 csum_off = h->l4off + 16, optlen = h->optlen, v, zero = 0;
	int ack = h->flags & FP_TCP_ACK, opts_changed = 0;
	struct fp_scratch *sc;
	__u16 win;

	sc = bpf_map_lookup_elem(&fp_scratch, &zero);
	if (!sc)
		return 1;
	nopt = sc->nopt;
	oa = sc->oa;
	na = sc->na;

	if (optlen) {
		if (optlen > 40)
			return 1;
		if (bpf_skb_load_bytes(skb, h->l4off + 20, w.opt,
				       ((optlen - 1) & 63) + 1))
			return 1;
		w.len = optlen;
		if (fp_opts_walk(&w))
			return 1;
		__builtin_memcpy(nopt, w.opt, 64);
		opts_changed = fp_opts_xlate(&w, nopt, f->ack_delta,
					     f->tsval_delta, f->tsecr_delta,
					     ack);
	}

	__builtin_memcpy(nt, h->tcp, 20);
	__builtin_memcpy(&nt[0], &f->sport, 2);
	__builtin_memcpy(&nt[2], &f->dport, 2);
	v = fp_get32(h->tcp, 4) + f->seq_delta;
	fp_put32(nt, 4, v);
	if (ack) {
		v = fp_get32(h->tcp, 8) + f->ack_delta;
		fp_put32(nt, 8, v);
	}
	if (f->win_from != f->win_to) {
		win = fp_rescale((__u16)h->tcp[14] << 8 | h->tcp[15],
				 f->win_from, f->win_to);
		nt[14] = win >> 8;
		nt[15] = win;
	}

	/* Addresses: contiguous source then destination in both families. */
	if (h->key.family == DISP_FP_FAM_V4) {
		__builtin_memcpy(oa, h->key.saddr, 4);
		__builtin_memcpy(oa + 4, h->key.daddr, 4);
		__builtin_memcpy(na, f->saddr, 4);
		__builtin_memcpy(na + 4, f->daddr, 4);
		if (fp_differ(oa, na, 8) &&
		    fp_store(skb, FP_ETH_LEN + 12, oa, na, 8, csum_off,
			     FP_ETH_LEN + 10, BPF_F_PSEUDO_HDR))
			return -1;
	} else {
		__builtin_memcpy(oa, h->key.saddr, 16);
		__builtin_memcpy(oa + 16, h->key.daddr, 16);
		__builtin_memcpy(na, f->saddr, 16);
		__builtin_memcpy(na + 16, f->daddr, 16);
		if (fp_differ(oa, na, 32) &&
		    fp_store(skb, FP_ETH_LEN + 8, oa, na, 32, csum_off, 0,
			     BPF_F_PSEUDO_HDR))
			return -1;
	}
	if (fp_differ(h->tcp, nt, 16) &&
	    fp_store(skb, h->l4off, h->tcp, nt, 16, csum_off, 0, 0))
		return -1;
	if (opts_changed && optlen <= 40 &&
	    fp_store(skb, h->l4off + 20, w.opt, nopt, optlen, csum_off, 0, 0))
		return -1;
	__builtin_memcpy(mac, f->dmac, 6);
	__builtin_memcpy(mac + 6, f->smac, 6);
	if (bpf_skb_store_bytes(skb, 0, mac, 12, 0))
		return -1;
	return 0;
}

SEC("tc")
int sk_fp_tc(struct __sk_buff *skb)
{
	struct disp_fp_flow *f;
	struct fp_hdrs h;
	int r;

	fp_count(DISP_FP_ST_TC_SEEN);
	if (fp_parse(skb, &h)) {
		fp_count(DISP_FP_ST_TC_UNPARSED);
		return TC_ACT_OK;
	}
	f = bpf_map_lookup_elem(&fp_flows, &h.key);
	if (!f) {
		fp_count(DISP_FP_ST_TC_NOFLOW);
		return TC_ACT_OK;
	}
	if (h.flags & FP_TCP_SYN) {
		fp_count(DISP_FP_ST_TC_SYN);
		return TC_ACT_OK;
	}
	r = fp_xlate(skb, &h, f);
	if (r > 0) {
		fp_count(DISP_FP_ST_TC_UNPARSED);
		return TC_ACT_OK;
	}
	if (r < 0) {
		fp_count(DISP_FP_ST_TC_ERR);
		return TC_ACT_SHOT;
	}
	__sync_fetch_and_add(&f->bytes, h.l3len);
	__sync_fetch_and_add(&f->packets, 1);
	if (h.flags & (FP_TCP_FIN | FP_TCP_RST))
		__sync_fetch_and_add(&f->fin_rst, 1);
	f->last_seen_ns = bpf_ktime_get_ns();
	fp_count(DISP_FP_ST_TC_XLATE);
	return bpf_redirect(f->ifindex, 0);
}

char _license[] SEC("license") = "Dual BSD/GPL";
