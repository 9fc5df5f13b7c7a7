/* Mapping-table benchmark against the structures a session cache is
 * usually built on, in one run on the same keys:
 *   - mt:      splicekit's table (mt_learn / mt_pick, SipHash-keyed)
 *   - lhash:   OpenSSL's LHASH, what OpenSSL's own server session cache
 *              uses, hashing like ssl_session_hash (first 4 ID bytes)
 *   - hsearch: glibc's POSIX hsearch_r, keyed by the ID in hex (it only
 *              takes strings)
 * Keys are random 32-byte session IDs, looked up in a random order through
 * a separate copy (as a server looks up an ID parsed from a new hello, not
 * the object it stored), so no structure gets its stored key for free.
 *
 *   mt_bench [N]   (default 1000000 entries)
 * Prints CPU ns per operation, bytes per entry, and ratios to mt.
 */
#include <openssl/lhash.h>
#include <malloc.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "maptable/maptable.h"

struct sid {
	uint8_t b[32];
	uint16_t backend;
};

static double now_ns(void)
{
	struct timespec ts;

	/* CPU time of this thread: the build machine is shared, and wall
	 * time would measure the neighbours' load as much as ours. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static unsigned long sid_hash(const void *p)
{
	const struct sid *s = p;

	/* as OpenSSL's ssl_session_hash: the first four ID bytes */
	return (unsigned long)s->b[0] | (unsigned long)s->b[1] << 8 |
	       (unsigned long)s->b[2] << 16 | (unsigned long)s->b[3] << 24;
}

static int sid_cmp(const void *a, const void *b)
{
	return memcmp(((const struct sid *)a)->b, ((const struct sid *)b)->b, 32);
}

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	struct sid *keys, *miss, *probe;
	size_t *order;
	struct mt_config cfg;
	struct mt_table *t;
	volatile unsigned sink = 0;
	double t0, mt_learn_ns, mt_hit_ns, mt_miss_ns, lh_ins_ns, lh_hit_ns, lh_miss_ns,
		hs_ins_ns, hs_hit_ns;
	size_t h0, lh_bytes, hs_bytes;
	char (*hex)[65];

	if (n < 1000 || n > 50000000) {
		fprintf(stderr, "mt_bench: N must be 1000..50000000\n");
		return 2;
	}
	keys = malloc(n * sizeof(*keys));
	miss = malloc(n * sizeof(*miss));
	probe = malloc(n * sizeof(*probe));
	order = malloc(n * sizeof(*order));
	hex = malloc(n * sizeof(*hex));
	if (!keys || !miss || !probe || !order || !hex)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (getrandom(keys[i].b, 32, 0) != 32 || getrandom(miss[i].b, 32, 0) != 32)
			return 1;
		keys[i].backend = (uint16_t)(i % 16);
		probe[i] = keys[i];
		order[i] = i;
		for (int k = 0; k < 32; k++)
			snprintf(hex[i] + 2 * k, 3, "%02x", keys[i].b[k]);
	}
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)random() % (i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}

	/* --- mt --- */
	mt_config_default(&cfg, (uint32_t)n, 16);
	if (mt_create(&cfg, &t) < 0)
		return 1;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		mt_learn(t, keys[i].b, 32, keys[i].backend, 1000);
	mt_learn_ns = (now_ns() - t0) / n;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		uint16_t b;

		sink += mt_pick(t, probe[order[i]].b, 32, 2000, NULL, &b) == 0 ? b : 0;
	}
	mt_hit_ns = (now_ns() - t0) / n;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		uint16_t b;

		sink += mt_pick(t, miss[order[i]].b, 32, 2000, NULL, &b) == 0;
	}
	mt_miss_ns = (now_ns() - t0) / n;

	/* --- OpenSSL LHASH --- */
	h0 = heap_used();
	OPENSSL_LHASH *lh = OPENSSL_LH_new(sid_hash, sid_cmp);
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		OPENSSL_LH_insert(lh, &keys[i]);
	lh_ins_ns = (now_ns() - t0) / n;
	lh_bytes = heap_used() - h0;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		const struct sid *s = OPENSSL_LH_retrieve(lh, &probe[order[i]]);

		sink += s ? s->backend : 0;
	}
	lh_hit_ns = (now_ns() - t0) / n;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		sink += OPENSSL_LH_retrieve(lh, &miss[order[i]]) != NULL;
	lh_miss_ns = (now_ns() - t0) / n;

	/* --- glibc hsearch_r --- */
	struct hsearch_data hd;
	memset(&hd, 0, sizeof(hd));
	h0 = heap_used();
	if (!hcreate_r(n * 5 / 4, &hd))
		return 1;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		ENTRY e = { .key = hex[i], .data = &keys[i] }, *r;

		hsearch_r(e, ENTER, &r, &hd);
	}
	hs_ins_ns = (now_ns() - t0) / n;
	hs_bytes = heap_used() - h0;
	t0 = now_ns();
	for (size_t i = 0; i < n; i++) {
		ENTRY e = { .key = hex[order[i]] }, *r = NULL;

		hsearch_r(e, FIND, &r, &hd);
		sink += r ? ((struct sid *)r->data)->backend : 0;
	}
	hs_hit_ns = (now_ns() - t0) / n;

	printf("mt_bench: %zu random 32-byte session IDs, random lookup order\n", n);
	printf("%-8s %10s %10s %10s %12s\n", "", "insert_ns", "hit_ns", "miss_ns", "bytes/entry");
	printf("%-8s %10.1f %10.1f %10.1f %12.1f\n", "mt", mt_learn_ns, mt_hit_ns, mt_miss_ns,
	       (double)mt_mem_bytes((uint32_t)n) / n);
	printf("%-8s %10.1f %10.1f %10.1f %12.1f  (+32 B key held by the caller)\n", "lhash",
	       lh_ins_ns, lh_hit_ns, lh_miss_ns, (double)lh_bytes / n);
	printf("%-8s %10.1f %10.1f %10s %12.1f  (+65 B hex key held by the caller)\n",
	       "hsearch", hs_ins_ns, hs_hit_ns, "-", (double)hs_bytes / n);
	printf("ratio hit  lhash/mt %.2f  hsearch/mt %.2f\n", lh_hit_ns / mt_hit_ns,
	       hs_hit_ns / mt_hit_ns);
	printf("ratio miss lhash/mt %.2f\n", lh_miss_ns / mt_miss_ns);
	(void)sink;
	OPENSSL_LH_free(lh);
	hdestroy_r(&hd);
	mt_destroy(t);
	free(keys);
	free(miss);
	free(probe);
	free(order);
	free(hex);
	return 0;
}
