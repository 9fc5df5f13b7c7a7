/* Source-hash scheduler: weighted rendezvous (highest random weight)
 * hashing of the client IP.
 *
 * Every backend scores the client with an independent hash; the highest
 * usable score wins. When a backend goes DOWN only the clients it was
 * winning move (about 1/N of them), and they spread over the others in
 * proportion to weight; when it comes back exactly those return. There is
 * no table to rebuild on a state change, so workers pick without any lock
 * or publication step while health checks flip states. The cost is O(N)
 * hashes per new flow, which for the tens of backends a service has is
 * below the cost of one packet's checksum.
 */
#include <string.h>

#include "backend/backend_int.h"

static uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

/* Natural log of x in (0,1], without libm (the dispatcher library links
 * none, and the engine's binaries should not need -lm for this): split x
 * into m * 2^e with m in [1,2), then ln m = 2 atanh((m-1)/(m+1)), whose
 * series converges fast for s <= 1/3. Relative error < 1e-9, far below
 * what ordering scores needs. */
static double ln01(double x)
{
	uint64_t bits;
	int e;
	double m, s, s2, term, sum = 0;

	memcpy(&bits, &x, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
	memcpy(&m, &bits, sizeof(m));
	s = (m - 1) / (m + 1);
	s2 = s * s;
	term = s;
	for (int k = 1; k <= 21; k += 2) {
		sum += term / k;
		term *= s2;
	}
	return e * 0.69314718055994530942 + 2 * sum;
}

uint64_t disp_addr_hash(const struct disp_addr *a, bool with_port,
			uint64_t seed)
{
	uint64_t w[2] = { 0, 0 }, h = fmix64(seed ^ a->family);

	if (a->family == AF_INET)
		memcpy(&w[0], &a->ip.v4, 4);
	else
		memcpy(w, &a->ip.v6, 16);
	h = fmix64(h ^ w[0]);
	h = fmix64(h ^ w[1]);
	if (with_port)
		h = fmix64(h ^ a->port);
	return h;
}

static struct disp_backend *hash_pick(struct disp_bset *bs,
				     const struct disp_addr *client,
				     struct disp_bpool *pool)
{
	struct disp_addr ip = *client;
	struct disp_backend *best = NULL;
	double best_score = 0;
	uint64_t best_h = 0, ch;
	size_t n = disp_bset_count(bs);

	ip.port = 0; /* stickiness is per client host, not per connection */
	/* Hash the client once; each backend then costs one mixing round of
	 * (client hash ^ backend seed). */
	ch = disp_addr_hash(&ip, false, 0);
	for (size_t i = 0; i < n; i++) {
		struct disp_backend *be = &bs->be[i];
		uint64_t h;
		double u, score;

		if (!disp_bpool_has(pool, i) || !disp_backend_usable(be))
			continue;
		h = fmix64(ch ^ be->hash_seed) >> 11;
		if (atomic_load_explicit(&bs->equal_weights, memory_order_relaxed)) {
			/* w / -ln(u) is increasing in u, so with one weight the
			 * largest hash wins: same choice, no logarithm. */
			if (!best || h > best_h) {
				best = be;
				best_h = h;
			}
			continue;
		}
		/* u in (0,1); score = w / -ln(u) makes P(win) = w / sum(w). */
		u = ((double)h + 0.5) / 9007199254740992.0;
		score = (double)disp_backend_weight(be) / -ln01(u);
		if (!best || score > best_score) {
			best = be;
			best_score = score;
		}
	}
	return best;
}

const struct disp_sched_ops disp_sched_hash = { .pick = hash_pick };
