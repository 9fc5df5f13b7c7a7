/* lard_sim: LARD/R against rr and source-hash on a simulated cluster of
 * caching backends (a discrete-event simulation, not a network run).
 *
 *   lard_sim [REQUESTS] [CLIENTS] [ADDRESSES] [T_LOW T_HIGH]
 *
 * Model: B backends, each an LRU cache of C objects in front of one origin
 * whose answers take ORIGIN_MS (nginx proxy_cache in front of a slow
 * origin); a backend's CPU serves requests one at a time in CPU_MS each,
 * first come first served, and a miss then waits on the origin without
 * holding the CPU. CLIENTS closed-loop clients (wrk's connections) spread
 * over ADDRESSES source addresses ask for objects drawn from a Zipf(ALPHA)
 * popularity over M objects, M larger than one cache. A backend's load is
 * its requests in progress (what spliced counts as active connections).
 * The LARD run uses dispatcher/lard itself.
 *
 * Prints, per policy: cache hit rate, throughput (requests per simulated
 * second), mean response time, and the spread of requests over backends
 * (max/min and coefficient of variation).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lard.h"

#define B 4
#define C 2000            /* objects per backend cache */
#define M 20000           /* objects in the working set */
#define ALPHA 0.9
#define CPU_MS 0.2
#define ORIGIN_MS 20.0
/* LARD thresholds by default: for ~16 connections a backend (64 clients);
 * the paper's 25/65 suit a few hundred. */
static unsigned t_low = 8, t_high = 24;
#define K_MS 2000

enum policy { P_RR, P_SRCHASH, P_LARD };

struct lru {
	int prev[M], next[M];
	unsigned char in[M];
	int head, tail, n;
};

struct ev {
	double t;
	int client, backend, obj;
};

struct sim {
	struct lru cache[B];
	double busy_until[B];
	unsigned load[B];
	unsigned long served[B];
	unsigned long hits, disp, reqs;
	double resp_sum;
	struct ev *heap;
	int nheap;
	double *cdf;
	uint64_t rng;
	struct lard *lard;
	unsigned rr;
};

static double uniform(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (double)(s->rng >> 11) / 9007199254740992.0;
}

static int zipf(struct sim *s)
{
	double u = uniform(s);
	int lo = 0, hi = M - 1;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (s->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void lru_unlink(struct lru *c, int o)
{
	if (c->prev[o] >= 0)
		c->next[c->prev[o]] = c->next[o];
	else
		c->head = c->next[o];
	if (c->next[o] >= 0)
		c->prev[c->next[o]] = c->prev[o];
	else
		c->tail = c->prev[o];
}

static void lru_front(struct lru *c, int o)
{
	c->prev[o] = -1;
	c->next[o] = c->head;
	if (c->head >= 0)
		c->prev[c->head] = o;
	c->head = o;
	if (c->tail < 0)
		c->tail = o;
}

/* Looks o up, inserting it (and evicting the LRU object) on a miss.
 * Returns 1 on a hit. */
static int lru_get(struct lru *c, int o)
{
	if (c->in[o]) {
		lru_unlink(c, o);
		lru_front(c, o);
		return 1;
	}
	if (c->n == C) {
		int v = c->tail;

		lru_unlink(c, v);
		c->in[v] = 0;
		c->n--;
	}
	lru_front(c, o);
	c->in[o] = 1;
	c->n++;
	return 0;
}

static void push(struct sim *s, struct ev e)
{
	int i = s->nheap++;

	while (i > 0 && s->heap[(i - 1) / 2].t > e.t) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = e;
}

static struct ev pop(struct sim *s)
{
	struct ev top = s->heap[0], last = s->heap[--s->nheap];
	int i = 0;

	for (;;) {
		int c = 2 * i + 1;

		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && s->heap[c + 1].t < s->heap[c].t)
			c++;
		if (s->heap[c].t >= last.t)
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	s->heap[i] = last;
	return top;
}

static int choose(struct sim *s, enum policy p, int client, int addrs, int obj,
		  double now)
{
	char path[32];
	int n;

	switch (p) {
	case P_RR:
		return (int)(s->rr++ % B);
	case P_SRCHASH: {
		/* the client's address, hashed (as source-hash does) */
		uint64_t h = (uint64_t)(client % addrs + 1) * 0x9e3779b97f4a7c15ull;

		return (int)((h >> 32) % B);
	}
	case P_LARD:
		n = snprintf(path, sizeof(path), "/obj/%d", obj);
		return lard_pick(s->lard, path, (size_t)n, s->load, B, (1u << B) - 1,
				 (uint64_t)now);
	}
	return 0;
}

/* Dispatches client's next request at time now. */
static void issue(struct sim *s, enum policy p, int client, int addrs, double now)
{
	int obj = zipf(s);
	int b = choose(s, p, client, addrs, obj, now);
	double start = now > s->busy_until[b] ? now : s->busy_until[b];
	int hit = lru_get(&s->cache[b], obj);

	s->busy_until[b] = start + CPU_MS;
	s->load[b]++;
	s->hits += (unsigned long)hit;
	s->disp++;
	push(s, (struct ev){start + CPU_MS + (hit ? 0 : ORIGIN_MS), client, b, obj});
}

static void run(enum policy p, const char *name, unsigned long reqs, int clients,
		int addrs, double *cdf)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct lard_conf lc = {t_low, t_high, K_MS, 65536, 7};
	double now = 0, mean, var = 0, first_t = 0;
	unsigned long warm = reqs / 10, min = ~0ul, max = 0;
	double *issued = calloc((size_t)clients, sizeof(double));

	s->heap = calloc((size_t)clients + 1, sizeof(*s->heap));
	s->cdf = cdf;
	s->rng = 88172645463325252ull;
	s->lard = lard_new(&lc);
	for (int b = 0; b < B; b++) {
		s->cache[b].head = s->cache[b].tail = -1;
	}
	for (int c = 0; c < clients; c++)
		issue(s, p, c, addrs, 0);
	while (s->reqs < reqs + warm) {
		struct ev e = pop(s);

		now = e.t;
		s->load[e.backend]--;
		if (++s->reqs == warm) {
			/* measure after the caches have filled */
			s->hits = 0;
			s->disp = 0;
			memset(s->served, 0, sizeof(s->served));
			s->resp_sum = 0;
			first_t = now;
		}
		if (s->reqs > warm) {
			s->served[e.backend]++;
			s->resp_sum += now - issued[e.client];
		}
		issued[e.client] = now;
		issue(s, p, e.client, addrs, now);
	}
	mean = (double)reqs / B;
	for (int b = 0; b < B; b++) {
		var += ((double)s->served[b] - mean) * ((double)s->served[b] - mean);
		if (s->served[b] < min)
			min = s->served[b];
		if (s->served[b] > max)
			max = s->served[b];
	}
	printf("%-12s %8.1f%% %12.0f %10.2f %9.2f %7.3f   ", name,
	       100.0 * (double)s->hits / (double)s->disp,
	       (double)reqs / ((now - first_t) / 1000.0), s->resp_sum / (double)reqs,
	       min ? (double)max / (double)min : 0.0, sqrt(var / B) / mean);
	for (int b = 0; b < B; b++)
		printf("%s%lu", b ? "/" : "", s->served[b]);
	printf("\n");
	lard_free(s->lard);
	free(s->heap);
	free(issued);
	free(s);
}

int main(int argc, char **argv)
{
	unsigned long reqs = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	int clients = argc > 2 ? atoi(argv[2]) : 64;
	int addrs = argc > 3 ? atoi(argv[3]) : 16;
	double *cdf = malloc(M * sizeof(*cdf)), sum = 0;

	if (argc > 5) {
		t_low = (unsigned)atoi(argv[4]);
		t_high = (unsigned)atoi(argv[5]);
	}
	if (!cdf || reqs < 100 || clients < 1 || addrs < 1 || t_low >= t_high) {
		fprintf(stderr, "usage: lard_sim [REQUESTS>=100] [CLIENTS] [ADDRESSES] "
				"[T_LOW T_HIGH (T_LOW < T_HIGH)]\n");
		return 2;
	}
	for (int i = 0; i < M; i++)
		sum += 1.0 / pow(i + 1, ALPHA);
	for (int i = 0; i < M; i++)
		cdf[i] = (i ? cdf[i - 1] : 0) + 1.0 / pow(i + 1, ALPHA) / sum;
	printf("lard_sim: %d backends x %d-object LRU caches, %d objects Zipf(%.1f), "
	       "cpu %.1f ms, origin %.0f ms, %d clients from %d addresses, %lu requests "
	       "(after a 10%% warm-up); LARD t_low %d t_high %d K %d ms\n",
	       B, C, M, ALPHA, CPU_MS, ORIGIN_MS, clients, addrs, reqs, t_low, t_high,
	       K_MS);
	printf("%-12s %9s %12s %10s %9s %7s   %s\n", "policy", "hit rate", "req/s",
	       "resp ms", "max/min", "CoV", "requests per backend");
	run(P_RR, "rr", reqs, clients, addrs, cdf);
	run(P_SRCHASH, "source-hash", reqs, clients, addrs, cdf);
	run(P_LARD, "lard", reqs, clients, addrs, cdf);
	free(cdf);
	return 0;
}
