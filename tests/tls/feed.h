/* Test helper: feeds a byte stream to a parser in chosen pieces. */
#ifndef SPLICEKIT_TEST_TLS_FEED_H
#define SPLICEKIT_TEST_TLS_FEED_H

#include <stddef.h>
#include <stdint.h>

enum split {
	SPLIT_WHOLE,  /* one call */
	SPLIT_ONE,    /* 1-byte pieces */
	SPLIT_RANDOM, /* pieces of 1..64 bytes from a seeded generator */
};

typedef int (*feed_fn)(void *parser, const void *buf, size_t len);

/* Feeds b[0..n) in pieces; stops at the first non-zero result and returns
 * it (0 if all bytes went in and the parser still wants more). */
int feed_split(feed_fn fn, void *parser, const uint8_t *b, size_t n,
	       enum split mode, unsigned seed);

/* Re-frames the first handshake message of a stream into records of at
 * most frag handshake bytes each (record header copied from the original).
 * Returns a malloc'd buffer and its length in *out_len, or NULL. */
uint8_t *refragment(const uint8_t *stream, size_t len, size_t frag,
		    size_t *out_len);

#endif
