/* The mapping table's keyed hash: the dispatcher's one SipHash-2-4
 * (siphash.c) over a key kept as bytes. */
#include "maptable/mt_hash.h"
#include "util/siphash.h"

uint64_t mt_siphash24(const uint8_t k[16], const void *msg, size_t len)
{
	uint64_t key[2] = { 0, 0 };

	for (unsigned i = 0; i < 8; i++) {
		key[0] |= (uint64_t)k[i] << (8 * i);
		key[1] |= (uint64_t)k[8 + i] << (8 * i);
	}
	return disp_siphash(key, msg, len);
}
