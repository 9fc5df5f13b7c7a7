/* One cluster record: what an instance tells the others about a learned
 * TLS session or a BUSY lease, and its wire form (the value stored in Redis
 * and the pub/sub message body).
 *
 * Wire format, version 1, all integers big-endian:
 *
 *   "SKC" 0x01        magic and version
 *   u8   type         CL_REC_SESSION | CL_REC_BUSY | CL_REC_IDLE
 *   u8   origin_len   1..CL_ORIGIN_MAX, then the instance's name
 *   u8   key_len      1..CL_KEY_MAX, then the routing key (opaque bytes)
 *   u32  ttl_ms       session lifetime, or lease length; 0 for IDLE
 *   u64  sent_us      publisher's wall clock (µs since the epoch)
 *   u8   n_cands      session 1..CL_CANDS_MAX; BUSY/IDLE exactly 1
 *   n_cands times:
 *     u8  family      4 or 6, then 4 or 16 address bytes
 *     u16 port        non-zero
 *     u64 stamp_ms    when the backend got the session (wall clock, ms)
 *
 * Nothing may follow the last candidate. Wall clocks, not monotonic ones,
 * because the instances are separate hosts: expiry assumes their clocks
 * agree to well under a lifetime (NTP does).
 */
#ifndef CL_REC_H
#define CL_REC_H

#include <stddef.h>
#include <stdint.h>

#define CL_ORIGIN_MAX 32
#define CL_KEY_MAX 48       /* = MT_MAX_KEY */
#define CL_CANDS_MAX 4      /* = MT_MAX_CANDS */
#define CL_WIRE_MAX (4 + 1 + 1 + CL_ORIGIN_MAX + 1 + CL_KEY_MAX + 4 + 8 + 1 + \
		     CL_CANDS_MAX * (1 + 16 + 2 + 8))

enum cl_rec_type {
	CL_REC_SESSION = 1,  /* key -> candidates, lives ttl_ms */
	CL_REC_BUSY = 2,     /* origin has a connection on key's cands[0] */
	CL_REC_IDLE = 3,     /* origin's lease on key's cands[0] ended */
};

struct cl_cand {
	uint8_t family;      /* 4 or 6 */
	uint8_t addr[16];    /* IPv4 in the first 4 bytes */
	uint16_t port;       /* host order */
	uint64_t stamp_ms;
};

struct cl_rec {
	uint8_t type;
	uint8_t origin_len;
	uint8_t key_len;
	uint8_t n_cands;
	uint32_t ttl_ms;
	uint64_t sent_us;
	char origin[CL_ORIGIN_MAX];
	uint8_t key[CL_KEY_MAX];
	struct cl_cand cands[CL_CANDS_MAX];
};

/* Writes rec's wire form into buf (len bytes). Returns the length written,
 * or -EINVAL if rec breaks a rule above, -ENOSPC if len is too short
 * (CL_WIRE_MAX always suffices). */
int cl_rec_encode(const struct cl_rec *rec, uint8_t *buf, size_t len);

/* Reads one record from buf[0..len) into *rec. Returns 0, or -EBADMSG
 * with *why (if not NULL) naming the field that was wrong. */
int cl_rec_decode(const void *buf, size_t len, struct cl_rec *rec,
		  const char **why);

#define CL_CAND_KEY 19

/* Writes the backend's identity (family, 16 address bytes, port) as
 * CL_CAND_KEY bytes: the part of a lease's key that names the backend. */
void cl_cand_key(const struct cl_cand *c, uint8_t out[CL_CAND_KEY]);

#endif
