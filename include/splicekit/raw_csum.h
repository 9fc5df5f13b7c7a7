/* Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * Conventions: a "sum" is an unfolded 32-bit one's-complement accumulator
 * (uint32_t) that can be chained; a "checksum" is the final 16-bit field
 * value, already complemented, as a host integer holding the field's
 * big-endian value (read it with raw_cur_u16). 16/32-bit field
 * values passed to the update functions are likewise big-endian values.
 *
 * Nothing here allocates or fails; only the *_set functions write, and
 * only into the packet they are given.
 */
#ifndef SPLICEKIT_RAW_CSUM_H
#define SPLICEKIT_RAW_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct raw_pkt;

/* Adds buf[0..len) as big-endian 16-bit words to sum and returns the new
 * unfolded sum. An odd trailing byte is padded with zero, so only the last
 * piece of a chained sum may have an odd length. */
uint32_t raw_csum_add(uint32_t sum, const void *buf, size_t len);

/* Folds sum to 16 bits and returns its complement: the checksum field. */
uint16_t raw_csum_fold(uint32_t sum);

/* Returns the RFC 1071 checksum of buf[0..len). */
uint16_t raw_csum(const void *buf, size_t len);

/* RFC 1624 eqn. 3: returns the checksum after a 16-bit word covered by
 * csum changes from old to new: HC' = ~(~HC + ~m + m'). */
uint16_t raw_csum_update16(uint16_t csum, uint16_t old, uint16_t new_);

/* Same for an aligned 32-bit field (two words). */
uint16_t raw_csum_update32(uint16_t csum, uint32_t old, uint32_t new_);

/* Same for len bytes (len even, the span starting on a word boundary of
 * the checksummed data): an IPv4 (4) or IPv6 (16) address, or any span. */
uint16_t raw_csum_update_bytes(uint16_t csum, const uint8_t *old,
			       const uint8_t *new_, size_t len);

/* Returns the unfolded sum of the IPv4 pseudo-header (RFC 9293 3.1).
 * saddr/daddr are 4 bytes each; l4_len is the TCP/UDP length. */
uint32_t raw_csum_pseudo4(const uint8_t *saddr, const uint8_t *daddr,
			  uint8_t proto, uint32_t l4_len);

/* Returns the unfolded sum of the IPv6 pseudo-header (RFC 8200 8.1).
 * saddr/daddr are 16 bytes each. */
uint32_t raw_csum_pseudo6(const uint8_t *saddr, const uint8_t *daddr,
			  uint8_t proto, uint32_t l4_len);

/* Returns the IPv4 header checksum p's header should carry (computed over
 * the header with the checksum field taken as zero). p must be IPv4. */
uint16_t raw_ipv4_csum_compute(const struct raw_pkt *p);

/* Writes the computed IPv4 header checksum into p's header. */
void raw_ipv4_csum_set(struct raw_pkt *p);

/* True when p is IPv4 and its header checksum is right. */
bool raw_ipv4_csum_ok(const struct raw_pkt *p);

/* Returns the TCP checksum p's segment should carry (pseudo-header + header
 * with the checksum field taken as zero + payload). p must be TCP. */
uint16_t raw_tcp_csum_compute(const struct raw_pkt *p);

/* Writes the computed TCP checksum into p's header. */
void raw_tcp_csum_set(struct raw_pkt *p);

/* True when p is TCP and its checksum is right. */
bool raw_tcp_csum_ok(const struct raw_pkt *p);

#endif
