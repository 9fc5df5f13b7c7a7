/* Server mapping table: which backends hold a client's TLS session.
 *
 * After Jin, Kim, Lee (2001) §5.2-5.3. A routing key (TLS <=1.2 session ID,
 * or a ticket / PSK identity prefix) maps to up to MT_MAX_CANDS candidates
 * {backend, timestamp, BUSY|IDLE}. mt_pick() drops DOWN, BUSY and expired
 * candidates and candidates over the load guard, then takes the oldest
 * timestamp: the least recently used copy of the session, which spreads
 * resumptions over the servers that hold it.
 *
 * Memory is fixed at mt_create(): a slab of cap 128-byte entries plus an
 * open-addressed index of 8-byte slots at most half full, 144 bytes per
 * entry for a power-of-two cap (mt_mem_bytes(cap) / cap in general), in
 * transparent huge pages where the kernel allows. Nothing is allocated
 * after that; a lookup is one keyed hash (SipHash-2-4 with a random
 * secret, so clients cannot aim session IDs at one probe run), a short
 * probe in the index and, on a hit, one 128-byte entry. Entries sit on an
 * age list (least recently touched first), which makes eviction at the cap
 * and expiry O(1) per entry.
 *
 * Thread-safety: none inside. A table has one owner at a time: either one
 * worker thread, or callers that hold one lock around every call (no call
 * blocks, allocates or does more than O(1) expected work except mt_expire,
 * which is bounded by its budget, and mt_foreach).
 *
 * Times are caller-supplied milliseconds on any monotonic clock.
 */
#ifndef SPLICEKIT_MAPTABLE_H
#define SPLICEKIT_MAPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT_MAX_KEY 48   /* session ID (32) or a ticket/PSK prefix */
#define MT_MAX_CANDS 4  /* backends that may hold one session */
#define MT_DEFAULT_LIFETIME_MS 300000u /* like a TLS session cache */
#define MT_DEFAULT_GUARD_PCT 150u      /* refuse above 1.5x the mean load */
#define MT_DEFAULT_GUARD_MIN 4u        /* never refuse below this many conns */

struct mt_table;

enum mt_state { MT_IDLE = 0, MT_BUSY = 1 };

struct mt_config {
	uint32_t cap;          /* hard cap on entries (> 0) */
	uint16_t n_backends;   /* backend ids are 0..n_backends-1 (> 0) */
	uint64_t lifetime_ms;  /* 0: MT_DEFAULT_LIFETIME_MS */
	/* Load guard: a candidate whose active count exceeds guard_pct% of the
	 * mean over UP backends (and is at least guard_min) is refused.
	 * guard_pct 0 turns the guard off. */
	uint32_t guard_pct;
	uint32_t guard_min;
	/* SipHash secret; all-zero means "draw one from getrandom()". Tests
	 * set it to get reproducible bucket layouts. */
	uint8_t secret[16];
};

/* The caller's view of backend load, kept up to date by the scheduler.
 * active[b] and down[b] for b < n; total_active and n_up are the sums over
 * backends that are not down (kept by the caller so a pick stays O(1)). */
struct mt_load {
	const uint32_t *active;
	const bool *down;
	uint32_t n;
	uint64_t total_active;
	uint32_t n_up;
};

/* One candidate as shown by mt_foreach(). */
struct mt_cand_view {
	uint16_t backend;
	enum mt_state state;
	uint16_t users;        /* connections using it now (BUSY if > 0) */
	uint64_t stamp_ms;     /* learn time, or the last release time */
};

/* One entry as shown by mt_foreach(); pointers valid during the callback. */
struct mt_entry_view {
	const uint8_t *key;
	size_t key_len;
	uint64_t touched_ms;   /* last learn/acquire/release: the age order */
	unsigned n_cands;
	struct mt_cand_view cands[MT_MAX_CANDS];
};

struct mt_stats {
	uint32_t entries;
	uint32_t cap;
	uint64_t learned;      /* candidates added */
	uint64_t hits;         /* picks that returned a backend */
	uint64_t misses;       /* picks with no entry */
	uint64_t refused_busy; /* picks where every candidate was BUSY/DOWN/stale */
	uint64_t refused_load; /* picks where the load guard refused the rest */
	uint64_t evicted;      /* entries dropped at the cap */
	uint64_t expired;      /* entries dropped by mt_expire */
};

/* Fills *cfg with defaults for a table of cap entries over n_backends. */
void mt_config_default(struct mt_config *cfg, uint32_t cap, uint16_t n_backends);

/* Creates a table; all memory is allocated here. Returns 0 and stores the
 * table in *out (caller owns it, frees with mt_destroy), or -EINVAL for a
 * bad config, -ENOMEM. */
int mt_create(const struct mt_config *cfg, struct mt_table **out);

/* Frees the table. NULL is allowed. */
void mt_destroy(struct mt_table *t);

/* Records that backend holds the session named by key (seen in its
 * ServerHello or NewSessionTicket). A new candidate starts IDLE stamped
 * now; an existing one is re-stamped (if IDLE) and keeps its users. A new
 * key at the cap evicts the least recently touched entry. When the entry
 * already has MT_MAX_CANDS candidates the oldest IDLE one is replaced.
 * Returns 0, -EINVAL (key_len 0 or > MT_MAX_KEY, backend out of range),
 * or -ENOSPC (every candidate is BUSY). Never allocates. */
int mt_learn(struct mt_table *t, const void *key, size_t key_len,
	     uint16_t backend, uint64_t now);

/* Chooses the backend for a resumption of key: among candidates that are
 * IDLE, not expired, not down in load and not over the load guard, the one
 * with the oldest stamp (ties: the one learned first). load may be NULL
 * (no DOWN and no guard). Stores it in *backend and returns 0; otherwise
 * -ENOENT (unknown key), -EBUSY (every candidate BUSY, DOWN or expired), or
 * -EAGAIN (the load guard refused the remaining ones). Does not change
 * state: call mt_acquire for the backend actually used. */
int mt_pick(struct mt_table *t, const void *key, size_t key_len, uint64_t now,
	    const struct mt_load *load, uint16_t *backend);

/* A connection now uses key on backend: users += 1 (state BUSY). Returns
 * 0 or -ENOENT (no such entry or candidate, e.g. evicted meanwhile). */
int mt_acquire(struct mt_table *t, const void *key, size_t key_len,
	       uint16_t backend, uint64_t now);

/* A connection using key on backend closed: users -= 1; at 0 the candidate
 * turns IDLE stamped now. Returns 0, -ENOENT, or -EALREADY if it was not
 * BUSY. */
int mt_release(struct mt_table *t, const void *key, size_t key_len,
	       uint16_t backend, uint64_t now);

/* Removes key entirely. Returns 0 or -ENOENT. */
int mt_forget(struct mt_table *t, const void *key, size_t key_len);

/* Drops IDLE candidates older than the lifetime from entries not touched
 * within it, oldest entries first, visiting at most budget entries (0: no
 * limit); entries left with no candidate are removed. Entries still BUSY
 * are re-stamped now and kept. Returns the number of entries removed. */
uint32_t mt_expire(struct mt_table *t, uint64_t now, uint32_t budget);

/* Removes entries last touched at or before cutoff (UINT64_MAX: every
 * entry), BUSY ones included (their users' later mt_release then returns
 * -ENOENT), oldest first, at most budget of them (0: no limit). Returns
 * the number removed; fewer than budget means none is left to remove.
 * O(removed), so a caller holding a lock can flush in slices. */
uint32_t mt_flush(struct mt_table *t, uint64_t cutoff, uint32_t budget);

/* Calls fn for every entry, least recently touched first; stops early and
 * returns fn's value if it is non-zero, else returns 0. fn must not modify
 * the table. */
int mt_foreach(const struct mt_table *t,
	       int (*fn)(const struct mt_entry_view *e, void *arg), void *arg);

/* Copies the counters into *st. */
void mt_get_stats(const struct mt_table *t, struct mt_stats *st);

/* Returns the bytes mt_create() allocates for a table of cap entries
 * (slab, buckets and header), or 0 if cap is 0 or too large. */
size_t mt_mem_bytes(uint32_t cap);

/* Fills the sums of *load from its active/down arrays (O(n); for callers
 * that do not maintain them incrementally). */
void mt_load_sum(struct mt_load *load);

#endif
