/* Bounds-checked reads over untrusted bytes.
 *
 * Every parser in splicekit (packets, TCP options, TLS records, control
 * commands) reads through a struct raw_cur and nothing else: no struct is
 * ever cast onto a buffer, and no length taken from the wire is used before
 * the cursor has checked it against the bytes really present.
 *
 * Getters return 0 and advance, or return -EBADMSG and leave the cursor
 * where it was, so a caller can stop at the first short read and report
 * exactly which field did not fit. Multi-byte integers are big-endian
 * (network order) unless the name says otherwise.
 */
#ifndef SPLICEKIT_CURSOR_H
#define SPLICEKIT_CURSOR_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct raw_cur {
	const uint8_t *buf; /* first byte of the window */
	size_t len;         /* bytes in the window */
	size_t off;         /* next byte to read, 0 <= off <= len */
};

/* Starts a cursor over buf[0..len). buf may be NULL only when len is 0. */
static inline void raw_cur_init(struct raw_cur *c, const void *buf, size_t len)
{
	c->buf = buf;
	c->len = len;
	c->off = 0;
}

/* Returns how many bytes are left to read. */
static inline size_t raw_cur_left(const struct raw_cur *c)
{
	return c->len - c->off;
}

/* Returns a pointer to the next unread byte (valid for raw_cur_left bytes). */
static inline const uint8_t *raw_cur_ptr(const struct raw_cur *c)
{
	return c->buf + c->off;
}

/* Returns the offset of the next unread byte from the window's start. */
static inline size_t raw_cur_pos(const struct raw_cur *c)
{
	return c->off;
}

/* True when at least n more bytes can be read. */
static inline bool raw_cur_has(const struct raw_cur *c, size_t n)
{
	return n <= c->len - c->off;
}

/* Skips n bytes: 0, or -EBADMSG if fewer are left. */
static inline int raw_cur_skip(struct raw_cur *c, size_t n)
{
	if (!raw_cur_has(c, n))
		return -EBADMSG;
	c->off += n;
	return 0;
}

/* Reads one byte into *v: 0, or -EBADMSG. */
static inline int raw_cur_u8(struct raw_cur *c, uint8_t *v)
{
	if (!raw_cur_has(c, 1))
		return -EBADMSG;
	*v = c->buf[c->off++];
	return 0;
}

/* Reads a big-endian 16-bit value into *v: 0, or -EBADMSG. */
static inline int raw_cur_u16(struct raw_cur *c, uint16_t *v)
{
	if (!raw_cur_has(c, 2))
		return -EBADMSG;
	*v = (uint16_t)(c->buf[c->off] << 8 | c->buf[c->off + 1]);
	c->off += 2;
	return 0;
}

/* Reads a big-endian 24-bit value (TLS handshake lengths) into *v. */
static inline int raw_cur_u24(struct raw_cur *c, uint32_t *v)
{
	if (!raw_cur_has(c, 3))
		return -EBADMSG;
	*v = (uint32_t)c->buf[c->off] << 16 | (uint32_t)c->buf[c->off + 1] << 8 |
	     c->buf[c->off + 2];
	c->off += 3;
	return 0;
}

/* Reads a big-endian 32-bit value into *v: 0, or -EBADMSG. */
static inline int raw_cur_u32(struct raw_cur *c, uint32_t *v)
{
	if (!raw_cur_has(c, 4))
		return -EBADMSG;
	*v = (uint32_t)c->buf[c->off] << 24 | (uint32_t)c->buf[c->off + 1] << 16 |
	     (uint32_t)c->buf[c->off + 2] << 8 | c->buf[c->off + 3];
	c->off += 4;
	return 0;
}

/* Points *p at the next n bytes (inside the buffer, no copy) and skips
 * them: 0, or -EBADMSG. */
static inline int raw_cur_bytes(struct raw_cur *c, size_t n, const uint8_t **p)
{
	if (!raw_cur_has(c, n))
		return -EBADMSG;
	*p = c->buf + c->off;
	c->off += n;
	return 0;
}

/* Carves the next n bytes out as a cursor of their own, so a nested length
 * can never read past its parent: 0, or -EBADMSG. */
static inline int raw_cur_sub(struct raw_cur *c, size_t n, struct raw_cur *sub)
{
	if (!raw_cur_has(c, n))
		return -EBADMSG;
	raw_cur_init(sub, c->buf + c->off, n);
	c->off += n;
	return 0;
}

/* Reads a length prefix of 1, 2 or 3 bytes and carves that many bytes out
 * as *sub (the TLS vector idiom). Leaves the cursor untouched on failure. */
static inline int raw_cur_vec(struct raw_cur *c, unsigned prefix_bytes,
			      struct raw_cur *sub)
{
	struct raw_cur save = *c;
	uint32_t n = 0;
	int r;

	switch (prefix_bytes) {
	case 1: { uint8_t v; r = raw_cur_u8(c, &v); n = v; break; }
	case 2: { uint16_t v; r = raw_cur_u16(c, &v); n = v; break; }
	case 3: r = raw_cur_u24(c, &n); break;
	default: return -EINVAL;
	}
	if (r == 0)
		r = raw_cur_sub(c, n, sub);
	if (r < 0)
		*c = save;
	return r;
}

#endif
