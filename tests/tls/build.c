#include <string.h>

#include "build.h"

void bb_put(struct bb *o, const void *p, size_t n)
{
	if (n)
		memcpy(o->b + o->n, p, n);
	o->n += n;
}

void bb_u8(struct bb *o, unsigned v)
{
	o->b[o->n++] = (uint8_t)v;
}

void bb_u16(struct bb *o, unsigned v)
{
	bb_u8(o, v >> 8);
	bb_u8(o, v);
}

void bb_u24(struct bb *o, unsigned v)
{
	bb_u8(o, v >> 16);
	bb_u16(o, v & 0xffff);
}

void bb_u32(struct bb *o, uint32_t v)
{
	bb_u16(o, v >> 16);
	bb_u16(o, v & 0xffff);
}

size_t bb_open(struct bb *o, unsigned bytes)
{
	size_t at = o->n;

	o->n += bytes;
	return at;
}

void bb_close(struct bb *o, size_t at, unsigned bytes)
{
	size_t len = o->n - at - bytes;

	for (unsigned i = 0; i < bytes; i++)
		o->b[at + i] = (uint8_t)(len >> (8 * (bytes - 1 - i)));
}

void bb_ext(struct bb *o, unsigned type, const void *body, size_t len)
{
	bb_u16(o, type);
	bb_u16(o, (unsigned)len);
	bb_put(o, body, len);
}

void bb_hello_body(struct bb *o, unsigned sid_len, const struct bb *exts)
{
	static const uint8_t zero[32];
	size_t at;

	bb_u16(o, 0x0303);
	bb_put(o, zero, 32);
	bb_u8(o, sid_len);
	for (unsigned i = 0; i < sid_len; i++)
		bb_u8(o, 0x11);
	bb_u16(o, 4);
	bb_u16(o, 0x1301);
	bb_u16(o, 0xc02f);
	bb_u8(o, 1);
	bb_u8(o, 0);
	if (!exts)
		return;
	at = bb_open(o, 2);
	bb_put(o, exts->b, exts->n);
	bb_close(o, at, 2);
}

void bb_hs(struct bb *o, unsigned type, const struct bb *body)
{
	bb_u8(o, type);
	bb_u24(o, (unsigned)body->n);
	bb_put(o, body->b, body->n);
}

void bb_records(struct bb *o, unsigned type, unsigned version,
		const uint8_t *p, size_t n, size_t frag)
{
	for (size_t off = 0; off < n; off += frag) {
		size_t k = n - off < frag ? n - off : frag;

		bb_u8(o, type);
		bb_u16(o, version);
		bb_u16(o, (unsigned)k);
		bb_put(o, p + off, k);
	}
}
