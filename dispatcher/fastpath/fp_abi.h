/* The fast path's map layout: shared, byte for byte, by the eBPF programs
 * (compiled with clang -target bpf) and the user-space loader. Changing a
 * struct here changes the pinned maps' sizes; the loader then refuses to
 * adopt maps pinned by an older build (see fp_pin.c) rather than misread
 * them.
 *
 * One entry per direction: the key is the tuple a packet ARRIVES with, the
 * value says what it LEAVES with, so a packet costs one hash probe.
 * Addresses and ports are in network order as on the wire; an IPv4
 * address uses the first 4 bytes of its 16, the rest zero.
 */
#ifndef SPLICEKIT_FP_ABI_H
#define SPLICEKIT_FP_ABI_H

#include <linux/types.h>

#define DISP_FP_FAM_V4 4
#define DISP_FP_FAM_V6 6

struct disp_fp_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__be16 sport, dport;
	__u8 family;            /* DISP_FP_FAM_V4 / _V6 */
	__u8 proto;             /* IPPROTO_TCP */
	__u16 pad;              /* zero: the key is hashed as bytes */
};

/* flags of disp_fp_flow */
#define DISP_FP_F_NAT    0x01u  /* a nat-mode flow (informational) */
#define DISP_FP_F_SPLICE 0x02u  /* a splice-mode flow (informational) */

struct disp_fp_flow {
	/* The tuple the packet leaves with. */
	__u8 saddr[16];
	__u8 daddr[16];
	__be16 sport, dport;
	/* Added (mod 2^32) to seq; to ack (only with ACK set) and to both
	 * edges of every SACK block; to TSval; to TSecr (only with ACK). */
	__u32 seq_delta;
	__u32 ack_delta;
	__u32 tsval_delta;
	__u32 tsecr_delta;
	/* Window rescale: field' = field << win_from >> win_to (never 0 from
	 * an open window, capped at 65535); equal shifts mean no change.
	 * Both 0..14. Never applied to a SYN (SYNs are not translated). */
	__u8 win_from, win_to;
	__u16 flags;            /* DISP_FP_F_* */
	__u16 snat_port;        /* host order, for show conns */
	__u16 backend;          /* backend id, for show conns */
	__u32 ifindex;          /* interface the packet is redirected out of */
	__u8 smac[6], dmac[6];  /* Ethernet addresses it leaves with */
	__u32 pad;
	/* Written by the kernel only. User space inserts them as zero. */
	__u64 bytes;            /* IP bytes (GSO packets count whole) */
	__u64 packets;          /* skbs (a GSO packet counts once) */
	__u64 last_seen_ns;     /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 fin_rst;          /* FIN or RST segments translated */
};

/* An (address, port) the capture is for: the socket filter's match map
 * (disp_fp_match_add). Same conventions as the key. */
#define DISP_FP_ENDS_MAX 1024
#define DISP_FP_END_DST 1       /* packets TO addr:port (a VIP) */
#define DISP_FP_END_SRC 2       /* packets FROM addr:port (a backend) */

struct disp_fp_end {
	__u8 addr[16];
	__be16 port;
	__u8 family;            /* DISP_FP_FAM_V4 / _V6 */
	__u8 kind;              /* DISP_FP_END_DST / _SRC */
};

/* Indices of the per-CPU statistics array. */
enum disp_fp_stat {
	DISP_FP_ST_TC_SEEN = 0,     /* packets the tc program ran on */
	DISP_FP_ST_TC_XLATE,        /* translated and redirected */
	DISP_FP_ST_TC_NOFLOW,       /* parsed TCP, no entry: user space */
	DISP_FP_ST_TC_SYN,          /* SYN of a tuple in the map: user space */
	DISP_FP_ST_TC_UNPARSED,     /* VLAN, IP options, ext headers, fragments,
				     * bad TCP options, not TCP: user space */
	DISP_FP_ST_TC_ERR,          /* a helper failed mid-rewrite: dropped */
	DISP_FP_ST_FILTER_DROP,     /* socket filter: offloaded, not copied up */
	DISP_FP_ST_FILTER_PASS,     /* socket filter: copied up */
	DISP_FP_ST_FILTER_OTHER,    /* socket filter: not for the capture */
	DISP_FP_ST_MAX
};

#endif
