/* The capture filter: what the kernel passes up to the workers. It names
 * every VIP and every backend, so it changes when a reload adds backends;
 * each worker installs a new one itself, between bursts, because libpcap
 * handles are not thread-safe. It is a classic BPF program
 * (SO_ATTACH_FILTER), which replaces whatever program the socket had:
 * with the kernel fast path on, its socket filter does this matching from
 * a map instead (engine/offload.c), and a reload adds the new backends to
 * that map rather than replacing anything. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <splicekit/raw_io.h>

#include "engine/worker.h"

/* Appends " or (src host IP and src port P)" (dst and no " or " for a
 * VIP that comes first). */
static int add(char *buf, size_t len, size_t *off, bool vip, bool first,
	       const struct disp_addr *a)
{
	char s[DISP_ADDR_STRLEN];
	struct disp_addr ip = *a;
	const char *dir = vip ? "dst" : "src";
	int n;

	ip.port = 0;
	n = snprintf(buf + *off, len - *off, "%s(%s host %s and %s port %u)",
		     first ? "" : " or ", dir, disp_addr_format(&ip, s, sizeof(s)), dir,
		     a->port);
	if (n < 0 || (size_t)n >= len - *off)
		return -ENAMETOOLONG;
	*off += (size_t)n;
	return 0;
}

static const struct disp_service_conf *conf_named(const struct disp_config *c,
						  const char *name)
{
	for (size_t i = 0; c && i < c->n_services; i++)
		if (strcmp(c->services[i].name, name) == 0)
			return &c->services[i];
	return NULL;
}

/* True when slot i of bs is worth capturing for: present, or draining. */
static bool captured(struct disp_bset *bs, size_t i)
{
	return disp_backend_listed(disp_bset_get(bs, i));
}

int disp_engine_filter(const struct disp_engine *e, const struct disp_config *extra,
		       char *buf, size_t len)
{
	size_t off;
	int n, r = 0;

	n = snprintf(buf, len, "tcp and (");
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	off = (size_t)n;
	for (size_t i = 0; i < e->nsvc && r == 0; i++) {
		struct disp_bset *bs = e->svc[i].bset;
		const struct disp_service_conf *sc = conf_named(extra, disp_bset_name(bs));
		size_t nb = disp_bset_count(bs);

		r = add(buf, len, &off, true, i == 0, &e->svc[i].conf->vip);
		for (size_t b = 0; b < nb && r == 0; b++)
			if (captured(bs, b))
				r = add(buf, len, &off, false, false,
					disp_backend_addr(disp_bset_get(bs, b)));
		/* A reload's new backends, before any flow can go to them. */
		for (size_t b = 0; sc && b < sc->n_backends && r == 0; b++)
			if (!disp_bset_find(bs, &sc->backends[b].addr))
				r = add(buf, len, &off, false, false,
					&sc->backends[b].addr);
	}
	if (r < 0 || off + 2 > len)
		return -ENAMETOOLONG;
	strcpy(buf + off, ")");
	return 0;
}

void disp_worker_refilter(struct disp_worker *w)
{
	struct disp_engine *e = w->e;
	unsigned gen;
	int r = 0;

	pthread_mutex_lock(&e->filter_lock);
	gen = e->filter_gen;
	for (unsigned i = 0; i < w->nrx && r == 0 && !e->fp; i++)
		r = disp_rx_set_filter(w->rx[i], e->filter);
	pthread_mutex_unlock(&e->filter_lock);
	w->filter_result = r;
	__atomic_store_n(&w->filter_gen, gen, __ATOMIC_RELEASE);
}

int disp_engine_refilter(struct disp_engine *e, const struct disp_config *extra,
			 char *err, size_t errlen)
{
	size_t len = 256 + 64 * 1024;
	char *f = malloc(len), check[256] = "";
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	unsigned gen;
	int r;

	if (!f)
		return -ENOMEM;
	r = disp_engine_filter(e, extra, f, len);
	if (r == 0 && (r = raw_io_filter_check(f, check, sizeof(check))) < 0)
		snprintf(err, errlen, "capture filter: %s", check);
	else if (r < 0)
		snprintf(err, errlen, "capture filter too long (too many backends)");
	if (r < 0) {
		free(f);
		return r;
	}
	/* The same backends: nothing to install (libpcap may drop what is
	 * queued while it swaps a filter). */
	pthread_mutex_lock(&e->filter_lock);
	if (e->filter && strcmp(e->filter, f) == 0) {
		pthread_mutex_unlock(&e->filter_lock);
		free(f);
		return 0;
	}
	/* The fast path's filter matches from its map: the new backends go
	 * there, before any flow can go to them (removed ones may stay). */
	if (e->fp && (r = disp_offload_match_new(e, extra)) < 0) {
		pthread_mutex_unlock(&e->filter_lock);
		snprintf(err, errlen, "fastpath filter: %s", strerror(-r));
		free(f);
		return r;
	}
	free(e->filter);
	e->filter = f;
	gen = e->filter_gen + 1;
	__atomic_store_n(&e->filter_gen, gen, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&e->filter_lock);
	/* Workers pick it up at the top of their loop (at most one poll
	 * timeout away); one that is not running is done here. */
	for (unsigned i = 0; i < e->nw; i++) {
		struct disp_worker *w = &e->w[i];

		if (!w->running)
			disp_worker_refilter(w);
		for (int k = 0; k < 400 && __atomic_load_n(&w->filter_gen, __ATOMIC_ACQUIRE) != gen; k++)
			nanosleep(&pause, NULL);
		if (__atomic_load_n(&w->filter_gen, __ATOMIC_ACQUIRE) != gen) {
			snprintf(err, errlen, "worker %u did not take the new capture filter", i);
			return -ETIMEDOUT;
		}
		if (w->filter_result < 0) {
			snprintf(err, errlen, "worker %u: capture filter: %s", i,
				 strerror(-w->filter_result));
			return w->filter_result;
		}
	}
	return 0;
}
