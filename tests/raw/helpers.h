/* Shared by the tests/raw Criterion tests. */
#ifndef SPLICEKIT_TESTS_RAW_HELPERS_H
#define SPLICEKIT_TESTS_RAW_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Decodes a hex string into out (cap bytes); returns the byte count or
 * -1 on a bad digit or overflow. */
static inline int unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

/* xorshift64*: a small fixed-seed generator so failures reproduce. */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

#endif
