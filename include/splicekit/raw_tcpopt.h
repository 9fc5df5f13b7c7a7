/* TCP options: an iterator over the option space and a parse into a
 * struct with the values and offsets the splice engine rewrites.
 *
 * POLICY: EOL ends the list (bytes after it are padding and ignored), NOP
 * is skipped. Any other kind must have a length byte >= 2 whose span fits
 * in the option space; length 0 or 1 ("tcpopt-len") and an overrun
 * ("tcpopt-trunc") reject the whole segment, since we could not find the
 * options after it and forwarding half-translated SACK/TS is worse than a
 * drop. Known kinds (MSS, WS, SACK-permitted, SACK, TS) must have their
 * fixed length ("tcpopt-badlen"; SACK 2 + 8n with n 1..4) and appear once
 * ("tcpopt-dup": a second MSS we did not clamp would defeat the clamp).
 * Unknown kinds are kept and skipped; their count is reported.
 */
#ifndef SPLICEKIT_RAW_TCPOPT_H
#define SPLICEKIT_RAW_TCPOPT_H

#include <stddef.h>
#include <stdint.h>

#include "splicekit/cursor.h"
#include "splicekit/raw_pkt.h"

/* Bits of raw_tcpopts.present */
#define RAW_TCPOPT_F_MSS       0x01u
#define RAW_TCPOPT_F_WSCALE    0x02u
#define RAW_TCPOPT_F_SACK_PERM 0x04u
#define RAW_TCPOPT_F_SACK      0x08u
#define RAW_TCPOPT_F_TS        0x10u

struct raw_tcp_sack_block {
	uint32_t left, right;
};

struct raw_tcpopts {
	unsigned present;      /* RAW_TCPOPT_F_* */
	uint16_t mss;
	uint8_t wscale;        /* as sent; values > 14 mean 14 to the peer */
	uint8_t sack_n;        /* blocks in sack[] */
	struct raw_tcp_sack_block sack[RAW_TCP_SACK_MAX];
	uint32_t tsval, tsecr;
	/* Offsets of each option's kind byte from the start of the option
	 * space (add raw_pkt.opt_off for a buffer offset); valid only when
	 * the matching present bit is set. */
	uint8_t mss_off, wscale_off, sack_perm_off, sack_off, ts_off;
	uint8_t n_unknown;     /* unknown kinds skipped */
};

/* One option as the iterator yields it. */
struct raw_tcpopt {
	uint8_t kind;
	uint8_t len;           /* total length incl. kind/len; 1 for NOP */
	uint8_t off;           /* kind byte's offset in the option space */
	const uint8_t *data;   /* len - 2 body bytes, inside the caller's buffer */
};

struct raw_tcpopt_iter {
	struct raw_cur c;
};

/* Starts iterating over the option space opt[0..len). A TCP header holds
 * at most 40 option bytes; a longer len is read as 40. */
void raw_tcpopt_iter_init(struct raw_tcpopt_iter *it, const uint8_t *opt,
			  size_t len);

/* Yields the next option other than NOP into *o. Returns 1 when *o holds
 * one, 0 at EOL or the end of the space, or -EBADMSG with *why set
 * (RAW_R_TCPOPT_LEN / RAW_R_TCPOPT_TRUNC). Does not check known kinds'
 * lengths; raw_tcpopt_parse does. */
int raw_tcpopt_next(struct raw_tcpopt_iter *it, struct raw_tcpopt *o,
		    enum raw_reason *why);

/* Parses opt[0..len) into *o (zeroed first). Returns 0, or -EBADMSG with
 * *why naming the problem (why may be NULL), or -EINVAL if len > 40 (no
 * TCP header has that much option space). */
int raw_tcpopt_parse(const uint8_t *opt, size_t len, struct raw_tcpopts *o,
		     enum raw_reason *why);

/* Parses the options of the TCP packet p (p->is_tcp). Returns 0, or
 * -EBADMSG with p->reason set, or -EINVAL if p is not TCP. */
int raw_pkt_tcpopts(struct raw_pkt *p, struct raw_tcpopts *o);

#endif
