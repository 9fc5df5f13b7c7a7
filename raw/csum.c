/* Internet checksum, RFC 1071, and incremental update, RFC 1624. */
#include <arpa/inet.h>
#include <string.h>

#include "splicekit/cursor.h"
#include "splicekit/raw_consts.h"
#include "splicekit/raw_csum.h"
#include "splicekit/raw_pkt.h"

/* Folds a wide accumulator to 16 bits with end-around carry. */
static uint16_t fold16(uint64_t s)
{
	/* < 2^33, then < 0x30000, then <= 0x10001, then <= 0xffff. */
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint32_t raw_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	uint64_t acc = 0;

	/* One's-complement addition does not care about byte order (RFC
	 * 1071 2(B)): add native 32-bit loads and swap the folded result
	 * once, instead of assembling every big-endian word. */
	while (len >= 4) {
		uint32_t w;
		memcpy(&w, b, 4);
		acc += w;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, b, 2);
		acc += w;
		b += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = { b[0], 0 };
		uint16_t w;
		memcpy(&w, last, 2);
		acc += w;
	}
	return fold16((uint64_t)sum + ntohs(fold16(acc)));
}

uint16_t raw_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold16(sum);
}

uint16_t raw_csum(const void *buf, size_t len)
{
	return raw_csum_fold(raw_csum_add(0, buf, len));
}

uint16_t raw_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
	/* ~m + m' is the change in one's-complement arithmetic; adding it to
	 * ~HC (the sum) and complementing gives HC'. Eqn. 3 avoids eqn. 2's
	 * -0 result. */
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~old;
	s += new_;
	return raw_csum_fold(s);
}

uint16_t raw_csum_update32(uint16_t csum, uint32_t old, uint32_t new_)
{
	uint32_t s = (uint16_t)~csum;

	s += (uint16_t)~(old >> 16);
	s += (uint16_t)~old;
	s += new_ >> 16;
	s += new_ & 0xffff;
	return raw_csum_fold(s);
}

uint16_t raw_csum_update_bytes(uint16_t csum, const uint8_t *old,
			       const uint8_t *new_, size_t len)
{
	uint64_t s = (uint16_t)~csum;

	/* Eqn. 3 word by word: ~m + m' for each 16-bit word; an odd last
	 * byte is the high half of a zero-padded word. */
	for (size_t i = 0; i + 1 < len; i += 2) {
		s += (uint16_t)~(old[i] << 8 | old[i + 1]);
		s += (uint32_t)(new_[i] << 8 | new_[i + 1]);
	}
	if (len & 1) {
		s += (uint16_t)~(old[len - 1] << 8);
		s += (uint32_t)new_[len - 1] << 8;
	}
	return (uint16_t)~fold16(s);
}

uint32_t raw_csum_pseudo4(const uint8_t *saddr, const uint8_t *daddr,
			  uint8_t proto, uint32_t l4_len)
{
	uint32_t s = raw_csum_add(0, saddr, RAW_IPV4_ALEN);

	s = raw_csum_add(s, daddr, RAW_IPV4_ALEN);
	return fold16((uint64_t)s + proto + (l4_len & 0xffff));
}

uint32_t raw_csum_pseudo6(const uint8_t *saddr, const uint8_t *daddr,
			  uint8_t proto, uint32_t l4_len)
{
	uint32_t s = raw_csum_add(0, saddr, RAW_IPV6_ALEN);

	s = raw_csum_add(s, daddr, RAW_IPV6_ALEN);
	return fold16((uint64_t)s + proto + (l4_len >> 16) + (l4_len & 0xffff));
}

/* Returns a pointer to buf[off..off+n) of p's parsed bytes, checked against
 * p->len, or NULL. */
static const uint8_t *span(const struct raw_pkt *p, size_t off, size_t n)
{
	struct raw_cur c;
	const uint8_t *b;

	raw_cur_init(&c, p->buf, p->len);
	if (raw_cur_skip(&c, off) < 0 || raw_cur_bytes(&c, n, &b) < 0)
		return NULL;
	return b;
}

/* Sum of n bytes at off, skipping the 2-byte checksum field at csum_rel
 * (relative to off, even). */
static uint32_t sum_skipping(const struct raw_pkt *p, size_t off, size_t n,
			     size_t csum_rel)
{
	const uint8_t *b = span(p, off, n);

	if (!b || csum_rel + 2 > n)
		return 0;
	return raw_csum_add(raw_csum_add(0, b, csum_rel), b + csum_rel + 2,
			    n - csum_rel - 2);
}

uint16_t raw_ipv4_csum_compute(const struct raw_pkt *p)
{
	return raw_csum_fold(sum_skipping(p, p->l3_off, p->l3_hlen,
					  RAW_IPV4_OFF_CSUM));
}

void raw_ipv4_csum_set(struct raw_pkt *p)
{
	uint16_t c;

	if (p->ethertype != RAW_ETHERTYPE_IPV4 || p->l3_hlen < RAW_IPV4_HLEN_MIN)
		return;
	c = raw_ipv4_csum_compute(p);
	p->buf[p->l3_off + RAW_IPV4_OFF_CSUM] = (uint8_t)(c >> 8);
	p->buf[p->l3_off + RAW_IPV4_OFF_CSUM + 1] = (uint8_t)c;
}

bool raw_ipv4_csum_ok(const struct raw_pkt *p)
{
	const uint8_t *b;

	if (p->ethertype != RAW_ETHERTYPE_IPV4 || p->l3_hlen < RAW_IPV4_HLEN_MIN)
		return false;
	b = span(p, p->l3_off, p->l3_hlen);
	return b && raw_csum(b, p->l3_hlen) == 0;
}

static uint32_t pseudo(const struct raw_pkt *p)
{
	if (p->ethertype == RAW_ETHERTYPE_IPV4)
		return raw_csum_pseudo4(p->saddr, p->daddr, p->l4_proto, p->l4_len);
	return raw_csum_pseudo6(p->saddr, p->daddr, p->l4_proto, p->l4_len);
}

uint16_t raw_tcp_csum_compute(const struct raw_pkt *p)
{
	uint32_t s = sum_skipping(p, p->l4_off, p->l4_len, RAW_TCP_OFF_CSUM);

	return raw_csum_fold(fold16((uint64_t)s + pseudo(p)));
}

void raw_tcp_csum_set(struct raw_pkt *p)
{
	uint16_t c;

	if (!p->is_tcp)
		return;
	c = raw_tcp_csum_compute(p);
	p->buf[p->l4_off + RAW_TCP_OFF_CSUM] = (uint8_t)(c >> 8);
	p->buf[p->l4_off + RAW_TCP_OFF_CSUM + 1] = (uint8_t)c;
}

bool raw_tcp_csum_ok(const struct raw_pkt *p)
{
	const uint8_t *b;

	if (!p->is_tcp)
		return false;
	b = span(p, p->l4_off, p->l4_len);
	return b && raw_csum_fold(raw_csum_add(pseudo(p), b, p->l4_len)) == 0;
}
