/* TCP option iterator and parser: policy in raw_tcpopt.h. */
#include <errno.h>
#include <string.h>

#include "splicekit/raw_consts.h"
#include "splicekit/raw_tcpopt.h"

void raw_tcpopt_iter_init(struct raw_tcpopt_iter *it, const uint8_t *opt,
			  size_t len)
{
	/* Keeps every offset within the uint8_t fields that report it. */
	if (len > RAW_TCP_HLEN_MAX - RAW_TCP_HLEN_MIN)
		len = RAW_TCP_HLEN_MAX - RAW_TCP_HLEN_MIN;
	raw_cur_init(&it->c, opt, len);
}

static int fail(struct raw_tcpopt_iter *it, enum raw_reason *why,
		enum raw_reason r)
{
	/* Park at the end so a caller that keeps calling sees the end, not
	 * a second reading of the same garbage. */
	it->c.off = it->c.len;
	if (why)
		*why = r;
	return -EBADMSG;
}

int raw_tcpopt_next(struct raw_tcpopt_iter *it, struct raw_tcpopt *o,
		    enum raw_reason *why)
{
	for (;;) {
		size_t off = raw_cur_pos(&it->c);
		uint8_t kind, len;

		if (raw_cur_u8(&it->c, &kind) < 0)
			return 0;
		if (kind == RAW_TCPOPT_EOL) {
			it->c.off = it->c.len;
			return 0;
		}
		if (kind == RAW_TCPOPT_NOP)
			continue;
		if (raw_cur_u8(&it->c, &len) < 0)
			return fail(it, why, RAW_R_TCPOPT_TRUNC);
		if (len < 2)
			return fail(it, why, RAW_R_TCPOPT_LEN);
		if (raw_cur_bytes(&it->c, len - 2u, &o->data) < 0)
			return fail(it, why, RAW_R_TCPOPT_TRUNC);
		o->kind = kind;
		o->len = len;
		o->off = (uint8_t)off;
		return 1;
	}
}

/* Checks the fixed length and uniqueness of a known option and marks it
 * present. */
static int claim(struct raw_tcpopts *o, unsigned bit, bool len_ok,
		 enum raw_reason *why)
{
	if (!len_ok) {
		*why = RAW_R_TCPOPT_BADLEN;
		return -EBADMSG;
	}
	if (o->present & bit) {
		*why = RAW_R_TCPOPT_DUP;
		return -EBADMSG;
	}
	o->present |= bit;
	return 0;
}

static int known(struct raw_tcpopts *o, const struct raw_tcpopt *t,
		 enum raw_reason *why)
{
	struct raw_cur c;
	int r;

	raw_cur_init(&c, t->data, t->len - 2u);
	switch (t->kind) {
	case RAW_TCPOPT_MSS:
		r = claim(o, RAW_TCPOPT_F_MSS, t->len == RAW_TCPOLEN_MSS, why);
		if (r == 0) {
			(void)raw_cur_u16(&c, &o->mss);
			o->mss_off = t->off;
		}
		return r;
	case RAW_TCPOPT_WSCALE:
		r = claim(o, RAW_TCPOPT_F_WSCALE, t->len == RAW_TCPOLEN_WSCALE, why);
		if (r == 0) {
			(void)raw_cur_u8(&c, &o->wscale);
			o->wscale_off = t->off;
		}
		return r;
	case RAW_TCPOPT_SACK_PERM:
		r = claim(o, RAW_TCPOPT_F_SACK_PERM,
			  t->len == RAW_TCPOLEN_SACK_PERM, why);
		if (r == 0)
			o->sack_perm_off = t->off;
		return r;
	case RAW_TCPOPT_SACK:
		r = claim(o, RAW_TCPOPT_F_SACK,
			  t->len >= 2 + RAW_TCPOLEN_SACK_BLOCK &&
				  t->len <= 2 + RAW_TCP_SACK_MAX * RAW_TCPOLEN_SACK_BLOCK &&
				  (t->len - 2) % RAW_TCPOLEN_SACK_BLOCK == 0,
			  why);
		if (r == 0) {
			o->sack_n = (uint8_t)((t->len - 2) / RAW_TCPOLEN_SACK_BLOCK);
			for (unsigned i = 0; i < o->sack_n; i++) {
				(void)raw_cur_u32(&c, &o->sack[i].left);
				(void)raw_cur_u32(&c, &o->sack[i].right);
			}
			o->sack_off = t->off;
		}
		return r;
	case RAW_TCPOPT_TS:
		r = claim(o, RAW_TCPOPT_F_TS, t->len == RAW_TCPOLEN_TS, why);
		if (r == 0) {
			(void)raw_cur_u32(&c, &o->tsval);
			(void)raw_cur_u32(&c, &o->tsecr);
			o->ts_off = t->off;
		}
		return r;
	default:
		/* Unknown kinds are kept on the wire and skipped here. */
		if (o->n_unknown < UINT8_MAX)
			o->n_unknown++;
		return 0;
	}
}

int raw_tcpopt_parse(const uint8_t *opt, size_t len, struct raw_tcpopts *o,
		     enum raw_reason *why)
{
	struct raw_tcpopt_iter it;
	struct raw_tcpopt t;
	enum raw_reason dummy;
	int r;

	if (!why)
		why = &dummy;
	memset(o, 0, sizeof(*o));
	if (len > RAW_TCP_HLEN_MAX - RAW_TCP_HLEN_MIN)
		return -EINVAL;
	raw_tcpopt_iter_init(&it, opt, len);
	while ((r = raw_tcpopt_next(&it, &t, why)) == 1) {
		r = known(o, &t, why);
		if (r < 0)
			return r;
	}
	return r;
}

int raw_pkt_tcpopts(struct raw_pkt *p, struct raw_tcpopts *o)
{
	struct raw_cur c;
	const uint8_t *opt;

	if (!p->is_tcp) {
		memset(o, 0, sizeof(*o));
		p->reason = RAW_R_NOT_TCP;
		return -EINVAL;
	}
	raw_cur_init(&c, p->buf, p->len);
	if (raw_cur_skip(&c, p->opt_off) < 0 ||
	    raw_cur_bytes(&c, p->opt_len, &opt) < 0) {
		memset(o, 0, sizeof(*o));
		p->reason = RAW_R_TCPOPT_TRUNC;
		return -EBADMSG;
	}
	return raw_tcpopt_parse(opt, p->opt_len, o, &p->reason);
}
