/* Splice mode, client side of the handshake: the dispatcher answers the
 * client's SYN itself (ARCHITECTURE.md, "A spliced TLS connection").
 *
 *   ssyn_secret  128-bit SipHash key with rotation; plain data, no locks.
 *   ssyn_isn     keyed ISN for a SYN-ACK whose state sits in the half-open
 *                table: the same (secret, 4-tuple, slot) gives the same ISN
 *                in every worker and every instance.
 *   ssyn_cookie  stateless SYN cookies for when that table is full: the
 *                client's options travel in the ISN, the final ACK proves
 *                the client saw our SYN-ACK and brings them back.
 *   ssyn_ho      bounded, preallocated half-open table (4-tuple -> client
 *                ISN, our ISN, options), O(1), fixed memory.
 *   ssyn_build_synack  the SYN-ACK segment answering the client's options.
 *
 * Time is passed in by the caller (seconds or milliseconds of a monotonic
 * clock that all workers share), so tests and every worker agree on slots.
 * Nothing here makes a syscall on the packet path or allocates after
 * ssyn_ho_new().
 */
#ifndef SPLICEKIT_SPLICE_SYN_H
#define SPLICEKIT_SPLICE_SYN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "splicekit/raw_pkt.h"
#include "splicekit/raw_tcpopt.h"

/* Length of a time slot. A cookie made in slot k is accepted in k and k+1,
 * so it lives 64..128 s (Linux accepts about 2 minutes). */
#define SSYN_SLOT_SECS 64u

/* The connection as the client sees it: client -> VIP. */
struct ssyn_tuple {
	uint8_t family;          /* AF_INET or AF_INET6 */
	uint8_t caddr[16];       /* client address, network order; IPv4 in
				  * the first 4 bytes, rest zero */
	uint8_t vaddr[16];       /* VIP */
	uint16_t cport, vport;   /* host order */
};

/* The client's SYN options we must answer and later replay to the
 * backend. */
struct ssyn_opts {
	uint16_t mss;            /* 0: the client sent none */
	int8_t wscale;           /* -1: none; else 0..14 (larger read as 14) */
	bool sack_perm;
	bool ts;                 /* the client sent timestamps */
	uint32_t tsval;          /* its TSval (to echo); not in cookies */
};

struct ssyn_secret {
	uint64_t cur[2];
	uint64_t prev[2];
	uint64_t rot_slot;       /* slot of the last rotation */
	bool has_prev;
};

/* Fills *t from a parsed client->VIP TCP segment. Returns 0, or -EINVAL
 * if p is not TCP. */
int ssyn_tuple_from_pkt(const struct raw_pkt *p, struct ssyn_tuple *t);

/* Returns SipHash-2-4 of t's fields under key (the half-open table's
 * index hash; the table keys it with a random secret). */
uint64_t ssyn_tuple_hash(const uint64_t key[2], const struct ssyn_tuple *t);

/* True when a and b name the same connection. */
bool ssyn_tuple_eq(const struct ssyn_tuple *a, const struct ssyn_tuple *b);

/* Fills *o from the SYN's parsed options (see raw_pkt_tcpopts()). */
void ssyn_opts_from_tcpopts(const struct raw_tcpopts *in, struct ssyn_opts *o);

/* --- secret (splice_isn.c) --- */

/* Sets the current secret to key (16 bytes), or to 16 bytes from
 * getrandom() when key is NULL; no previous secret. Returns 0, or a
 * negative errno from getrandom(). */
int ssyn_secret_init(struct ssyn_secret *s, const uint8_t *key, uint64_t now_s);

/* Makes key (or a random one if NULL) current; the old current stays
 * valid for cookie checks during this slot and the next. Returns 0 or a
 * negative errno. Not atomic: the caller serialises it with readers (each
 * worker owns a copy and rotates it from its control event, say). */
int ssyn_secret_rotate(struct ssyn_secret *s, const uint8_t *key,
		       uint64_t now_s);

/* Returns the slot number of now_s. */
static inline uint64_t ssyn_slot(uint64_t now_s)
{
	return now_s / SSYN_SLOT_SECS;
}

/* Returns the ISN for the SYN-ACK to the connection t at now_s: 32 bits of
 * SipHash-2-4(current secret; client addr, client port, VIP, VIP port,
 * slot). */
uint32_t ssyn_isn(const struct ssyn_secret *s, const struct ssyn_tuple *t,
		  uint64_t now_s);

/* --- stateless cookies (splice_cookie.c) --- */

/* MSS values a cookie can carry (3 bits). A client MSS is rounded down to
 * the nearest entry, one below the first entry becomes the first (as
 * Linux does), and a SYN without MSS carries the RFC 9293 default of 536. */
#define SSYN_COOKIE_MSS_N 8
extern const uint16_t ssyn_cookie_mss_tab[SSYN_COOKIE_MSS_N];

/* Returns the ISN that encodes o (MSS index, window scale, SACK-permitted,
 * timestamps-present) for the connection t whose client ISN is
 * client_isn: low 9 bits the options, high 23 bits a SipHash MAC over
 * tuple, client ISN, slot and the options. */
uint32_t ssyn_cookie_make(const struct ssyn_secret *s,
			  const struct ssyn_tuple *t, uint32_t client_isn,
			  const struct ssyn_opts *o, uint64_t now_s);

/* Checks the client's ACK (its seq and ack fields, host order) against a
 * cookie from this slot or the previous one, under the current secret or
 * the previous one while it is still valid. Returns 0 with *o holding the
 * recovered options (tsval 0: take it from the ACK itself), or -EACCES
 * when no cookie matches (forged, for another tuple or client ISN, or
 * too old). Every 9-bit option pattern is valid, so a MAC match always
 * yields usable options. o may be NULL. */
int ssyn_cookie_check(const struct ssyn_secret *s, const struct ssyn_tuple *t,
		      uint32_t seq, uint32_t ack, uint64_t now_s,
		      struct ssyn_opts *o);

/* --- half-open table (splice_halfopen.c) --- */

struct ssyn_ho;

struct ssyn_ho_entry {
	struct ssyn_tuple t;
	uint32_t client_isn;     /* the SYN's seq */
	uint32_t isn;            /* ours, as sent in the SYN-ACK */
	struct ssyn_opts opts;
	uint64_t born_ms;
};

struct ssyn_ho_stats {
	uint64_t inserts;
	uint64_t dups;           /* retransmitted SYNs found in the table */
	uint64_t full;           /* inserts refused: table full (cookie mode) */
	uint64_t expired;
	uint64_t removed;        /* completed or reset by the caller */
	uint32_t used, capacity;
};

/* Returns a table holding at most capacity (1..2^24) entries that expire
 * ttl_ms after insertion, all memory allocated now; NULL with errno set
 * (EINVAL, ENOMEM, or getrandom()'s errno for the table's hash key).
 * Free with ssyn_ho_free(). */
struct ssyn_ho *ssyn_ho_new(uint32_t capacity, uint32_t ttl_ms);

/* Frees h and its entries (NULL is a no-op). */
void ssyn_ho_free(struct ssyn_ho *h);

/* Adds e (e->born_ms is set to now_ms), first expiring what is due.
 * Returns 0; -EEXIST if the tuple is present (a retransmitted SYN: *out,
 * if not NULL, points at the existing entry so the same SYN-ACK is sent
 * again); -ENOSPC when full: answer with a cookie. */
int ssyn_ho_insert(struct ssyn_ho *h, const struct ssyn_ho_entry *e,
		   uint64_t now_ms, const struct ssyn_ho_entry **out);

/* Returns the live entry for t, or NULL (absent or expired). The pointer
 * is valid until the next insert/remove/expire on h. */
const struct ssyn_ho_entry *ssyn_ho_lookup(struct ssyn_ho *h,
					   const struct ssyn_tuple *t,
					   uint64_t now_ms);

/* Removes t's entry. Returns 0 or -ENOENT. */
int ssyn_ho_remove(struct ssyn_ho *h, const struct ssyn_tuple *t);

/* Removes every entry older than the TTL at now_ms. Returns how many. */
uint32_t ssyn_ho_expire(struct ssyn_ho *h, uint64_t now_ms);

/* Copies the counters into *st. */
void ssyn_ho_stats(const struct ssyn_ho *h, struct ssyn_ho_stats *st);

/* --- SYN-ACK (splice_synack.c) --- */

/* What we offer on our side. */
struct ssyn_local {
	uint16_t mss;            /* our MSS (path to the client); 0: 1460 */
	uint8_t wscale;          /* ours, 0..14, sent only if the client
				  * sent one (RFC 7323 2.2) */
	uint16_t window;         /* at least this (raised to 2 MSS) */
	uint32_t tsval;          /* our clock, sent only if the client sent
				  * timestamps */
	uint8_t ttl;             /* 0: 64 */
};

/* Builds the SYN-ACK (IP + TCP, no link header) answering a SYN on t with
 * client ISN client_isn and options c, with our ISN isn, into buf[0..cap).
 * The window field (never scaled in a SYN) admits at least 2 MSS of the
 * smaller of the two MSS values, so a ClientHello fits in one flight; WS,
 * SACK-permitted and TS are answered only when the client offered them;
 * TSecr echoes the client's TSval. Returns the length, -EINVAL for a bad
 * argument, -ENOSPC if cap is too small. out, if not NULL, gets the
 * parsed view. */
int ssyn_build_synack(uint8_t *buf, size_t cap, const struct ssyn_tuple *t,
		      uint32_t client_isn, const struct ssyn_opts *c,
		      uint32_t isn, const struct ssyn_local *l,
		      struct raw_pkt *out);

#endif
