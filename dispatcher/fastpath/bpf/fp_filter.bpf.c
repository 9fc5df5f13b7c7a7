/* Socket filter for the dispatcher's capture socket (SO_ATTACH_BPF on the
 * AF_PACKET / pcap fd). Taps run before tc ingress, so without it the
 * capture gets a copy of every offloaded packet. It drops the packets of
 * offloaded flows except SYN, FIN and RST, which user space still needs
 * (a reused tuple; BUSY->IDLE, backend counts, close). Both orientations
 * are looked up: the reverse hit is a translated copy leaving through a
 * captured interface, or the other direction of an offloaded flow.
 * It also stands in for the capture's classic filter, which SO_ATTACH_BPF
 * replaces: once user space has listed the VIPs and backends in fp_ends
 * (fp_match_on set), TCP for none of them is dropped too. Packets it
 * cannot parse pass, as before, for user space to judge.
 * Returns the bytes to keep: 0 drops, skb->len keeps whole. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "fp_maps.bpf.h"
#include "fp_parse.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DISP_FP_ENDS_MAX);
	__type(key, struct disp_fp_end);
	__type(value, __u8);
} fp_ends SEC(".maps");

/* Set by user space with its first fp_ends entry. */
__u32 fp_match_on = 0;

static __always_inline int for_capture(const struct disp_fp_key *k)
{
	struct disp_fp_end e = {};

	if (!fp_match_on)
		return 1;
	__builtin_memcpy(e.addr, k->daddr, 16);
	e.port = k->dport;
	e.family = k->family;
	e.kind = DISP_FP_END_DST;
	if (bpf_map_lookup_elem(&fp_ends, &e))
		return 1;
	__builtin_memcpy(e.addr, k->saddr, 16);
	e.port = k->sport;
	e.kind = DISP_FP_END_SRC;
	return bpf_map_lookup_elem(&fp_ends, &e) != NULL;
}

SEC("socket")
int sk_fp_filter(struct __sk_buff *skb)
{
	struct disp_fp_key rk = {};
	struct fp_hdrs h;

	if (fp_parse(skb, &h))
		goto pass;
	if (!for_capture(&h.key)) {
		fp_count(DISP_FP_ST_FILTER_OTHER);
		return 0;
	}
	if (h.flags & (FP_TCP_SYN | FP_TCP_FIN | FP_TCP_RST))
		goto pass;
	if (bpf_map_lookup_elem(&fp_flows, &h.key))
		goto drop;
	__builtin_memcpy(rk.saddr, h.key.daddr, 16);
	__builtin_memcpy(rk.daddr, h.key.saddr, 16);
	rk.sport = h.key.dport;
	rk.dport = h.key.sport;
	rk.family = h.key.family;
	rk.proto = h.key.proto;
	if (bpf_map_lookup_elem(&fp_flows, &rk))
		goto drop;
pass:
	fp_count(DISP_FP_ST_FILTER_PASS);
	return skb->len;
drop:
	fp_count(DISP_FP_ST_FILTER_DROP);
	return 0;
}

char _license[] SEC("license") = "Dual BSD/GPL";
