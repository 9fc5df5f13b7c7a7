/* Encoding and checking of cluster records (format in cl_rec.h). Records
 * come from Redis, which any instance (or anyone holding the password) can
 * write, so decoding treats them as untrusted bytes. */
#include "cluster/cl_rec.h"

#include <errno.h>
#include <string.h>

#include "splicekit/cursor.h"

static const uint8_t magic[4] = {'S', 'K', 'C', 1};

/* The rules both directions enforce; returns NULL or what is wrong. */
static const char *check(const struct cl_rec *r)
{
	if (r->type < CL_REC_SESSION || r->type > CL_REC_IDLE)
		return "type";
	if (r->origin_len == 0 || r->origin_len > CL_ORIGIN_MAX)
		return "origin length";
	if (r->key_len == 0 || r->key_len > CL_KEY_MAX)
		return "key length";
	if (r->type == CL_REC_SESSION ? r->n_cands == 0 || r->n_cands > CL_CANDS_MAX
				      : r->n_cands != 1)
		return "candidate count";
	for (unsigned i = 0; i < r->n_cands; i++) {
		if (r->cands[i].family != 4 && r->cands[i].family != 6)
			return "candidate family";
		if (r->cands[i].port == 0)
			return "candidate port";
	}
	return NULL;
}

struct wbuf {
	uint8_t *p;
	size_t len, off;
	int err;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
	if (w->err || n > w->len - w->off) {
		w->err = -ENOSPC;
		return;
	}
	memcpy(w->p + w->off, src, n);
	w->off += n;
}

static void put_be(struct wbuf *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put(w, b, bytes);
}

int cl_rec_encode(const struct cl_rec *r, uint8_t *buf, size_t len)
{
	struct wbuf w = {buf, len, 0, 0};

	if (check(r))
		return -EINVAL;
	put(&w, magic, sizeof(magic));
	put_be(&w, r->type, 1);
	put_be(&w, r->origin_len, 1);
	put(&w, r->origin, r->origin_len);
	put_be(&w, r->key_len, 1);
	put(&w, r->key, r->key_len);
	put_be(&w, r->ttl_ms, 4);
	put_be(&w, r->sent_us, 8);
	put_be(&w, r->n_cands, 1);
	for (unsigned i = 0; i < r->n_cands; i++) {
		const struct cl_cand *c = &r->cands[i];

		put_be(&w, c->family, 1);
		put(&w, c->addr, c->family == 4 ? 4 : 16);
		put_be(&w, c->port, 2);
		put_be(&w, c->stamp_ms, 8);
	}
	return w.err ? w.err : (int)w.off;
}

static int fail(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -EBADMSG;
}

static int get_u64(struct raw_cur *c, uint64_t *v)
{
	uint32_t hi, lo;

	if (raw_cur_u32(c, &hi) || raw_cur_u32(c, &lo))
		return -EBADMSG;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int cl_rec_decode(const void *buf, size_t len, struct cl_rec *r, const char **why)
{
	struct raw_cur c;
	const uint8_t *p;
	const char *bad;

	memset(r, 0, sizeof(*r));
	raw_cur_init(&c, buf, len);
	if (raw_cur_bytes(&c, 4, &p) || memcmp(p, magic, 3) != 0)
		return fail(why, "magic");
	if (p[3] != magic[3])
		return fail(why, "version");
	if (raw_cur_u8(&c, &r->type))
		return fail(why, "type");
	if (raw_cur_u8(&c, &r->origin_len) || r->origin_len == 0 ||
	    r->origin_len > CL_ORIGIN_MAX || raw_cur_bytes(&c, r->origin_len, &p))
		return fail(why, "origin length");
	memcpy(r->origin, p, r->origin_len);
	if (raw_cur_u8(&c, &r->key_len) || r->key_len == 0 ||
	    r->key_len > CL_KEY_MAX || raw_cur_bytes(&c, r->key_len, &p))
		return fail(why, "key length");
	memcpy(r->key, p, r->key_len);
	if (raw_cur_u32(&c, &r->ttl_ms) || get_u64(&c, &r->sent_us))
		return fail(why, "times");
	if (raw_cur_u8(&c, &r->n_cands) || r->n_cands > CL_CANDS_MAX ||
	    (r->type == CL_REC_SESSION ? r->n_cands == 0 : r->n_cands != 1))
		return fail(why, "candidate count");
	for (unsigned i = 0; i < r->n_cands; i++) {
		struct cl_cand *k = &r->cands[i];

		if (raw_cur_u8(&c, &k->family))
			return fail(why, "candidate family");
		if (k->family != 4 && k->family != 6)
			return fail(why, "candidate family");
		if (raw_cur_bytes(&c, k->family == 4 ? 4 : 16, &p))
			return fail(why, "candidate address");
		memcpy(k->addr, p, k->family == 4 ? 4 : 16);
		if (raw_cur_u16(&c, &k->port) || get_u64(&c, &k->stamp_ms))
			return fail(why, "candidate port or stamp");
	}
	if (raw_cur_left(&c) != 0)
		return fail(why, "trailing bytes");
	bad = check(r);
	return bad ? fail(why, bad) : 0;
}

void cl_cand_key(const struct cl_cand *c, uint8_t out[CL_CAND_KEY])
{
	out[0] = c->family;
	memcpy(out + 1, c->addr, 16);
	out[17] = (uint8_t)(c->port >> 8);
	out[18] = (uint8_t)c->port;
}
