/* In-place rewrite of parsed TCP packets, keeping the IPv4 header checksum
 * and the TCP checksum right by incremental update (RFC 1624), so the cost
 * does not grow with the payload and options we do not touch survive.
 *
 * Every helper takes a view from raw_parse() with p->is_tcp set, changes
 * the bytes in p->buf and the matching field of *p (and of *o for option
 * helpers, which take the raw_tcpopts parsed from the same packet), and
 * returns 0, or -EINVAL for a non-TCP view (nothing changed), or -ENOENT
 * when the option to change is absent (nothing changed).
 *
 * Incremental updates preserve whatever the checksum was: a wrong checksum
 * stays exactly as wrong, and a CHECKSUM_PARTIAL capture (pseudo-header
 * sum only, from an offloading NIC) does NOT become right. Fix offloads
 * first, or recompute with raw_tcp_csum_set().
 *
 * No allocation, no syscalls.
 */
#ifndef SPLICEKIT_RAW_REWRITE_H
#define SPLICEKIT_RAW_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "splicekit/raw_pkt.h"
#include "splicekit/raw_tcpopt.h"

/* Sets the source / destination address; addr holds raw_pkt_alen(p) bytes
 * (4 for IPv4, 16 for IPv6) in network order. Fixes the IPv4 header
 * checksum and the TCP checksum (pseudo-header). */
int raw_rw_saddr(struct raw_pkt *p, const uint8_t *addr);
int raw_rw_daddr(struct raw_pkt *p, const uint8_t *addr);

/* Sets the source / destination port (host order). */
int raw_rw_sport(struct raw_pkt *p, uint16_t port);
int raw_rw_dport(struct raw_pkt *p, uint16_t port);

/* Sets seq / ack to v, or adds delta (mod 2^32) to them. */
int raw_rw_seq(struct raw_pkt *p, uint32_t v);
int raw_rw_ack(struct raw_pkt *p, uint32_t v);
int raw_rw_seq_add(struct raw_pkt *p, uint32_t delta);
int raw_rw_ack_add(struct raw_pkt *p, uint32_t delta);

/* Sets the (unscaled) window field. */
int raw_rw_window(struct raw_pkt *p, uint16_t win);

/* Adds delta (mod 2^32) to both edges of every SACK block: the C->S leg
 * shifts by -delta like ack. -ENOENT without SACK blocks. */
int raw_rw_sack_add(struct raw_pkt *p, struct raw_tcpopts *o, uint32_t delta);

/* Removes every SACK block whose left edge is not after edge (mod 2^32),
 * keeping the others in their order; the option keeps its size, the
 * freed bytes become NOPs (the whole option when no block is left).
 * Returns how many blocks it removed (0: nothing changed), or -ENOENT
 * without SACK blocks. A receiver's SACK block that starts at or below
 * the sender's cumulative ACK is one Linux discards (TCPSACKDiscard). */
int raw_rw_sack_keep_after(struct raw_pkt *p, struct raw_tcpopts *o,
			   uint32_t edge);

/* Removes every SACK block whose left edge lies in [lo, hi] (mod 2^32: the
 * range may wrap), as raw_rw_sack_keep_after does: same option layout,
 * same return values. A D-SACK tells the sender that a segment it
 * retransmitted arrived twice; Linux checks that claim against its own
 * count of retransmissions and, when the D-SACKed segments outnumber
 * them, treats the block as an ordinary one below its cumulative ACK and
 * discards it (TCPDSACKIgnoredDubious, then TCPSACKDiscard). */
int raw_rw_sack_drop_left_in(struct raw_pkt *p, struct raw_tcpopts *o,
			     uint32_t lo, uint32_t hi);

/* Sets TSval and TSecr. -ENOENT without the timestamp option. */
int raw_rw_ts(struct raw_pkt *p, struct raw_tcpopts *o, uint32_t tsval,
	      uint32_t tsecr);

/* Sets the MSS option to mss. -ENOENT without an MSS option. */
int raw_rw_mss(struct raw_pkt *p, struct raw_tcpopts *o, uint16_t mss);

/* Lowers the MSS option to max if it is larger; returns 1 when it changed
 * the packet, 0 when the MSS was already <= max, -ENOENT without MSS. */
int raw_rw_mss_clamp(struct raw_pkt *p, struct raw_tcpopts *o, uint16_t max);

/* Decrements the IPv4 TTL or IPv6 hop limit as a router does, fixing the
 * IPv4 header checksum. Unlike the helpers above it works on any parsed
 * IP packet, TCP or not. Returns 0, or -ETIMEDOUT when the TTL is 0 or 1
 * (nothing changed: the packet must not be forwarded), or -EINVAL for a
 * view that parsing rejected. */
int raw_rw_ttl_dec(struct raw_pkt *p);

/* Writes len bytes at buffer offset off (inside p's TCP header or payload)
 * and updates the TCP checksum incrementally; off may be odd. The general
 * tool behind the helpers above. -ERANGE if the span is outside the
 * segment. */
int raw_rw_tcp_bytes(struct raw_pkt *p, uint32_t off, const void *src,
		     size_t len);

/* What raw_tcp_build() puts on the wire. */
struct raw_tcp_spec {
	int family;                 /* AF_INET or AF_INET6 */
	const uint8_t *saddr;       /* 4 or 16 bytes */
	const uint8_t *daddr;
	uint16_t sport, dport;      /* host order */
	uint32_t seq, ack;
	uint8_t flags;              /* RAW_TCP_* */
	uint16_t window;
	uint8_t ttl;                /* 0 means 64 */
	const uint8_t *opts;        /* ready-made option bytes, or NULL */
	size_t opts_len;            /* multiple of 4, <= 40 */
	const void *payload;        /* or NULL */
	size_t payload_len;
};

/* Builds an IPv4/IPv6 + TCP segment (no link header) into buf[0..cap) with
 * both checksums computed in full, IPv4 DF set and ID 0. Returns the
 * packet length, or -EINVAL for a bad spec (family, opts_len), or
 * -ENOSPC when cap is too small. If out is not NULL it receives the view
 * of the new packet, as raw_parse_ip() would give it. */
int raw_tcp_build(uint8_t *buf, size_t cap, const struct raw_tcp_spec *s,
		  struct raw_pkt *out);

/* Writes options for a SYN or SYN-ACK into buf[0..cap): MSS (if mss), SACK
 * permitted (if sack_perm), timestamps (if ts, with tsval/tsecr), window
 * scale (if wscale >= 0), NOP-padded to a multiple of 4 in the layout
 * Linux uses. Returns the byte count, or -ENOSPC. */
int raw_tcpopt_build_syn(uint8_t *buf, size_t cap, uint16_t mss,
			 bool sack_perm, bool ts, uint32_t tsval,
			 uint32_t tsecr, int wscale);

#endif
