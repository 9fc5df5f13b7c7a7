/* In-place TCP/IP header rewrite with incremental checksums (RFC 1624). */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "splicekit/cursor.h"
#include "splicekit/raw_consts.h"
#include "splicekit/raw_csum.h"
#include "splicekit/raw_rewrite.h"

/* Reads the 16-bit field at buffer offset off (already inside p->len). */
static uint16_t get16(const struct raw_pkt *p, size_t off)
{
	struct raw_cur c;
	uint16_t v = 0;

	raw_cur_init(&c, p->buf, p->len);
	if (raw_cur_skip(&c, off) == 0)
		(void)raw_cur_u16(&c, &v);
	return v;
}

static void set_tcp_csum(struct raw_pkt *p, uint16_t c)
{
	put16(p->buf + p->l4_off + RAW_TCP_OFF_CSUM, c);
}

static uint16_t tcp_csum(const struct raw_pkt *p)
{
	return get16(p, p->l4_off + RAW_TCP_OFF_CSUM);
}

/* One's-complement sum (folded, not complemented) of seg[a..a+n), where the
 * segment is l4_len long; a is even relative to the segment, so word
 * alignment matches the checksum's. */
static uint16_t seg_sum(const struct raw_pkt *p, size_t a, size_t n)
{
	return (uint16_t)~raw_csum_fold(raw_csum_add(0, p->buf + p->l4_off + a, n));
}

/* Windows up to this size (every header and option field) are updated
 * from a copy of their old words. */
#define SMALL_SPAN 64

int raw_rw_tcp_bytes(struct raw_pkt *p, uint32_t off, const void *src,
		     size_t len)
{
	size_t rel, a, e;
	uint16_t before, after;
	uint32_t s;

	if (!p->is_tcp)
		return -EINVAL;
	if (off < p->l4_off || len > p->l4_len ||
	    off - p->l4_off > p->l4_len - len)
		return -ERANGE;
	rel = off - p->l4_off;
	/* The checksum field cannot checksum itself. */
	if (len && rel < RAW_TCP_OFF_CSUM + 2 && rel + len > RAW_TCP_OFF_CSUM)
		return -ERANGE;
	if (len == 0)
		return 0;
	/* Widen to whole 16-bit words of the segment so a field at an odd
	 * offset (options after a single NOP) is summed in the right byte
	 * lanes; a last odd byte is padded with zero, as in the checksum. */
	a = rel & ~(size_t)1;
	e = rel + len + 1;
	e &= ~(size_t)1;
	if (e > p->l4_len)
		e = p->l4_len;
	if (e - a <= SMALL_SPAN) {
		/* Header fields: keep the old words and apply eqn. 3 to the
		 * window directly, instead of summing it twice. */
		uint8_t old[SMALL_SPAN];
		uint8_t *w = p->buf + p->l4_off + a;

		memcpy(old, w, e - a);
		memcpy(p->buf + off, src, len);
		set_tcp_csum(p, raw_csum_update_bytes(tcp_csum(p), old, w, e - a));
		return 0;
	}
	before = seg_sum(p, a, e - a);
	memcpy(p->buf + off, src, len);
	after = seg_sum(p, a, e - a);
	s = (uint16_t)~tcp_csum(p);
	s += (uint16_t)~before;
	s += after;
	set_tcp_csum(p, raw_csum_fold(s));
	return 0;
}

static int set_addr(struct raw_pkt *p, const uint8_t *addr, bool src)
{
	unsigned alen;
	uint32_t off;
	uint8_t *mine;

	if (!p->is_tcp)
		return -EINVAL;
	alen = raw_pkt_alen(p);
	mine = src ? p->saddr : p->daddr;
	if (p->ethertype == RAW_ETHERTYPE_IPV4) {
		uint32_t csum_off = p->l3_off + RAW_IPV4_OFF_CSUM;

		off = p->l3_off + (src ? RAW_IPV4_OFF_SADDR : RAW_IPV4_OFF_DADDR);
		put16(p->buf + csum_off,
		      raw_csum_update_bytes(get16(p, csum_off), mine, addr, alen));
	} else {
		off = p->l3_off + (src ? RAW_IPV6_OFF_SADDR : RAW_IPV6_OFF_DADDR);
	}
	/* The address is in the TCP pseudo-header. */
	set_tcp_csum(p, raw_csum_update_bytes(tcp_csum(p), mine, addr, alen));
	memcpy(p->buf + off, addr, alen);
	memcpy(mine, addr, alen);
	return 0;
}

int raw_rw_ttl_dec(struct raw_pkt *p)
{
	uint32_t off;

	if (p->reason != RAW_R_OK || p->l3_hlen == 0)
		return -EINVAL;
	if (p->ttl <= 1)
		return -ETIMEDOUT;
	if (p->ethertype == RAW_ETHERTYPE_IPV4) {
		/* TTL is the high byte of the word it shares with protocol. */
		uint32_t csum_off = p->l3_off + RAW_IPV4_OFF_CSUM;
		uint16_t old = (uint16_t)(p->ttl << 8 | p->buf[p->l3_off + 9]);

		off = p->l3_off + 8;
		put16(p->buf + csum_off,
		      raw_csum_update16(get16(p, csum_off), old, (uint16_t)(old - 0x100)));
	} else {
		off = p->l3_off + 7;
	}
	p->buf[off] = --p->ttl;
	return 0;
}

int raw_rw_saddr(struct raw_pkt *p, const uint8_t *addr)
{
	return set_addr(p, addr, true);
}

int raw_rw_daddr(struct raw_pkt *p, const uint8_t *addr)
{
	return set_addr(p, addr, false);
}

static int write16(struct raw_pkt *p, uint32_t rel, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	return raw_rw_tcp_bytes(p, p->l4_off + rel, b, sizeof(b));
}

static int write32(struct raw_pkt *p, uint32_t rel, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	return raw_rw_tcp_bytes(p, p->l4_off + rel, b, sizeof(b));
}

int raw_rw_sport(struct raw_pkt *p, uint16_t port)
{
	int r = write16(p, 0, port);

	if (r == 0)
		p->sport = port;
	return r;
}

int raw_rw_dport(struct raw_pkt *p, uint16_t port)
{
	int r = write16(p, 2, port);

	if (r == 0)
		p->dport = port;
	return r;
}

int raw_rw_seq(struct raw_pkt *p, uint32_t v)
{
	int r = write32(p, RAW_TCP_OFF_SEQ, v);

	if (r == 0)
		p->seq = v;
	return r;
}

int raw_rw_ack(struct raw_pkt *p, uint32_t v)
{
	int r = write32(p, RAW_TCP_OFF_ACK, v);

	if (r == 0)
		p->ack = v;
	return r;
}

int raw_rw_seq_add(struct raw_pkt *p, uint32_t delta)
{
	return raw_rw_seq(p, p->seq + delta);
}

int raw_rw_ack_add(struct raw_pkt *p, uint32_t delta)
{
	return raw_rw_ack(p, p->ack + delta);
}

int raw_rw_window(struct raw_pkt *p, uint16_t win)
{
	int r = write16(p, RAW_TCP_OFF_WIN, win);

	if (r == 0)
		p->window = win;
	return r;
}

/* The number of SACK blocks to rewrite, or -EINVAL / -ENOENT. */
static int sack_blocks(const struct raw_pkt *p, const struct raw_tcpopts *o)
{
	if (!p->is_tcp)
		return -EINVAL;
	if (!(o->present & RAW_TCPOPT_F_SACK) || o->sack_n == 0)
		return -ENOENT;
	return o->sack_n > RAW_TCP_SACK_MAX ? RAW_TCP_SACK_MAX : o->sack_n;
}

int raw_rw_sack_add(struct raw_pkt *p, struct raw_tcpopts *o, uint32_t delta)
{
	uint8_t b[RAW_TCP_SACK_MAX * RAW_TCPOLEN_SACK_BLOCK];
	unsigned n;
	int r;

	r = sack_blocks(p, o);
	if (r < 0)
		return r;
	n = (unsigned)r;
	for (unsigned i = 0; i < n; i++) {
		put32(b + 8 * i, o->sack[i].left + delta);
		put32(b + 8 * i + 4, o->sack[i].right + delta);
	}
	/* One write for all blocks: one checksum update. */
	r = raw_rw_tcp_bytes(p, p->opt_off + o->sack_off + 2u, b, 8u * n);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++) {
		o->sack[i].left += delta;
		o->sack[i].right += delta;
	}
	return 0;
}

int raw_rw_sack_drop_left_in(struct raw_pkt *p, struct raw_tcpopts *o,
			     uint32_t lo, uint32_t hi)
{
	uint8_t b[2 + RAW_TCP_SACK_MAX * RAW_TCPOLEN_SACK_BLOCK];
	unsigned n, k = 0;
	size_t len;
	int r;

	r = sack_blocks(p, o);
	if (r < 0)
		return r;
	n = (unsigned)r;
	len = 2 + RAW_TCPOLEN_SACK_BLOCK * n; /* the parser checked this */
	/* The option keeps its place and size: kept blocks first, in their
	 * order (the first may be a D-SACK), NOPs where dropped ones were. */
	memset(b, RAW_TCPOPT_NOP, sizeof(b));
	for (unsigned i = 0; i < n; i++) {
		/* Offsets from lo: one comparison covers a range that wraps. */
		if (o->sack[i].left - lo <= hi - lo)
			continue;
		put32(b + 2 + 8 * k, o->sack[i].left);
		put32(b + 2 + 8 * k + 4, o->sack[i].right);
		o->sack[k++] = o->sack[i];
	}
	if (k == n)
		return 0;
	if (k) {
		b[0] = RAW_TCPOPT_SACK;
		b[1] = (uint8_t)(2 + RAW_TCPOLEN_SACK_BLOCK * k);
	}
	r = raw_rw_tcp_bytes(p, p->opt_off + o->sack_off, b, len);
	if (r < 0)
		return r;
	o->sack_n = (uint8_t)k;
	if (!k)
		o->present &= ~RAW_TCPOPT_F_SACK;
	return (int)(n - k);
}

int raw_rw_sack_keep_after(struct raw_pkt *p, struct raw_tcpopts *o,
			   uint32_t edge)
{
	/* Not after edge: the half of the sequence space that ends there. */
	return raw_rw_sack_drop_left_in(p, o, edge + 0x80000000u, edge);
}

int raw_rw_ts(struct raw_pkt *p, struct raw_tcpopts *o, uint32_t tsval,
	      uint32_t tsecr)
{
	uint8_t b[8];
	int r;

	if (!p->is_tcp)
		return -EINVAL;
	if (!(o->present & RAW_TCPOPT_F_TS))
		return -ENOENT;
	put32(b, tsval);
	put32(b + 4, tsecr);
	r = raw_rw_tcp_bytes(p, p->opt_off + o->ts_off + 2u, b, sizeof(b));
	if (r == 0) {
		o->tsval = tsval;
		o->tsecr = tsecr;
	}
	return r;
}

int raw_rw_mss(struct raw_pkt *p, struct raw_tcpopts *o, uint16_t mss)
{
	uint8_t b[2];
	int r;

	if (!p->is_tcp)
		return -EINVAL;
	if (!(o->present & RAW_TCPOPT_F_MSS))
		return -ENOENT;
	put16(b, mss);
	r = raw_rw_tcp_bytes(p, p->opt_off + o->mss_off + 2u, b, sizeof(b));
	if (r == 0)
		o->mss = mss;
	return r;
}

int raw_rw_mss_clamp(struct raw_pkt *p, struct raw_tcpopts *o, uint16_t max)
{
	int r;

	if (!p->is_tcp)
		return -EINVAL;
	if (!(o->present & RAW_TCPOPT_F_MSS))
		return -ENOENT;
	if (o->mss <= max)
		return 0;
	r = raw_rw_mss(p, o, max);
	return r < 0 ? r : 1;
}
