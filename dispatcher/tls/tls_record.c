/* TLS record and handshake reassembly, shared by both directions.
 *
 * Bytes arrive in arbitrary pieces. The engine keeps at most one record
 * header (5 bytes), one handshake header (4 bytes) and, for the messages
 * its owner asks to keep, the handshake body in a buffer of fixed size
 * chosen at allocation. Bodies of other messages (Certificate can be many
 * KB) and payloads of non-handshake records are counted off, never stored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splicekit/cursor.h>

#include "tls/tls_int.h"

void *tls_stream_new(size_t obj_size, size_t buf_off, size_t limit)
{
	uint8_t *p;
	struct tls_stream *st;

	if (limit == 0)
		limit = TLS_LIMIT_DEFAULT;
	if (limit < TLS_LIMIT_MIN || limit > TLS_LIMIT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, obj_size + limit);
	if (!p)
		return NULL;
	st = (struct tls_stream *)p;
	st->buf = p + buf_off;
	st->cap = limit;
	return p;
}

int tls_ext_next(struct raw_cur *exts, uint64_t seen[65536 / 64],
		 uint16_t *type, struct raw_cur *body)
{
	if (raw_cur_u16(exts, type) < 0 || raw_cur_vec(exts, 2, body) < 0)
		return -TLS_R_EXT_OVERRUN;
	if (seen[*type / 64] & (1ull << (*type % 64)))
		return -TLS_R_EXT_DUPLICATE;
	seen[*type / 64] |= 1ull << (*type % 64);
	return 0;
}

void tls_stream_reset(struct tls_stream *s)
{
	uint8_t *buf = s->buf;
	size_t cap = s->cap;

	memset(s, 0, sizeof(*s));
	s->buf = buf;
	s->cap = cap;
}

int tls_result_errno(int state)
{
	if (state >= 0)
		return state;
	if (state == -TLS_R_NOT_TLS)
		return -EPROTONOSUPPORT;
	if (state == -TLS_R_TOO_BIG)
		return -EMSGSIZE;
	return -EBADMSG;
}

static bool known_type(uint8_t t)
{
	return t >= CT_CCS && t <= CT_HEARTBEAT;
}

static bool hs_partial(const struct tls_stream *s)
{
	return s->hh_have > 0 || s->in_body;
}

/* Checks a complete record header and hands it to the owner. */
static int record_header(struct tls_stream *s, const struct tls_stream_ops *ops,
			 void *ctx)
{
	struct raw_cur c;
	uint8_t type;
	uint16_t ver, len;

	raw_cur_init(&c, s->rh, sizeof(s->rh));
	if (raw_cur_u8(&c, &type) < 0 || raw_cur_u16(&c, &ver) < 0 ||
	    raw_cur_u16(&c, &len) < 0)
		return -TLS_R_RECORD_TRUNCATED; /* cannot happen: 5 bytes */

	if (s->records == 0)
		s->first_version = ver;
	s->records++;
	/* A version major other than 3 after the first record (which was
	 * already screened byte by byte) is a broken peer, not a non-TLS
	 * protocol. */
	if (ver >> 8 != 3)
		return -TLS_R_RECORD_VERSION;
	if (!known_type(type))
		return -TLS_R_RECORD_TYPE;
	if (type != CT_HANDSHAKE && hs_partial(s))
		return -TLS_R_INTERLEAVED;
	if (len > TLS_RECORD_MAX)
		return -TLS_R_RECORD_TOO_LONG;
	/* RFC 8446 §5.1: zero-length handshake fragments are forbidden;
	 * allowing them would let a peer hold the parser forever. */
	if (type == CT_HANDSHAKE && len == 0)
		return -TLS_R_RECORD_EMPTY;
	s->rtype = type;
	s->rleft = len;
	return ops->record(ctx, type, ver, len);
}

/* Starts a handshake message once its 4-byte header is complete. */
static int hs_header(struct tls_stream *s, const struct tls_stream_ops *ops,
		     void *ctx)
{
	struct raw_cur c;
	int r;

	raw_cur_init(&c, s->hh, sizeof(s->hh));
	if (raw_cur_u8(&c, &s->htype) < 0 || raw_cur_u24(&c, &s->hlen) < 0)
		return -TLS_R_HS_TRUNCATED; /* cannot happen: 4 bytes */
	s->hh_have = 0;
	s->hgot = 0;
	r = ops->hs_start(ctx, s->htype, s->hlen);
	if (r < 0)
		return r;
	s->keep = r == 1;
	if (s->keep && s->hlen > s->cap)
		return -TLS_R_TOO_BIG;
	s->in_body = true;
	if (s->hlen == 0) {
		s->in_body = false;
		return s->keep ? ops->hs_msg(ctx, s->htype, s->buf, 0) : 0;
	}
	return 0;
}

/* Consumes handshake payload from c (at most the current record). */
static int hs_bytes(struct tls_stream *s, const struct tls_stream_ops *ops,
		    void *ctx, struct raw_cur *c)
{
	int r;

	while (raw_cur_left(c) > 0) {
		if (!s->in_body) {
			if (raw_cur_u8(c, &s->hh[s->hh_have]) < 0)
				return -TLS_R_HS_TRUNCATED;
			if (++s->hh_have == sizeof(s->hh)) {
				r = hs_header(s, ops, ctx);
				if (r != 0)
					return r;
			}
			continue;
		}
		size_t want = s->hlen - s->hgot;
		size_t n = raw_cur_left(c) < want ? raw_cur_left(c) : want;
		const uint8_t *p;

		if (raw_cur_bytes(c, n, &p) < 0)
			return -TLS_R_HS_TRUNCATED;
		if (s->keep)
			memcpy(s->buf + s->hgot, p, n);
		s->hgot += (uint32_t)n;
		if (s->hgot == s->hlen) {
			s->in_body = false;
			if (s->keep) {
				r = ops->hs_msg(ctx, s->htype, s->buf, s->hlen);
				if (r != 0)
					return r;
			}
		}
	}
	return 0;
}

/* Screens the first bytes of the stream one by one, so that plain HTTP or
 * SSH is recognised after a single byte and handed back to plain
 * balancing rather than buffered. */
static int first_bytes(const struct tls_stream *s, const struct tls_stream_ops *ops)
{
	if (s->records != 0)
		return 0;
	if (s->rh_have >= 1) {
		uint8_t t = s->rh[0];

		if (t >= 32 || !(ops->first_types & (1u << t)))
			return -TLS_R_NOT_TLS;
	}
	if (s->rh_have >= 2 && s->rh[1] != 3)
		return -TLS_R_NOT_TLS;
	return 0;
}

int tls_stream_feed(struct tls_stream *s, const struct tls_stream_ops *ops,
		    void *ctx, const uint8_t *buf, size_t len)
{
	uint64_t base = s->off;
	struct raw_cur c;
	int r = 0;

	if (s->state != 0)
		return s->state;
	raw_cur_init(&c, buf, len);
	while (raw_cur_left(&c) > 0 && r == 0) {
		if (s->rleft == 0) {
			if (raw_cur_u8(&c, &s->rh[s->rh_have]) < 0)
				break;
			s->rh_have++;
			r = first_bytes(s, ops);
			if (r == 0 && s->rh_have == sizeof(s->rh)) {
				s->rh_have = 0;
				r = record_header(s, ops, ctx);
			}
			continue;
		}
		size_t at = raw_cur_pos(&c);
		size_t n = raw_cur_left(&c) < s->rleft ? raw_cur_left(&c) : s->rleft;
		struct raw_cur frag;

		if (raw_cur_sub(&c, n, &frag) < 0)
			break;
		s->rleft -= (uint32_t)n;
		if (s->rtype == CT_HANDSHAKE)
			r = hs_bytes(s, ops, ctx, &frag);
		if (r != 0) {
			/* Bytes after the deciding one are not consumed. */
			s->off = base + at + raw_cur_pos(&frag);
			s->state = r;
			return r;
		}
	}
	s->off = base + raw_cur_pos(&c);
	s->state = r;
	return r;
}

int tls_stream_eof(struct tls_stream *s)
{
	if (s->state != 0)
		return s->state;
	if (s->rh_have > 0 || s->rleft > 0 || s->records == 0)
		return -TLS_R_RECORD_TRUNCATED;
	if (hs_partial(s))
		return -TLS_R_HS_TRUNCATED;
	return 0;
}
