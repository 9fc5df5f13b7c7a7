/* Header parse shared by the tc program and the socket filter. Both see
 * the packet from its Ethernet header (tc ingress; an AF_PACKET SOCK_RAW
 * socket) and read it with bpf_skb_load_bytes, which also works when the
 * headers are not in the linear part.
 *
 * POLICY: anything but plain Ethernet + IPv4 without options / IPv6 without
 * extension headers + TCP with a sane data offset is left to user space
 * (the complete path, which parses and rejects with named reasons):
 * VLAN tags, IPv4 options (rare; the fixed offsets keep the program small),
 * fragments (no ports in later ones), IPv6 extension headers, IPv6
 * payload length 0 (BIG TCP / jumbograms), non-TCP. */
#ifndef SPLICEKIT_FP_PARSE_BPF_H
#define SPLICEKIT_FP_PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "../fp_abi.h"

#define FP_ETH_LEN 14
#define FP_TCP_FIN 0x01
#define FP_TCP_SYN 0x02
#define FP_TCP_RST 0x04
#define FP_TCP_ACK 0x10

struct fp_hdrs {
	struct disp_fp_key key;
	__u8 tcp[20];           /* the fixed TCP header as received */
	__u32 l4off;            /* TCP header offset from the Ethernet header */
	__u32 l3len;            /* IP datagram length */
	__u32 optlen;           /* TCP option bytes, 0..40, a multiple of 4 */
	__u8 flags;             /* TCP flags byte */
};

/* Returns 0 with *h filled for a TCP packet the fast path handles, or 1. */
static __always_inline int fp_parse(struct __sk_buff *skb, struct fp_hdrs *h)
{
	__u8 ip[40];
	__u16 proto;
	__u32 doff;

	__builtin_memset(h, 0, sizeof(*h));
	if (bpf_skb_load_bytes(skb, 12, &proto, 2))
		return 1;
	if (proto == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, FP_ETH_LEN, ip, 20))
			return 1;
		if (ip[0] != 0x45 || ip[9] != IPPROTO_TCP)
			return 1; /* options, not v4, not TCP */
		if ((ip[6] & 0x3f) || ip[7])
			return 1; /* MF or a fragment offset */
		__builtin_memcpy(h->key.saddr, &ip[12], 4);
		__builtin_memcpy(h->key.daddr, &ip[16], 4);
		h->key.family = DISP_FP_FAM_V4;
		h->l3len = (__u32)ip[2] << 8 | ip[3];
		h->l4off = FP_ETH_LEN + 20;
		if (h->l3len < 40)
			return 1;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, FP_ETH_LEN, ip, 40))
			return 1;
		if ((ip[0] >> 4) != 6 || ip[6] != IPPROTO_TCP)
			return 1; /* extension headers, not TCP */
		__builtin_memcpy(h->key.saddr, &ip[8], 16);
		__builtin_memcpy(h->key.daddr, &ip[24], 16);
		h->key.family = DISP_FP_FAM_V6;
		h->l3len = 40 + ((__u32)ip[4] << 8 | ip[5]);
		h->l4off = FP_ETH_LEN + 40;
		if (h->l3len < 60)
			return 1; /* includes payload length 0: BIG TCP */
	} else {
		return 1;
	}
	h->key.proto = IPPROTO_TCP;
	if (bpf_skb_load_bytes(skb, h->l4off, h->tcp, 20))
		return 1;
	doff = (__u32)(h->tcp[12] >> 4) * 4;
	if (doff < 20 || doff > h->l3len - (h->l4off - FP_ETH_LEN))
		return 1;
	h->optlen = doff - 20;
	h->flags = h->tcp[13];
	__builtin_memcpy(&h->key.sport, &h->tcp[0], 2);
	__builtin_memcpy(&h->key.dport, &h->tcp[2], 2);
	return 0;
}

#endif
