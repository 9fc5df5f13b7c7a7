/* Keyed hash for the mapping table (private to dispatcher/maptable/maptable.c). */
#ifndef SPLICEKIT_MT_HASH_H
#define SPLICEKIT_MT_HASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of msg[0..len) under the 16-byte key k. Keyed so a client
 * that picks its own session ID cannot aim many IDs at one bucket. */
uint64_t mt_siphash24(const uint8_t k[16], const void *msg, size_t len);

#endif
