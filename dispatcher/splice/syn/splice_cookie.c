/* Stateless SYN cookies for splice mode, used when the half-open table is
 * full so that a SYN flood costs no memory.
 *
 * Layout of the 32-bit ISN: bits 0..8 carry the client's options in the
 * clear (MSS index 3, window scale 4 with 15 = none, SACK-permitted 1,
 * timestamps 1), bits 9..31 are 23 bits of SipHash over the tuple, the
 * client's ISN, the slot and those 9 bits. A blind attacker must guess the
 * MAC: at most 4 candidates (2 slots x 2 secrets) are tried per ACK, so
 * one forged ACK succeeds with probability <= 4 / 2^23.
 *
 * Why all the bits live in the ISN and not partly in TSval as Linux does:
 * it works the same for clients without timestamps, and TSval stays our
 * clock so the backend leg's timestamp translation has one meaning. The
 * price is 5 MAC bits; the MAC is keyed and rotated, so that is fine. */
#include "splice/syn/splice_syn_int.h"

#include <errno.h>
#include <string.h>

const uint16_t ssyn_cookie_mss_tab[SSYN_COOKIE_MSS_N] = {
	536, 1220, 1300, 1380, 1420, 1440, 1460, 8960,
};

#define OPT_BITS   9u
#define OPT_MASK   ((1u << OPT_BITS) - 1)
#define WS_NONE    15u

static unsigned mss_index(uint16_t mss)
{
	unsigned i;

	if (mss == 0)
		return 0;
	for (i = SSYN_COOKIE_MSS_N - 1; i > 0; i--)
		if (mss >= ssyn_cookie_mss_tab[i])
			break;
	return i;
}

static unsigned encode(const struct ssyn_opts *o)
{
	unsigned ws = o->wscale < 0 ? WS_NONE : (unsigned)(o->wscale > 14 ? 14 : o->wscale);

	return mss_index(o->mss) | ws << 3 | (o->sack_perm ? 1u : 0u) << 7 |
	       (o->ts ? 1u : 0u) << 8;
}

static uint32_t cookie(const uint64_t k[2], const struct ssyn_tuple *t,
		       uint32_t client_isn, uint64_t slot, unsigned bits)
{
	uint64_t h = ssyn_mac(k, t, SSYN_DOM_COOKIE, slot, client_isn,
			      (uint16_t)bits);

	return (uint32_t)(h >> 32) << OPT_BITS | bits;
}

uint32_t ssyn_cookie_make(const struct ssyn_secret *s,
			  const struct ssyn_tuple *t, uint32_t client_isn,
			  const struct ssyn_opts *o, uint64_t now_s)
{
	return cookie(s->cur, t, client_isn, ssyn_slot(now_s), encode(o));
}

int ssyn_cookie_check(const struct ssyn_secret *s, const struct ssyn_tuple *t,
		      uint32_t seq, uint32_t ack, uint64_t now_s,
		      struct ssyn_opts *o)
{
	uint32_t isn = ack - 1, client_isn = seq - 1;
	unsigned bits = isn & OPT_MASK;
	uint64_t now = ssyn_slot(now_s);
	const uint64_t *keys[2] = { s->cur, NULL };
	bool ok = false;

	/* The previous secret made cookies until rot_slot, which live one
	 * more slot. */
	if (s->has_prev && now <= s->rot_slot + 1)
		keys[1] = s->prev;
	for (int k = 0; k < 2 && !ok && keys[k]; k++)
		for (uint64_t d = 0; d < 2 && d <= now && !ok; d++)
			ok = cookie(keys[k], t, client_isn, now - d, bits) == isn;
	if (!ok)
		return -EACCES;
	if (o) {
		memset(o, 0, sizeof *o);
		o->mss = ssyn_cookie_mss_tab[bits & 7u];
		o->wscale = ((bits >> 3) & 15u) == WS_NONE ? -1 : (int8_t)((bits >> 3) & 15u);
		o->sack_perm = (bits >> 7) & 1u;
		o->ts = (bits >> 8) & 1u;
	}
	return 0;
}
