/* Parsed view of one packet over the caller's mutable buffer.
 *
 * The view holds the buffer's base pointer and byte offsets into it, never
 * pointers to interior bytes, so the caller may copy the packet to another
 * buffer (a TX slot, say) and keep the same view with raw_pkt_rebase().
 * The buffer stays owned by the caller and must outlive the view.
 *
 * Parsing never allocates, never makes a syscall and does not verify
 * checksums (captures on offloading NICs carry partial ones; see raw_csum.h
 * for the verifiers).
 *
 * PARSING POLICY (every rejection has a named reason, see enum raw_reason):
 *
 * Link:  Ethernet II with at most one 802.1Q tag. A second tag or an 802.1ad
 *        S-tag (QinQ) is rejected: the dispatcher sits on a plain access
 *        port and would have to re-emit the stack unchanged, which nothing
 *        above us models. An 802.3 length field (< 0x0600) and any EtherType
 *        other than IPv4/IPv6 are rejected as "ethertype". Linux cooked
 *        captures (SLL v1) and plain L3 (raw sockets) are accepted as well.
 *        Bytes after the IP datagram (Ethernet minimum-frame padding) are
 *        trimmed: pkt->len ends at the datagram's end.
 *
 * IPv4:  IHL < 5 is rejected. Options (IHL > 5) are allowed and skipped: we
 *        rewrite only fixed fields, and the header checksum update is
 *        incremental so options survive untouched. Their framing is still
 *        checked (a length < 2 or past the header is "ipv4-opt-bad", as
 *        the kernel drops such packets), and loose/strict source routes are
 *        rejected ("ipv4-srcroute"): the TCP pseudo-header then carries the
 *        route's final address, not the header's, so our checksums would be
 *        wrong, and Linux refuses source routing by default anyway.
 *        Total length < IHL*4 or > the captured bytes is rejected (a
 *        truncated capture would make us forward or checksum bytes we
 *        never saw).
 *        Fragments: a first fragment with MF set and any fragment with a
 *        nonzero offset are rejected as "fragment". The dispatcher does not
 *        reassemble: later fragments carry no ports, so they cannot be
 *        mapped to a flow without keeping reassembly state per source,
 *        which is memory an attacker controls. TCP endpoints avoid
 *        fragmentation with PMTU discovery and the MSS we clamp.
 *
 * IPv6:  Hop-by-hop (only directly after the fixed header, RFC 8200 4.1),
 *        routing and destination-options headers are walked, up to
 *        RAW_IPV6_EXT_MAX of them. A routing header with segments left
 *        is rejected ("ipv6-routing"): we are not its final destination,
 *        and the pseudo-header would have to use the last listed address
 *        (RFC 8200 8.1). A fragment header is rejected as "fragment"
 *        (same reason as IPv4), ESP and AH are rejected by name
 *        (we cannot see or rewrite what they protect), and the other
 *        extension header numbers of RFC 7045 (Mobility, HIP, Shim6,
 *        experimental 253/254) are rejected as "ipv6-ext-unknown".
 *        Any other next-header value is an upper-layer protocol. Payload
 *        length 0 is taken literally (no jumbograms). The payload length
 *        past the captured bytes is rejected; padding after it is trimmed.
 *
 * Upper layer: TCP is parsed. Any other protocol (UDP, ICMP, SCTP, no next
 *        header ...) is NOT an error: parsing returns 0 with
 *        pkt->l4_proto set and pkt->is_tcp false, so callers can pass or
 *        ignore it. For TCP, fewer than 20 bytes, a data offset < 5, or a
 *        data offset past the segment's end is rejected. TCP options are
 *        not parsed here (see raw_tcpopt.h); their span is recorded.
 */
#ifndef SPLICEKIT_RAW_PKT_H
#define SPLICEKIT_RAW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "splicekit/raw_consts.h"

/* Why a packet was rejected. Stable numbering is not promised; use
 * raw_reason_str() for names in counters and logs. */
enum raw_reason {
	RAW_R_OK = 0,
	RAW_R_ETH_TRUNC,        /* shorter than an Ethernet header */
	RAW_R_VLAN_TRUNC,       /* 802.1Q tag cut short */
	RAW_R_VLAN_STACKED,     /* QinQ or a second 802.1Q tag */
	RAW_R_SLL_TRUNC,        /* shorter than a cooked-capture header */
	RAW_R_ETHERTYPE,        /* not IPv4/IPv6 (or an 802.3 length) */
	RAW_R_IP_TRUNC,         /* shorter than the fixed IP header */
	RAW_R_IP_VERSION,       /* version nibble not 4/6, or not the
				 * one the link layer announced */
	RAW_R_IPV4_IHL,         /* IHL < 5 */
	RAW_R_IPV4_OPT_TRUNC,   /* IHL*4 past the captured bytes */
	RAW_R_IPV4_TOTLEN_SHORT,/* total length < IHL*4 */
	RAW_R_IP_LEN_PAST,      /* total/payload length past the capture */
	RAW_R_FRAGMENT,         /* IPv4 MF/offset or IPv6 fragment header */
	RAW_R_IPV6_EXT_TRUNC,   /* extension header cut short */
	RAW_R_IPV6_EXT_LIMIT,   /* more than RAW_IPV6_EXT_MAX ext headers */
	RAW_R_IPV6_HBH_POS,     /* hop-by-hop not directly after the header */
	RAW_R_IPV6_ESP,         /* ESP: payload is opaque */
	RAW_R_IPV6_AH,          /* AH: header would need ICV-aware rewrite */
	RAW_R_IPV6_EXT_UNKNOWN, /* RFC 7045 ext header we do not walk */
	RAW_R_TCP_TRUNC,        /* fewer than 20 bytes of TCP */
	RAW_R_TCP_DOFF_SHORT,   /* data offset < 5 */
	RAW_R_TCP_DOFF_PAST,    /* data offset past the segment's end */
	RAW_R_TCPOPT_TRUNC,     /* option kind/length/body past the space */
	RAW_R_TCPOPT_LEN,       /* option length 0 or 1 */
	RAW_R_TCPOPT_BADLEN,    /* wrong fixed length for a known kind */
	RAW_R_TCPOPT_DUP,       /* a known option given twice */
	RAW_R_NOT_TCP,          /* a TCP-only operation on a non-TCP packet */
	RAW_R_IPV4_OPT_BAD,     /* IPv4 option length < 2 or past the header */
	RAW_R_IPV4_SRCROUTE,    /* IPv4 loose or strict source route option */
	RAW_R_IPV6_ROUTING,     /* IPv6 routing header with segments left */
	RAW_R_MAX
};

/* Returns a short constant name for r ("fragment", "tcp-doff-short"...),
 * or "unknown" for values out of range. Never NULL, never owned. */
const char *raw_reason_str(enum raw_reason r);

/* Where the packet starts. */
enum raw_link {
	RAW_LINK_ETH = 1, /* Ethernet II, optionally one 802.1Q tag */
	RAW_LINK_IP,      /* raw IPv4/IPv6, version taken from the first nibble */
	RAW_LINK_SLL,     /* Linux cooked capture v1 */
};

struct raw_pkt {
	uint8_t *buf;         /* caller's buffer, not owned */
	uint32_t cap;         /* bytes the caller handed in */
	uint32_t len;         /* bytes up to the IP datagram's end (padding
			       * trimmed); rewrite and send this many */
	enum raw_link link;
	enum raw_reason reason; /* RAW_R_OK, or why parsing stopped */

	uint16_t ethertype;   /* IPv4/IPv6 EtherType (also set for RAW_LINK_IP) */
	bool has_vlan;
	uint16_t vlan_tci;    /* PCP/DEI/VID as on the wire, if has_vlan */

	uint8_t family;       /* AF_INET or AF_INET6 */
	uint8_t ttl;          /* IPv4 TTL or IPv6 hop limit */
	uint8_t l4_proto;     /* final protocol / next header */
	bool is_tcp;          /* the TCP fields below are valid */
	uint32_t l3_off;      /* IP header start */
	uint32_t l3_hlen;     /* IP header incl. IPv4 options / IPv6 ext hdrs */
	uint32_t l3_len;      /* IP datagram length (header + payload) */
	uint32_t l4_off;      /* upper-layer header start = l3_off + l3_hlen */
	uint32_t l4_len;      /* upper-layer bytes (header + payload) */
	/* Addresses as on the wire; IPv4 uses the first 4 bytes, rest zero. */
	uint8_t saddr[16];
	uint8_t daddr[16];

	/* TCP (valid when is_tcp) */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t tcp_flags;    /* RAW_TCP_FIN ... RAW_TCP_CWR */
	uint16_t window;      /* raw field, unscaled */
	uint8_t tcp_hlen;     /* data offset in bytes, 20..60 */
	uint32_t opt_off;     /* option space start = l4_off + 20 */
	uint8_t opt_len;      /* tcp_hlen - 20 */
	uint32_t payload_off; /* l4_off + tcp_hlen */
	uint32_t payload_len;
};

/* Parses buf[0..len) starting at the given link layer into *p.
 * Returns 0 (p->reason == RAW_R_OK; check p->is_tcp), or a negative errno
 * with p->reason naming the problem: -EBADMSG for malformed or truncated
 * packets, -EPROTONOSUPPORT for what we deliberately do not handle
 * (EtherType, QinQ, ESP/AH, unknown IPv6 extension headers, source
 * routes), -EOPNOTSUPP
 * for fragments, -ELOOP for too long an IPv6 extension chain.
 * buf is not copied and stays the caller's; *p refers to it. */
int raw_parse(struct raw_pkt *p, uint8_t *buf, size_t len, enum raw_link link);

/* raw_parse(p, buf, len, RAW_LINK_ETH). */
int raw_parse_eth(struct raw_pkt *p, uint8_t *buf, size_t len);

/* raw_parse(p, buf, len, RAW_LINK_IP). */
int raw_parse_ip(struct raw_pkt *p, uint8_t *buf, size_t len);

/* Points the view at another buffer holding the same bytes (e.g. after
 * memcpy to a TX slot of at least p->len bytes). */
static inline void raw_pkt_rebase(struct raw_pkt *p, uint8_t *buf)
{
	p->buf = buf;
}

/* Returns the byte length of an address of p's family (4 or 16). */
static inline unsigned raw_pkt_alen(const struct raw_pkt *p)
{
	return p->ethertype == RAW_ETHERTYPE_IPV4 ? RAW_IPV4_ALEN : RAW_IPV6_ALEN;
}

#endif
