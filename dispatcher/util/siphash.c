/* SipHash-2-4, written from the paper's description (little-endian words,
 * 2 compression rounds, 4 finalisation rounds). */
#include "util/siphash.h"

#include <string.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void round4(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t x = 0;

	for (int i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

uint64_t disp_siphash(const uint64_t k[2], const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t v[4] = {
		k[0] ^ 0x736f6d6570736575ull, k[1] ^ 0x646f72616e646f6dull,
		k[0] ^ 0x6c7967656e657261ull, k[1] ^ 0x7465646279746573ull,
	};
	uint8_t tail[8] = { 0 };
	size_t whole = len & ~(size_t)7;
	uint64_t m;

	for (size_t i = 0; i < whole; i += 8) {
		m = le64(p + i);
		v[3] ^= m;
		round4(v);
		round4(v);
		v[0] ^= m;
	}
	memcpy(tail, p + whole, len - whole);
	m = le64(tail) | (uint64_t)(len & 0xff) << 56;
	v[3] ^= m;
	round4(v);
	round4(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		round4(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
