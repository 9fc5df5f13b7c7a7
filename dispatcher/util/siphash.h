/* SipHash-2-4 (Aumasson, Bernstein): a keyed hash, so that a peer who
 * chooses 5-tuples cannot aim them all at one hash chain. Internal to the
 * dispatcher. */
#ifndef DISP_SIPHASH_H
#define DISP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* Returns SipHash-2-4 of buf[0..len) under the 128-bit key k[0], k[1]. */
uint64_t disp_siphash(const uint64_t k[2], const void *buf, size_t len);

#endif
