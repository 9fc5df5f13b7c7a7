/* A fixed-size hash table of byte-string keys to fixed-size values, each
 * with an expiry time: the Redis thread's record of what this instance
 * published (to republish after an outage) and the workers' table of other
 * instances' BUSY leases. Memory is allocated once; nothing after.
 *
 * Keys are hashed with SipHash under a random key, because lease keys come
 * from the network. Expired entries count as absent and are reused or
 * swept. Thread-safety: none; one owner per table.
 */
#ifndef CL_TAB_H
#define CL_TAB_H

#include <stddef.h>
#include <stdint.h>

#define CL_TAB_KEY_MAX 112

struct cl_tab;

/* Creates a table for cap live entries with val_size-byte values. Returns
 * 0 and *out (free with cl_tab_free), -EINVAL or -ENOMEM. */
int cl_tab_new(uint32_t cap, size_t val_size, struct cl_tab **out);

/* Frees the table. NULL is allowed. */
void cl_tab_free(struct cl_tab *t);

/* Returns the value stored under key if it has not expired at now (it stays
 * valid until the next put or del), else NULL. */
void *cl_tab_get(struct cl_tab *t, const void *key, size_t klen, uint64_t now);

/* Returns the value under key, inserting a zeroed one if there is none (or
 * it expired), and sets the entry's expiry. NULL when klen is 0 or over
 * CL_TAB_KEY_MAX, or when cap live entries are already stored. */
void *cl_tab_put(struct cl_tab *t, const void *key, size_t klen,
		 uint64_t expires, uint64_t now);

/* Removes key. Returns 0 or -ENOENT. */
int cl_tab_del(struct cl_tab *t, const void *key, size_t klen);

/* Calls fn on every entry live at now (removing the expired ones on the
 * way); fn may change the value and *expires but not the table. Returns
 * the number of live entries. */
uint32_t cl_tab_sweep(struct cl_tab *t, uint64_t now,
		      void (*fn)(const uint8_t *key, size_t klen, void *val,
				 uint64_t *expires, void *arg),
		      void *arg);

/* Returns the number of entries stored, expired ones not yet swept
 * included. */
uint32_t cl_tab_count(const struct cl_tab *t);

#endif
