/* Test helper: builds handshake bytes field by field, for the rejection
 * tests (each malformed case differs from a valid hello in one field). */
#ifndef SPLICEKIT_TEST_TLS_BUILD_H
#define SPLICEKIT_TEST_TLS_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct bb {
	uint8_t b[1 << 17];
	size_t n;
};

void bb_put(struct bb *o, const void *p, size_t n);
void bb_u8(struct bb *o, unsigned v);
void bb_u16(struct bb *o, unsigned v);
void bb_u24(struct bb *o, unsigned v);
void bb_u32(struct bb *o, uint32_t v);
/* Opens a length prefix of `bytes` bytes; bb_close fills it in. */
size_t bb_open(struct bb *o, unsigned bytes);
void bb_close(struct bb *o, size_t at, unsigned bytes);

/* Appends one extension (type, body). */
void bb_ext(struct bb *o, unsigned type, const void *body, size_t len);

/* Appends a ClientHello body: version 0x0303, zero random, sid_len bytes
 * of 0x11, two cipher suites, null compression, then the extension block
 * exts (omitted when exts is NULL). */
void bb_hello_body(struct bb *o, unsigned sid_len, const struct bb *exts);

/* Appends a handshake message wrapping body. */
void bb_hs(struct bb *o, unsigned type, const struct bb *body);

/* Appends records of type/version carrying p[0..n), at most frag bytes
 * each. */
void bb_records(struct bb *o, unsigned type, unsigned version,
		const uint8_t *p, size_t n, size_t frag);

#endif
