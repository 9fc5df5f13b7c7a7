/* Internal to raw/: big-endian stores into buffers we own or have already
 * bounds-checked. Reads of packet bytes go through struct raw_cur. */
#ifndef SPLICEKIT_RAW_BYTES_H
#define SPLICEKIT_RAW_BYTES_H

#include <stdint.h>

static inline void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

#endif
