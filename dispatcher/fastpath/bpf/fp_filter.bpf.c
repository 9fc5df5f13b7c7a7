/* Socket filter for the dispatcher's capture socket (SO_ATTACH_BPF on the
 * AF_PACKET / pcap fd). Taps run before tc ingress, so without it the
 * capture gets a copy of every offloaded packet. It drops the packets of
 * offloaded flows except SYN, FIN and RST, which user space still needs
 * (a reused tuple; BUSY->IDLE, backend counts, close). Both orientations
 * are looked up: the reverse hit is a translated copy leaving through a
 * captured interface, or the other direction of an offloaded flow.
 * Returns the bytes to keep: 0 drops, skb->len keeps whole. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "fp_maps.bpf.h"
#include "fp_parse.bpf.h"

SEC("socket")
int sk_fp_filter(struct __sk_buff *skb)
{
	struct disp_fp_key rk = {};
	struct fp_hdrs h;

	if (fp_parse(skb, &h) ||
	    (h.flags & (FP_TCP_SYN | FP_TCP_FIN | FP_TCP_RST)))
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
