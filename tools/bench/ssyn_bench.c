/* splice_syn benchmark: what one SYN and one final ACK cost in splice
 * mode, against the real alternatives, in the same run:
 *
 *   hash     ssyn_isn (our SipHash-2-4 over the 52-byte message) versus
 *            OpenSSL's SipHash (EVP_MAC "SIPHASH") over the same bytes,
 *            with a reused context re-keyed per call (what a caller of
 *            the EVP API does; results are checked equal)
 *   cookie   ssyn_cookie_make, ssyn_cookie_check of a good cookie and of a
 *            forged one (the worst case: 2 keys x 2 slots)
 *   table    ssyn_ho (linear probing, backward-shift delete, FIFO expiry)
 *            versus a plain linear-probing table with tombstones and a
 *            rebuild when tombstones fill it (same index size, same keyed
 *            hash, same entries), at 50% and 90% of capacity: lookup of
 *            present and absent tuples before and after churn, and
 *            remove + insert churn (what a SYN flood of completing and
 *            failing handshakes does)
 *
 *   ssyn_bench [--quick]   (--quick: the smoke form for suite 'bench')
 * Prints CPU ns per operation and ratios (alternative / ours: > 1 means
 * ours is faster). CPU time of this thread, and for the tables the best
 * of three alternating rounds, since the machine is shared.
 */
#include <errno.h>
#include <malloc.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "splice/syn/splice_syn.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void rand_tuple(struct ssyn_tuple *t)
{
	uint64_t r = rnd();

	memset(t, 0, sizeof *t);
	t->family = AF_INET;
	memcpy(t->caddr, &r, 4);
	t->vaddr[0] = 10;
	t->vaddr[3] = 1;
	t->cport = (uint16_t)(r >> 32);
	t->vport = 443;
}

static const uint8_t key[16] = "bench-key-......";

/* The message ssyn_isn hashes (dispatcher/splice/syn/splice_syn_int.h). */
static void pack(uint8_t m[52], const struct ssyn_tuple *t, uint64_t slot)
{
	memcpy(m, t->caddr, 16);
	memcpy(m + 16, t->vaddr, 16);
	m[32] = (uint8_t)(t->cport >> 8);
	m[33] = (uint8_t)t->cport;
	m[34] = (uint8_t)(t->vport >> 8);
	m[35] = (uint8_t)t->vport;
	m[36] = t->family;
	m[37] = 1;
	m[38] = m[39] = 0;
	for (int i = 0; i < 8; i++)
		m[40 + i] = (uint8_t)(slot >> (56 - 8 * i));
	memset(m + 48, 0, 4);
}

/* --- the alternative table: linear probing with tombstones --- */

enum { P_EMPTY, P_LIVE, P_TOMB };

struct pslot {
	uint8_t state;
	uint64_t hash;
	struct ssyn_ho_entry e;
};

struct plain {
	struct pslot *s, *scratch;
	uint32_t size, mask, cap, live, tomb;
	uint64_t k[2];
	unsigned long rebuilds;
};

/* the same keyed hash ssyn_ho uses */
static uint64_t phash(const struct plain *p, const struct ssyn_tuple *t)
{
	return ssyn_tuple_hash(p->k, t);
}

static int plain_init(struct plain *p, uint32_t cap)
{
	memset(p, 0, sizeof *p);
	p->size = 2;
	while (p->size < 2 * cap)
		p->size <<= 1;
	p->mask = p->size - 1;
	p->cap = cap;
	p->k[0] = 0x0706050403020100ull;
	p->k[1] = 0x0f0e0d0c0b0a0908ull;
	p->s = calloc(p->size, sizeof *p->s);
	/* a rebuild needs a second array: memory ssyn_ho does not need */
	p->scratch = calloc(p->size, sizeof *p->scratch);
	return p->s && p->scratch ? 0 : -ENOMEM;
}

/* Returns the live slot of t or -1; *free_slot gets the first tombstone
 * or the ending empty slot (-1 if the probe wrapped). */
static long plain_find(const struct plain *p, const struct ssyn_tuple *t,
		       uint64_t h, long *free_slot)
{
	uint32_t i = (uint32_t)h & p->mask;
	long fs = -1;

	for (uint32_t n = 0; n < p->size; n++, i = (i + 1) & p->mask) {
		const struct pslot *s = &p->s[i];

		if (s->state == P_EMPTY) {
			if (fs < 0)
				fs = i;
			break;
		}
		if (s->state == P_TOMB) {
			if (fs < 0)
				fs = i;
			continue;
		}
		if (s->hash == h && ssyn_tuple_eq(&s->e.t, t)) {
			if (free_slot)
				*free_slot = fs;
			return i;
		}
	}
	if (free_slot)
		*free_slot = fs;
	return -1;
}

static void plain_rebuild(struct plain *p)
{
	struct pslot *old = p->s;

	p->s = p->scratch;
	p->scratch = old;
	memset(p->s, 0, p->size * sizeof *p->s);
	for (uint32_t i = 0; i < p->size; i++) {
		uint32_t j;

		if (old[i].state != P_LIVE)
			continue;
		for (j = (uint32_t)old[i].hash & p->mask; p->s[j].state; j = (j + 1) & p->mask)
			;
		p->s[j] = old[i];
	}
	p->tomb = 0;
	p->rebuilds++;
}

static int plain_insert(struct plain *p, const struct ssyn_ho_entry *e)
{
	uint64_t h = phash(p, &e->t);
	long fs;

	if (plain_find(p, &e->t, h, &fs) >= 0)
		return -EEXIST;
	if (p->live == p->cap)
		return -ENOSPC;
	if (p->s[fs].state == P_EMPTY && p->live + p->tomb + 1 > p->size / 4 * 3) {
		plain_rebuild(p);
		plain_find(p, &e->t, h, &fs);
	}
	if (p->s[fs].state == P_TOMB)
		p->tomb--;
	p->s[fs].state = P_LIVE;
	p->s[fs].hash = h;
	p->s[fs].e = *e;
	p->live++;
	return 0;
}

static const struct ssyn_ho_entry *plain_lookup(struct plain *p, const struct ssyn_tuple *t)
{
	long i = plain_find(p, t, phash(p, t), NULL);

	return i < 0 ? NULL : &p->s[i].e;
}

static int plain_remove(struct plain *p, const struct ssyn_tuple *t)
{
	long i = plain_find(p, t, phash(p, t), NULL);

	if (i < 0)
		return -ENOENT;
	p->s[i].state = P_TOMB;
	p->live--;
	p->tomb++;
	return 0;
}

/* --- runs --- */

static volatile uint64_t sink;

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void bench_hash(unsigned long n)
{
	struct ssyn_secret s;
	struct ssyn_tuple t;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t size = 8, outl;
	OSSL_PARAM prm[] = {
		OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
		OSSL_PARAM_END,
	};
	uint8_t m[52], out[8];
	double t0, ours, theirs, mk, ck_ok, ck_bad;
	struct ssyn_opts o = { .mss = 1460, .wscale = 7, .sack_perm = true, .ts = true };

	if (!ctx || ssyn_secret_init(&s, key, 0)) {
		fprintf(stderr, "ssyn_bench: no OpenSSL SIPHASH or no secret\n");
		exit(1);
	}
	rand_tuple(&t);
	/* same answer first, or the comparison means nothing */
	pack(m, &t, 7);
	if (!EVP_MAC_init(ctx, key, 16, prm) || !EVP_MAC_update(ctx, m, 52) ||
	    !EVP_MAC_final(ctx, out, &outl, 8)) {
		fprintf(stderr, "ssyn_bench: EVP_MAC failed\n");
		exit(1);
	}
	{
		uint32_t v = (uint32_t)out[0] | (uint32_t)out[1] << 8 |
			     (uint32_t)out[2] << 16 | (uint32_t)out[3] << 24;

		if (v != ssyn_isn(&s, &t, 7 * SSYN_SLOT_SECS)) {
			fprintf(stderr, "ssyn_bench: OpenSSL and ssyn_isn disagree\n");
			exit(1);
		}
	}
	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		t.cport = (uint16_t)i;
		sink += ssyn_isn(&s, &t, i);
	}
	ours = (now_ns() - t0) / (double)n;
	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		t.cport = (uint16_t)i;
		pack(m, &t, i / SSYN_SLOT_SECS);
		EVP_MAC_init(ctx, key, 16, prm);
		EVP_MAC_update(ctx, m, 52);
		EVP_MAC_final(ctx, out, &outl, 8);
		sink += out[0];
	}
	theirs = (now_ns() - t0) / (double)n;
	printf("hash    ssyn_isn %7.1f ns   OpenSSL EVP_MAC SIPHASH %7.1f ns   ratio %.2f\n",
	       ours, theirs, theirs / ours);

	ssyn_secret_rotate(&s, NULL, 0);
	t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		t.cport = (uint16_t)i;
		sink += ssyn_cookie_make(&s, &t, (uint32_t)i, &o, 100);
	}
	mk = (now_ns() - t0) / (double)n;
	{
		uint32_t c = ssyn_cookie_make(&s, &t, 5, &o, 100);

		t0 = now_ns();
		for (unsigned long i = 0; i < n; i++)
			sink += (uint64_t)ssyn_cookie_check(&s, &t, 6, c + 1, 100, NULL);
		ck_ok = (now_ns() - t0) / (double)n;
		t0 = now_ns();
		for (unsigned long i = 0; i < n; i++)
			sink += (uint64_t)ssyn_cookie_check(&s, &t, 6, (uint32_t)i * 4099u, 100, NULL);
		ck_bad = (now_ns() - t0) / (double)n;
	}
	printf("cookie  make %7.1f ns   check good %7.1f ns   check forged (2 keys x 2 slots) %7.1f ns\n",
	       mk, ck_ok, ck_bad);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

struct tbl_res {
	double hit, miss, churn, hit_after, miss_after;
};

static void table_run(bool plain_tbl, uint32_t cap, uint32_t fill,
		      const struct ssyn_tuple *pool, uint32_t pool_n,
		      unsigned long ops, struct tbl_res *r, unsigned long *rebuilds)
{
	struct ssyn_ho *h = NULL;
	struct plain p;
	uint32_t *live = malloc(fill * sizeof *live);   /* pool index per slot */
	uint32_t next = 0;
	double t0;

	if (!live)
		exit(1);
	if (plain_tbl ? plain_init(&p, cap) != 0 : !(h = ssyn_ho_new(cap, UINT32_MAX))) {
		fprintf(stderr, "ssyn_bench: out of memory\n");
		exit(1);
	}
#define INS(i) (plain_tbl ? plain_insert(&p, &(struct ssyn_ho_entry){ .t = pool[i] }) \
			 : ssyn_ho_insert(h, &(struct ssyn_ho_entry){ .t = pool[i] }, 0, NULL))
#define LOOK(i) (plain_tbl ? plain_lookup(&p, &pool[i]) : ssyn_ho_lookup(h, &pool[i], 0))
#define DEL(i) (plain_tbl ? plain_remove(&p, &pool[i]) : ssyn_ho_remove(h, &pool[i]))
	for (uint32_t i = 0; i < fill; i++) {
		if (INS(next) != 0)
			exit(3);
		live[i] = next++;
	}
	/* lookups of present and absent tuples */
	t0 = now_ns();
	for (unsigned long i = 0; i < ops; i++)
		sink += (uintptr_t)LOOK(live[rnd() % fill]);
	r->hit = (now_ns() - t0) / (double)ops;
	t0 = now_ns();
	for (unsigned long i = 0; i < ops; i++)
		sink += (uintptr_t)LOOK(fill + rnd() % (pool_n - fill));
	r->miss = (now_ns() - t0) / (double)ops;
	/* churn: one handshake completes (remove), a new SYN arrives
	 * (insert); the load stays the same */
	t0 = now_ns();
	for (unsigned long i = 0; i < ops; i++) {
		uint32_t k = (uint32_t)(rnd() % fill);

		if (DEL(live[k]) != 0)
			exit(4);
		if (next == pool_n)
			next = 0;
		while (LOOK(next))     /* skip tuples still present */
			next = next + 1 == pool_n ? 0 : next + 1;
		if (INS(next) != 0)
			exit(5);
		live[k] = next;
		next = next + 1 == pool_n ? 0 : next + 1;
	}
	r->churn = (now_ns() - t0) / (double)ops;
	t0 = now_ns();
	for (unsigned long i = 0; i < ops; i++)
		sink += (uintptr_t)LOOK(live[rnd() % fill]);
	r->hit_after = (now_ns() - t0) / (double)ops;
	t0 = now_ns();
	for (unsigned long i = 0; i < ops; i++) {
		struct ssyn_tuple t;

		rand_tuple(&t);
		t.vport = 80;   /* never in the pool: a guaranteed miss */
		sink += (uintptr_t)(plain_tbl ? plain_lookup(&p, &t) : ssyn_ho_lookup(h, &t, 0));
	}
	r->miss_after = (now_ns() - t0) / (double)ops;
#undef INS
#undef LOOK
#undef DEL
	if (plain_tbl) {
		*rebuilds = p.rebuilds;
		free(p.s);
		free(p.scratch);
	} else {
		ssyn_ho_free(h);
	}
	free(live);
}

static void best(struct tbl_res *r, const struct tbl_res *x, int round)
{
#define KEEP(f) r->f = round == 0 || x->f < r->f ? x->f : r->f
	KEEP(hit);
	KEEP(miss);
	KEEP(churn);
	KEEP(hit_after);
	KEEP(miss_after);
#undef KEEP
}

static void bench_table(uint32_t cap, unsigned long ops)
{
	uint32_t pool_n = 2 * cap;
	struct ssyn_tuple *pool = malloc(pool_n * sizeof *pool);

	if (!pool)
		exit(1);
	for (uint32_t i = 0; i < pool_n; i++)
		rand_tuple(&pool[i]);
	printf("table   capacity %u, %lu ops per figure, best of 3 rounds; ns/op ssyn_ho | tombstone table | ratio\n",
	       cap, ops);
	for (int l = 0; l < 2; l++) {
		uint32_t fill = l ? cap / 10 * 9 : cap / 2;
		struct tbl_res a, b;
		unsigned long rebuilds = 0;

		/* The machine is shared: the two tables take turns, three
		 * rounds, and each figure keeps its best round. */
		for (int round = 0; round < 3; round++) {
			struct tbl_res x, y;

			table_run(false, cap, fill, pool, pool_n, ops, &x, &rebuilds);
			table_run(true, cap, fill, pool, pool_n, ops, &y, &rebuilds);
			best(&a, &x, round);
			best(&b, &y, round);
		}
		printf("  load %d%%: lookup hit    %6.1f | %6.1f | %.2f\n", l ? 90 : 50, a.hit, b.hit, b.hit / a.hit);
		printf("  load %d%%: lookup miss   %6.1f | %6.1f | %.2f\n", l ? 90 : 50, a.miss, b.miss, b.miss / a.miss);
		printf("  load %d%%: remove+insert %6.1f | %6.1f | %.2f   (tombstone table rebuilt %lu times)\n",
		       l ? 90 : 50, a.churn, b.churn, b.churn / a.churn, rebuilds);
		printf("  load %d%%: hit after churn  %6.1f | %6.1f | %.2f\n", l ? 90 : 50, a.hit_after, b.hit_after, b.hit_after / a.hit_after);
		printf("  load %d%%: miss after churn %6.1f | %6.1f | %.2f\n", l ? 90 : 50, a.miss_after, b.miss_after, b.miss_after / a.miss_after);
	}
	{
		size_t h0 = heap_used(), h1, h2;
		struct ssyn_ho *h = ssyn_ho_new(cap, 1000);
		struct plain p;

		h1 = heap_used();
		if (!h || plain_init(&p, cap))
			exit(1);
		h2 = heap_used();
		printf("memory  ssyn_ho %.0f bytes per entry of capacity; tombstone table %.0f "
		       "(it needs a second slot array to rebuild)\n",
		       (double)(h1 - h0) / cap, (double)(h2 - h1) / cap);
		ssyn_ho_free(h);
		free(p.s);
		free(p.scratch);
	}
	free(pool);
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;

	if (argc > 1 && !quick) {
		fprintf(stderr, "usage: ssyn_bench [--quick]\n");
		return 2;
	}
	bench_hash(quick ? 200000 : 5000000);
	bench_table(quick ? 1u << 14 : 1u << 20, quick ? 50000 : 2000000);
	return 0;
}
