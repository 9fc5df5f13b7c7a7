/* splice_syn: secrets, keyed ISNs and SYN cookies.
 *
 * What a deployment relies on: every worker (and a second spliced given
 * the same key) computes the same ISN; ISNs differ for any change of
 * tuple, slot or key; the ISN is SipHash-2-4 over the documented bytes
 * (checked against OpenSSL's independent SipHash); a cookie survives one
 * rotation for one slot and no longer; and an ACK that is off in any
 * field the cookie binds is refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_pkt.h>
#include "splice/syn/splice_syn.h"

static const uint8_t key_a[16] = "0123456789abcdef";
static const uint8_t key_b[16] = "fedcba9876543210";
static const uint8_t key_c[16] = "ABCDEFGHIJKLMNOP";

/* Slot 100 starts here; T0 + 63 is still slot 100. */
#define T0 (100u * SSYN_SLOT_SECS)

static struct ssyn_tuple tup4(uint16_t cport)
{
	struct ssyn_tuple t = { .family = AF_INET, .cport = cport, .vport = 443 };

	memcpy(t.caddr, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	memcpy(t.vaddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	return t;
}

static struct ssyn_tuple tup6(uint16_t cport)
{
	struct ssyn_tuple t = { .family = AF_INET6, .cport = cport, .vport = 443 };

	t.caddr[0] = 0xfd; t.caddr[15] = 2;
	t.vaddr[0] = 0xfd; t.vaddr[15] = 1;
	return t;
}

static struct ssyn_secret secret(const uint8_t *key, uint64_t now)
{
	struct ssyn_secret s;

	cr_assert_eq(ssyn_secret_init(&s, key, now), 0);
	return s;
}

/* SipHash-2-4 via OpenSSL's EVP_MAC (an implementation we did not write),
 * read as the little-endian 64-bit value the paper defines. */
static uint64_t ossl_siphash(const uint8_t key[16], const uint8_t *m, size_t n)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx;
	size_t size = 8, outl = 0;
	uint8_t out[8];
	uint64_t v = 0;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
		OSSL_PARAM_END,
	};

	cr_assert_not_null(mac, "OpenSSL has no SIPHASH");
	ctx = EVP_MAC_CTX_new(mac);
	cr_assert_not_null(ctx);
	cr_assert(EVP_MAC_init(ctx, key, 16, p));
	cr_assert(EVP_MAC_update(ctx, m, n));
	cr_assert(EVP_MAC_final(ctx, out, &outl, sizeof out));
	cr_assert_eq(outl, 8);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | out[i];
	return v;
}

/* The 52-byte message of splice_syn_int.h, written out independently. */
static size_t isn_msg(uint8_t *m, const struct ssyn_tuple *t, uint64_t slot)
{
	size_t k = 0;

	memcpy(m, t->caddr, 16);
	memcpy(m + 16, t->vaddr, 16);
	k = 32;
	m[k++] = (uint8_t)(t->cport >> 8);
	m[k++] = (uint8_t)t->cport;
	m[k++] = (uint8_t)(t->vport >> 8);
	m[k++] = (uint8_t)t->vport;
	m[k++] = t->family;
	m[k++] = 1;               /* domain: ISN */
	m[k++] = 0;
	m[k++] = 0;               /* no extra bits */
	for (int i = 7; i >= 0; i--)
		m[k++] = (uint8_t)(slot >> (8 * i));
	for (int i = 0; i < 4; i++)
		m[k++] = 0;       /* no client ISN in an ISN */
	return k;
}

Test(splice_syn_isn, matches_openssl_siphash)
{
	struct ssyn_tuple ts[2] = { tup4(40000), tup6(51234) };
	struct ssyn_secret s = secret(key_a, 0);
	uint8_t m[64];

	for (int i = 0; i < 2; i++)
		for (uint64_t now = 0; now < 10 * SSYN_SLOT_SECS; now += 37) {
			size_t n = isn_msg(m, &ts[i], now / SSYN_SLOT_SECS);

			cr_assert_eq(n, 52);
			cr_assert_eq(ssyn_isn(&s, &ts[i], now),
				     (uint32_t)ossl_siphash(key_a, m, n),
				     "family %u now %llu", ts[i].family,
				     (unsigned long long)now);
		}
}

/* Two workers initialise their copies at different times from the same
 * key (and rotate in different slots): both must answer a SYN with the
 * same ISN, so a retransmitted SYN landing on another worker gets the
 * same SYN-ACK. */
Test(splice_syn_isn, same_key_same_isn_in_every_worker)
{
	struct ssyn_secret w1 = secret(key_a, 5), w2 = secret(key_a, T0 + 30);
	struct ssyn_tuple ts[2] = { tup4(40000), tup6(40000) };

	for (int i = 0; i < 2; i++)
		for (uint64_t now = T0; now < T0 + 4 * SSYN_SLOT_SECS; now += 13)
			cr_assert_eq(ssyn_isn(&w1, &ts[i], now), ssyn_isn(&w2, &ts[i], now));
	cr_assert_eq(ssyn_secret_rotate(&w1, key_b, T0), 0);
	cr_assert_eq(ssyn_secret_rotate(&w2, key_b, T0 + 70), 0);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(ssyn_isn(&w1, &ts[i], T0 + 200), ssyn_isn(&w2, &ts[i], T0 + 200));
	/* Within a slot the ISN is stable; a retransmitted SYN gets it. */
	cr_assert_eq(ssyn_isn(&w1, &ts[0], T0), ssyn_isn(&w1, &ts[0], T0 + SSYN_SLOT_SECS - 1));
}

Test(splice_syn_isn, differs_by_tuple_slot_key_family)
{
	struct ssyn_secret a = secret(key_a, T0), b = secret(key_b, T0);
	struct ssyn_tuple base = tup4(40000), t;
	uint32_t isn = ssyn_isn(&a, &base, T0);
	uint32_t seen[16];
	int n = 0;

	t = base; t.caddr[3] ^= 1;   seen[n++] = ssyn_isn(&a, &t, T0);
	t = base; t.vaddr[3] ^= 1;   seen[n++] = ssyn_isn(&a, &t, T0);
	t = base; t.cport++;         seen[n++] = ssyn_isn(&a, &t, T0);
	t = base; t.vport++;         seen[n++] = ssyn_isn(&a, &t, T0);
	/* Same 16 address bytes, other family. */
	t = base; t.family = AF_INET6; seen[n++] = ssyn_isn(&a, &t, T0);
	/* Client and VIP swapped: the reverse direction is another flow. */
	t = base; memcpy(t.caddr, base.vaddr, 16); memcpy(t.vaddr, base.caddr, 16);
	seen[n++] = ssyn_isn(&a, &t, T0);
	seen[n++] = ssyn_isn(&a, &base, T0 + SSYN_SLOT_SECS);
	seen[n++] = ssyn_isn(&a, &base, T0 - 1);
	seen[n++] = ssyn_isn(&b, &base, T0);
	for (int i = 0; i < n; i++) {
		cr_assert_neq(seen[i], isn, "variant %d gave the base ISN", i);
		for (int j = 0; j < i; j++)
			cr_assert_neq(seen[i], seen[j], "variants %d and %d", i, j);
	}
	/* Rotation changes the ISN from then on. */
	cr_assert_eq(ssyn_secret_rotate(&a, key_b, T0), 0);
	cr_assert_eq(ssyn_isn(&a, &base, T0), ssyn_isn(&b, &base, T0));
}

/* 2^16 client ports: 32-bit ISNs should (birthday bound ~0.5 collisions)
 * be nearly all distinct; a broken hash (ignoring the port, truncating)
 * collapses them. */
Test(splice_syn_isn, ports_spread)
{
	static uint32_t v[65536];
	struct ssyn_secret s = secret(key_a, T0);
	unsigned dup = 0, hi = 0;

	for (uint32_t p = 0; p < 65536; p++) {
		struct ssyn_tuple t = tup4((uint16_t)p);

		v[p] = ssyn_isn(&s, &t, T0);
		hi += v[p] >> 31;
	}
	for (uint32_t p = 0; p < 65536; p++)
		for (uint32_t q = p + 1; q < 65536 && q < p + 64; q++)
			dup += v[p] == v[q];
	cr_assert_leq(dup, 2);
	/* Top bit set about half the time: 32768 +- 5 sigma (640). */
	cr_assert(hi > 32768 - 640 && hi < 32768 + 640, "top bit set %u times", hi);
}

Test(splice_syn_isn, random_key_init)
{
	struct ssyn_secret a, b;
	struct ssyn_tuple t = tup4(1);

	cr_assert_eq(ssyn_secret_init(&a, NULL, T0), 0);
	cr_assert_eq(ssyn_secret_init(&b, NULL, T0), 0);
	cr_assert(memcmp(a.cur, b.cur, sizeof a.cur) != 0);
	cr_assert_neq(ssyn_isn(&a, &t, T0), ssyn_isn(&b, &t, T0));
	cr_assert_eq(ssyn_secret_rotate(&a, NULL, T0), 0);
	cr_assert(a.has_prev);
}

/* --- cookies --- */

static const struct ssyn_opts full = {
	.mss = 1460, .wscale = 7, .sack_perm = true, .ts = true, .tsval = 99,
};

static int check(const struct ssyn_secret *s, const struct ssyn_tuple *t,
		 uint32_t client_isn, uint32_t cookie, uint64_t now)
{
	return ssyn_cookie_check(s, t, client_isn + 1, cookie + 1, now, NULL);
}

Test(splice_syn_cookie, lives_this_slot_and_next_only)
{
	struct ssyn_secret s = secret(key_a, T0);
	struct ssyn_tuple t = tup4(40000);
	uint32_t c = ssyn_cookie_make(&s, &t, 1000, &full, T0 + 63);

	cr_assert_eq(check(&s, &t, 1000, c, T0 + 63), 0);
	cr_assert_eq(check(&s, &t, 1000, c, T0 + 64), 0);
	cr_assert_eq(check(&s, &t, 1000, c, T0 + 127), 0);
	cr_assert_eq(check(&s, &t, 1000, c, T0 + 128), -EACCES);
	/* Not valid before it was made either (a clock gone backwards). */
	cr_assert_eq(check(&s, &t, 1000, c, T0 - 1), -EACCES);
	/* Slot 0 has no previous slot; nothing underflows. */
	c = ssyn_cookie_make(&s, &t, 1000, &full, 0);
	cr_assert_eq(check(&s, &t, 1000, c, 0), 0);
	cr_assert_eq(check(&s, &t, 1000, c, 2 * SSYN_SLOT_SECS), -EACCES);
}

Test(splice_syn_cookie, survives_one_rotation_for_one_slot)
{
	struct ssyn_tuple t = tup4(40000);
	struct ssyn_secret s = secret(key_a, 0);
	uint32_t c = ssyn_cookie_make(&s, &t, 1000, &full, T0);

	cr_assert_eq(ssyn_secret_rotate(&s, key_b, T0 + 10), 0);
	/* In flight across the rotation: still good this slot and next. */
	cr_assert_eq(check(&s, &t, 1000, c, T0 + 10), 0);
	cr_assert_eq(check(&s, &t, 1000, c, T0 + SSYN_SLOT_SECS), 0);
	/* Two slots later it is refused. */
	cr_assert_eq(check(&s, &t, 1000, c, T0 + 2 * SSYN_SLOT_SECS), -EACCES);
	/* New cookies use the new key and differ from the old one. */
	cr_assert_neq(ssyn_cookie_make(&s, &t, 1000, &full, T0), c);
	{
		struct ssyn_secret b = secret(key_b, 0);

		cr_assert_eq(ssyn_cookie_make(&s, &t, 1000, &full, T0),
			     ssyn_cookie_make(&b, &t, 1000, &full, T0));
	}
}

Test(splice_syn_cookie, old_key_gone_after_second_rotation)
{
	struct ssyn_tuple t = tup6(40000);
	struct ssyn_secret s = secret(key_a, 0);
	uint32_t ca = ssyn_cookie_make(&s, &t, 7, &full, T0), cb;

	cr_assert_eq(ssyn_secret_rotate(&s, key_b, T0), 0);
	cb = ssyn_cookie_make(&s, &t, 7, &full, T0);
	cr_assert_eq(check(&s, &t, 7, ca, T0), 0);
	cr_assert_eq(ssyn_secret_rotate(&s, key_c, T0 + 1), 0);
	cr_assert_eq(check(&s, &t, 7, ca, T0 + 1), -EACCES);
	/* The key that was current a moment ago is now the previous one. */
	cr_assert_eq(check(&s, &t, 7, cb, T0 + 1), 0);
	cr_assert_eq(check(&s, &t, 7, cb, T0 + SSYN_SLOT_SECS + 1), 0);
	cr_assert_eq(check(&s, &t, 7, cb, T0 + 2 * SSYN_SLOT_SECS), -EACCES);
}

/* Rotation in a later slot than the cookie was made: the old key's
 * cookies from the slot before the rotation have one slot to live. */
Test(splice_syn_cookie, rotation_after_cookie_slot)
{
	struct ssyn_tuple t = tup4(1);
	struct ssyn_secret s = secret(key_a, 0);
	uint32_t c = ssyn_cookie_make(&s, &t, 5, &full, T0 + 60);

	cr_assert_eq(ssyn_secret_rotate(&s, key_b, T0 + 70), 0);
	cr_assert_eq(check(&s, &t, 5, c, T0 + 70), 0);
	cr_assert_eq(check(&s, &t, 5, c, T0 + 2 * SSYN_SLOT_SECS), -EACCES);
}

Test(splice_syn_cookie, every_option_combination_round_trips)
{
	struct ssyn_secret s = secret(key_a, T0);
	struct ssyn_tuple ts[2] = { tup4(40000), tup6(40001) };
	unsigned n = 0;

	for (int f = 0; f < 2; f++)
		for (unsigned m = 0; m < SSYN_COOKIE_MSS_N; m++)
			for (int ws = -1; ws <= 14; ws++)
				for (int b = 0; b < 4; b++) {
					struct ssyn_opts o = {
						.mss = ssyn_cookie_mss_tab[m],
						.wscale = (int8_t)ws,
						.sack_perm = b & 1, .ts = b & 2,
						.tsval = 12345,
					}, r;
					uint32_t cisn = 0xfffffff0u + (uint32_t)n;
					uint32_t c = ssyn_cookie_make(&s, &ts[f], cisn, &o, T0);

					cr_assert_eq(ssyn_cookie_check(&s, &ts[f], cisn + 1, c + 1,
								       T0 + 5, &r), 0);
					cr_assert_eq(r.mss, o.mss);
					cr_assert_eq(r.wscale, o.wscale);
					cr_assert_eq(r.sack_perm, o.sack_perm);
					cr_assert_eq(r.ts, o.ts);
					cr_assert_eq(r.tsval, 0, "tsval is not in a cookie");
					n++;
				}
	cr_assert_eq(n, 2 * SSYN_COOKIE_MSS_N * 16 * 4);
}

/* Any client MSS comes back as the largest table entry not above it (or
 * the first entry), never more than the client can take; no MSS at all
 * means 536. Window scales above 14 come back as 14 (RFC 7323 2.3). */
Test(splice_syn_cookie, mss_rounds_down_ws_clamps)
{
	struct ssyn_secret s = secret(key_a, T0);
	struct ssyn_tuple t = tup4(9);

	for (uint32_t mss = 0; mss <= 65535; mss += (mss < 9000 ? 1 : 97)) {
		struct ssyn_opts o = { .mss = (uint16_t)mss, .wscale = -1 }, r;
		uint32_t c = ssyn_cookie_make(&s, &t, 1, &o, T0);
		uint16_t want = 536;

		for (unsigned i = 0; i < SSYN_COOKIE_MSS_N; i++)
			if (mss >= ssyn_cookie_mss_tab[i])
				want = ssyn_cookie_mss_tab[i];
		cr_assert_eq(ssyn_cookie_check(&s, &t, 2, c + 1, T0, &r), 0);
		cr_assert_eq(r.mss, want, "mss %u", mss);
		cr_assert(mss == 0 || mss < 536 || r.mss <= mss);
	}
	for (int ws = 15; ws <= 127; ws++) {
		struct ssyn_opts o = { .mss = 1460, .wscale = (int8_t)ws }, r;
		uint32_t c = ssyn_cookie_make(&s, &t, 1, &o, T0);

		cr_assert_eq(ssyn_cookie_check(&s, &t, 2, c + 1, T0, &r), 0);
		cr_assert_eq(r.wscale, 14);
	}
}

Test(splice_syn_cookie, off_by_one_and_other_flows_refused)
{
	struct ssyn_secret s = secret(key_a, T0);
	struct ssyn_tuple ts[2] = { tup4(40000), tup6(40000) };

	for (int f = 0; f < 2; f++)
		for (uint32_t cisn = 0; cisn < 64; cisn++) {
			const struct ssyn_tuple *t = &ts[f];
			uint32_t ci = cisn * 0x9e3779b9u;
			uint32_t c = ssyn_cookie_make(&s, t, ci, &full, T0);
			struct ssyn_tuple o;

			cr_assert_eq(ssyn_cookie_check(&s, t, ci + 1, c + 1, T0, NULL), 0);
			/* seq off by one either way */
			cr_assert_eq(ssyn_cookie_check(&s, t, ci, c + 1, T0, NULL), -EACCES);
			cr_assert_eq(ssyn_cookie_check(&s, t, ci + 2, c + 1, T0, NULL), -EACCES);
			/* ack off by one either way */
			cr_assert_eq(ssyn_cookie_check(&s, t, ci + 1, c, T0, NULL), -EACCES);
			cr_assert_eq(ssyn_cookie_check(&s, t, ci + 1, c + 2, T0, NULL), -EACCES);
			/* another client ISN (a SYN we never answered) */
			cr_assert_eq(ssyn_cookie_check(&s, t, ci + 0x10001, c + 1, T0, NULL), -EACCES);
			/* every tuple field changed */
			o = *t; o.caddr[3] ^= 0x80;
			cr_assert_eq(ssyn_cookie_check(&s, &o, ci + 1, c + 1, T0, NULL), -EACCES);
			o = *t; o.vaddr[0] ^= 1;
			cr_assert_eq(ssyn_cookie_check(&s, &o, ci + 1, c + 1, T0, NULL), -EACCES);
			o = *t; o.cport ^= 1;
			cr_assert_eq(ssyn_cookie_check(&s, &o, ci + 1, c + 1, T0, NULL), -EACCES);
			o = *t; o.vport = 80;
			cr_assert_eq(ssyn_cookie_check(&s, &o, ci + 1, c + 1, T0, NULL), -EACCES);
			o = *t; o.family = f ? AF_INET : AF_INET6;
			cr_assert_eq(ssyn_cookie_check(&s, &o, ci + 1, c + 1, T0, NULL), -EACCES);
			/* the option bits in the clear are covered by the MAC:
			 * flipping one (say to claim a larger MSS) fails */
			for (unsigned bit = 0; bit < 9; bit++)
				cr_assert_eq(ssyn_cookie_check(&s, t, ci + 1,
							       (c ^ (1u << bit)) + 1, T0, NULL),
					     -EACCES, "option bit %u", bit);
			/* another secret */
			{
				struct ssyn_secret x = secret(key_b, T0);

				cr_assert_eq(ssyn_cookie_check(&x, t, ci + 1, c + 1, T0, NULL),
					     -EACCES);
			}
		}
}

/* Blind guessing succeeds no more often than the 23-bit MAC allows. */
Test(splice_syn_cookie, blind_guesses_fail)
{
	struct ssyn_secret s = secret(key_a, T0);
	struct ssyn_tuple t = tup4(40000);
	unsigned ok = 0;

	/* 2^20 guessed ACKs for one SYN: expected hits 2^20 * 4 / 2^23 = 0.5. */
	for (uint32_t g = 0; g < (1u << 20); g++)
		ok += ssyn_cookie_check(&s, &t, 1001, g * 4099u + 1, T0, NULL) == 0;
	cr_assert_leq(ok, 4, "%u of 2^20 blind guesses accepted", ok);
}

/* --- every refusal of the packet-facing helpers --- */

Test(splice_syn_reject, tuple_from_non_tcp)
{
	/* IPv4 UDP 10.0.0.2:5353 -> 10.0.0.1:53, checksums irrelevant */
	uint8_t udp[28] = { 0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0,
			    10, 0, 0, 2, 10, 0, 0, 1, 0x14, 0xe9, 0, 53, 0, 8, 0, 0 };
	struct raw_pkt p;
	struct ssyn_tuple t;

	cr_assert_eq(raw_parse_ip(&p, udp, sizeof udp), 0);
	cr_assert_not(p.is_tcp);
	cr_assert_eq(ssyn_tuple_from_pkt(&p, &t), -EINVAL);
}

Test(splice_syn_reject, synack_bad_arguments)
{
	struct ssyn_tuple t = tup4(40000);
	struct ssyn_opts c = full;
	struct ssyn_local l = { .mss = 1460, .wscale = 7 };
	uint8_t buf[128];

	cr_assert_gt(ssyn_build_synack(buf, sizeof buf, &t, 1, &c, 2, &l, NULL), 0);
	t.family = 0;
	cr_assert_eq(ssyn_build_synack(buf, sizeof buf, &t, 1, &c, 2, &l, NULL), -EINVAL);
	t = tup4(40000);
	l.wscale = 15;
	cr_assert_eq(ssyn_build_synack(buf, sizeof buf, &t, 1, &c, 2, &l, NULL), -EINVAL);
	l.wscale = 7;
	c.wscale = 15;
	cr_assert_eq(ssyn_build_synack(buf, sizeof buf, &t, 1, &c, 2, &l, NULL), -EINVAL);
	c.wscale = 7;
	/* 20 IP + 20 TCP + 20 options = 60: one byte less does not fit */
	cr_assert_eq(ssyn_build_synack(buf, 59, &t, 1, &c, 2, &l, NULL), -ENOSPC);
	cr_assert_eq(ssyn_build_synack(buf, 60, &t, 1, &c, 2, &l, NULL), 60);
}
