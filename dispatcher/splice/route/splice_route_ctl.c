/* Session router, the control side: flush, expiry, `show table` and the
 * counters `show stats` prints. See splice_route.h. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "splice/route/mt_show.h"
#include "splice/route/splice_route.h"

#include "splice/route/splice_route_int.h"

/* Entries a `show table` copies: a row is at least ~96 bytes (a 33-byte
 * key in hex, address, port, stamps), so more would not fit a reply. */
#define SHOW_MAX (DISP_CTL_REPLY_MAX / 96)

uint32_t sroute_flush(struct sroute *r, uint64_t older_than_ms, uint64_t now_ms)
{
	uint64_t cutoff = UINT64_MAX;
	uint32_t total = 0, n;

	if (!r->mt)
		return 0;
	if (older_than_ms) {
		if (older_than_ms > now_ms)
			return 0;
		cutoff = now_ms - older_than_ms;
	}
	/* In slices, so workers never wait behind a whole table's worth. */
	do {
		pthread_mutex_lock(&r->lock);
		n = mt_flush(r->mt, cutoff, FLUSH_SLICE);
		pthread_mutex_unlock(&r->lock);
		total += n;
	} while (n == FLUSH_SLICE);
	return total;
}

uint32_t sroute_expire(struct sroute *r, uint64_t now_ms, uint32_t budget)
{
	uint32_t n;

	if (!r->mt)
		return 0;
	pthread_mutex_lock(&r->lock);
	n = mt_expire(r->mt, now_ms, budget);
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* One entry copied out of the table, its key with it. */
struct snap {
	struct mt_entry_view v;
	uint8_t key[MT_MAX_KEY];
};

struct snap_walk {
	struct snap *s;
	size_t n, cap;
};

static int copy_entry(const struct mt_entry_view *e, void *arg)
{
	struct snap_walk *w = arg;
	struct snap *d;

	if (w->n == w->cap)
		return 1;
	d = &w->s[w->n++];
	d->v = *e;
	memcpy(d->key, e->key, e->key_len);
	d->v.key = d->key;
	return 0;
}

int sroute_show(struct sroute *r, struct disp_ctl_out *o, bool json,
		uint64_t now_ms)
{
	struct snap_walk w = { 0 };
	struct mt_show_ctx ctx;
	struct mt_stats st;
	int rc;

	if (!r->mt)
		return disp_ctl_printf(o, json ? "{\"table\":[],\"session_table\":\"off\"}\n"
					       : "(session-table off)\n");
	/* Copy under the lock (a few ms for a full table), format after:
	 * formatting in place held the workers' lock ~1 us per row. Rows past
	 * SHOW_MAX would not fit a reply anyway. */
	pthread_mutex_lock(&r->lock);
	mt_get_stats(r->mt, &st);
	pthread_mutex_unlock(&r->lock);
	w.cap = st.entries < SHOW_MAX ? st.entries : SHOW_MAX;
	w.s = w.cap ? malloc(w.cap * sizeof(*w.s)) : NULL;
	if (w.cap && !w.s)
		return disp_ctl_printf(o, "out of memory for a table snapshot\n");
	pthread_mutex_lock(&r->lock);
	(void)mt_foreach(r->mt, copy_entry, &w);
	pthread_mutex_unlock(&r->lock);
	rc = mt_show_head(&ctx, r->bs, o, json, now_ms);
	ctx.kind_byte = true;
	for (size_t i = 0; rc == 0 && i < w.n; i++)
		if (mt_show_row(&w.s[i].v, &ctx) != 0)
			break;
	if (rc == 0)
		rc = mt_show_tail(&ctx);
	free(w.s);
	return rc;
}

void sroute_pool_chosen(struct sroute *r, unsigned pool)
{
	if (pool < r->npools)
		SROUTE_INC(r->pool_conns[pool]);
}

size_t sroute_pool_stats(struct sroute *r, uint64_t *conns, size_t n)
{
	for (size_t i = 0; i < n && i < r->npools; i++)
		conns[i] = SROUTE_GET(r->pool_conns[i]);
	return r->npools;
}

void sroute_get_stats(struct sroute *r, struct sroute_stats *st,
		      struct sroute_be_stats *be, size_t n)
{
	memset(st, 0, sizeof(*st));
#define SROUTE_COPY(name, doc) st->name = SROUTE_GET(r->name);
	SROUTE_COUNTERS(SROUTE_COPY)
#undef SROUTE_COPY
	if (r->mt) {
		pthread_mutex_lock(&r->lock);
		mt_get_stats(r->mt, &st->table);
		pthread_mutex_unlock(&r->lock);
	}
	for (size_t i = 0; be && i < n; i++) {
		if (i < r->n) {
			be[i].full = SROUTE_GET(r->be[i].full);
			be[i].resumed = SROUTE_GET(r->be[i].resumed);
		} else {
			be[i].full = be[i].resumed = 0;
		}
	}
}
