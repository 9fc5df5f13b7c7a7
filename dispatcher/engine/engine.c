/* Engine glue: builds the per-service view and the workers from a config
 * and a backend pool, runs them, and answers statistics and connection
 * listings for the control socket. See dispatcher/engine/engine.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/worker.h"
#include "engine/mode.h"

/* Flow table timeouts from the config's three classes. */
static void timeouts_of(const struct disp_service_conf *sc,
			struct disp_flow_timeouts *t)
{
	memset(t, 0, sizeof(*t));
	t->ms[DISP_FLOW_SYN_SENT] = sc->timeouts.syn_ms;
	t->ms[DISP_FLOW_SYN_RECV] = sc->timeouts.syn_ms;
	t->ms[DISP_FLOW_ESTABLISHED] = sc->timeouts.established_ms;
	t->ms[DISP_FLOW_FIN_WAIT] = sc->timeouts.fin_ms;
	t->ms[DISP_FLOW_CLOSING] = sc->timeouts.fin_ms;
	/* A closed flow lingers only for a retransmitted FIN or RST. */
	t->ms[DISP_FLOW_CLOSED] = sc->timeouts.fin_ms && sc->timeouts.fin_ms < 2000
				  ? sc->timeouts.fin_ms : 2000;
}

__attribute__((format(printf, 3, 4)))
static void errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void ip_bytes(const struct disp_addr *a, uint8_t out[16])
{
	memset(out, 0, 16);
	memcpy(out, a->family == AF_INET ? (const void *)&a->ip.v4
					 : (const void *)&a->ip.v6,
	       a->family == AF_INET ? 4 : 16);
}

/* Opens one capture per distinct interface named by the services. */
static int open_rx(struct disp_engine *e, struct disp_worker *w,
		   const char *filter, char *err, size_t errlen)
{
	const char *names[DISP_RX_MAX];
	unsigned n = 0;

	for (size_t i = 0; i < e->nsvc; i++) {
		const char *ifs[2] = { e->svc[i].conf->client_if,
				       e->svc[i].conf->server_if };

		for (int j = 0; j < 2; j++) {
			unsigned k;
			char ebuf[256] = "";
			int r;

			for (k = 0; k < n && strcmp(names[k], ifs[j]); k++)
				;
			if (k < n)
				continue;
			if (n == DISP_RX_MAX) {
				errf(err, errlen, "more than %d interfaces", DISP_RX_MAX);
				return -E2BIG;
			}
			/* One fanout group per interface (the kernel groups
			 * sockets of one device); workers join in order, so
			 * socket index k in every group is worker k. */
			r = disp_rx_open(&w->rx[n], e->svc[i].conf->io, ifs[j],
					 filter, e->steer,
					 (uint16_t)((unsigned)getpid() * DISP_RX_MAX + n),
					 ebuf, sizeof(ebuf));
			if (r < 0) {
				errf(err, errlen, "service %s: capture on %s: %s%s%s",
				     e->svc[i].conf->name, ifs[j], strerror(-r),
				     ebuf[0] ? ": " : "", ebuf);
				return r;
			}
			names[n++] = ifs[j];
			w->nrx = n;
			if (w->mtu == 0 || disp_rx_mtu(w->rx[n - 1]) < w->mtu)
				w->mtu = disp_rx_mtu(w->rx[n - 1]);
		}
	}
	return 0;
}

static int make_worker(struct disp_engine *e, struct disp_worker *w,
		       unsigned id, uint32_t cap, const char *filter,
		       char *err, size_t errlen)
{
	struct disp_flow_timeouts *to;
	bool need6 = false;
	int r;

	w->e = e;
	w->id = id;
	pthread_mutex_init(&w->lock, NULL);
	w->svc_flows = calloc(e->nsvc, sizeof(*w->svc_flows));
	if (!w->svc_flows)
		return -ENOMEM;
	/* One timeout class per service: the services share the table. */
	to = calloc(e->nsvc, sizeof(*to));
	if (!to)
		return -ENOMEM;
	for (size_t i = 0; i < e->nsvc; i++)
		timeouts_of(e->svc[i].conf, &to[i]);
	r = disp_ev_bus_create(&w->bus, 256);
	if (r == 0)
		r = disp_stats_attach(w);
	if (r == 0)
		r = disp_flow_table_create_classes(&w->ft, cap, to, (unsigned)e->nsvc,
						   disp_conn_release, w);
	free(to);
	if (r < 0) {
		errf(err, errlen, "flow table of %u flows: %s", cap, strerror(-r));
		return r;
	}
	for (unsigned m = 0; m < DISP_MODES_MAX; m++) {
		if (!e->mode_used[m] || !e->modes[m]->worker_init)
			continue;
		r = e->modes[m]->worker_init(w, err, errlen);
		if (r < 0)
			return r;
	}
	if (e->fp) {
		r = disp_offload_worker_init(w);
		if (r < 0)
			return r;
		/* Offloaded flows are idle only when the kernel says so. */
		disp_flow_table_set_alive(w->ft, disp_offload_alive, w);
	}
	if (e->detached) {
		w->mtu = 1500; /* what the unit tests' segmentation cuts to */
		return 0;
	}
	for (size_t i = 0; i < e->nsvc; i++)
		need6 |= e->svc[i].family == AF_INET6;
	r = disp_tx_open(&w->tx4, AF_INET);
	if (r == 0 && need6)
		r = disp_tx_open(&w->tx6, AF_INET6);
	if (r < 0) {
		errf(err, errlen, "raw IP sender: %s", strerror(-r));
		return r;
	}
	return open_rx(e, w, filter, err, errlen);
}

struct steer {
	struct sock_fprog fprog;
	struct sock_filter insn[19 + 2 * 64];
};

/* Several workers need AF_PACKET fanout with our steering program; libpcap
 * cannot fan out, so a config using it runs one worker. */
static int setup_steering(struct disp_engine *e, const struct disp_config *cfg,
			  char *err, size_t errlen)
{
	struct steer *st;
	int n;

	e->nw = cfg->workers ? cfg->workers : 1;
	for (size_t i = 0; i < e->nsvc; i++) {
		unsigned k;

		if (e->svc[i].conf->io != DISP_IO_PACKET)
			e->nw = 1;
		for (k = 0; k < e->nvports && e->vports[k] != e->svc[i].vport; k++)
			;
		if (k == e->nvports) {
			if (e->nvports == 64) {
				errf(err, errlen, "more than 64 distinct VIP ports");
				return -E2BIG;
			}
			e->vports[e->nvports++] = e->svc[i].vport;
		}
	}
	if (e->nw == 1)
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	n = disp_steer_prog(e->vports, e->nvports, st->insn, 19 + 2 * 64);
	if (n < 0) {
		free(st);
		return n;
	}
	st->fprog.len = (unsigned short)n;
	st->fprog.filter = st->insn;
	e->steer = st;
	return 0;
}

/* Gives each service its mode and runs the modes' engine and service
 * hooks. */
static int init_modes(struct disp_engine *e,
		      const struct disp_mode_ops *const *modes, char *err,
		      size_t errlen)
{
	int r;

	for (; *modes; modes++)
		if ((unsigned)(*modes)->kind < DISP_MODES_MAX)
			e->modes[(*modes)->kind] = *modes;
	for (size_t i = 0; i < e->nsvc; i++) {
		const struct disp_service_conf *sc = e->svc[i].conf;

		if ((unsigned)sc->mode >= DISP_MODES_MAX || !e->modes[sc->mode]) {
			errf(err, errlen, "service %s: mode %s is not built in",
			     sc->name, disp_mode_name(sc->mode));
			return -ENOTSUP;
		}
		e->svc[i].mode = e->modes[sc->mode];
		e->mode_used[sc->mode] = true;
	}
	for (unsigned m = 0; m < DISP_MODES_MAX; m++) {
		if (!e->mode_used[m] || !e->modes[m]->engine_init)
			continue;
		r = e->modes[m]->engine_init(e, err, errlen);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < e->nsvc; i++) {
		struct disp_svc *s = &e->svc[i];

		if (!s->mode->svc_init)
			continue;
		r = s->mode->svc_init(e, s, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

static int create(struct disp_engine **out, const struct disp_config *cfg,
		  struct disp_pool *pool, const struct disp_mode_ops *const *modes,
		  bool detached, char *err, size_t errlen)
{
	struct disp_engine *e;
	char filter[4096];
	uint64_t cap = 0;
	int r;

	if (!out || !cfg || !pool || cfg->n_services == 0 ||
	    disp_pool_count(pool) != cfg->n_services) {
		errf(err, errlen, "engine: config and backend pool do not match");
		return -EINVAL;
	}
	if (cfg->n_services > DISP_FLOW_CLASSES_MAX) {
		errf(err, errlen, "engine: at most %d services (one timeout class each)",
		     DISP_FLOW_CLASSES_MAX);
		return -E2BIG;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->cfg = cfg;
	e->pool = pool;
	pthread_mutex_init(&e->filter_lock, NULL);
	e->detached = detached;
	e->nsvc = cfg->n_services;
	e->svc = calloc(e->nsvc, sizeof(*e->svc));
	if (!e->svc) {
		free(e);
		return -ENOMEM;
	}
	for (size_t i = 0; i < e->nsvc; i++) {
		const struct disp_service_conf *sc = &cfg->services[i];
		struct disp_svc *s = &e->svc[i];

		s->conf = sc;
		s->bset = disp_pool_bset(pool, i);
		s->family = (uint8_t)sc->vip.family;
		ip_bytes(&sc->vip, s->vip);
		s->vport = sc->vip.port;
		s->snat = !sc->transparent;
		if (s->snat) {
			if (sc->snat_addr.family != sc->vip.family) {
				errf(err, errlen, "service %s: source-nat address family differs from the VIP's",
				     sc->name);
				r = -EINVAL;
				goto fail;
			}
			ip_bytes(&sc->snat_addr, s->snat_ip);
		}
		/* Each worker holds its share of every service's bound; the
		 * table is the sum of those shares. */
		s->max_per_worker = 0; /* set once the worker count is known */
	}
	r = init_modes(e, modes, err, errlen);
	if (r < 0)
		goto fail;
	r = disp_engine_filter(e, NULL, filter, sizeof(filter));
	if (r < 0) {
		errf(err, errlen, "capture filter too long (too many backends)");
		goto fail;
	}
	e->filter = strdup(filter); /* what a reload compares against */
	r = setup_steering(e, cfg, err, errlen);
	if (r < 0)
		goto fail;
	e->w = calloc(e->nw, sizeof(*e->w));
	if (!e->w) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < e->nsvc; i++) {
		unsigned mf = e->svc[i].conf->max_flows ? e->svc[i].conf->max_flows : 65536;

		e->svc[i].max_per_worker = (mf + e->nw - 1) / e->nw;
		cap += e->svc[i].max_per_worker;
	}
	if (cap > (1u << 24))
		cap = 1u << 24;
	/* Two map entries per flow, one per direction. */
	r = disp_offload_engine_init(e, (uint32_t)(cap * 2 > (1u << 24)
						   ? 1u << 24 : cap * 2),
				     err, errlen);
	if (r < 0)
		goto fail;
	for (unsigned i = 0; i < e->nw; i++) {
		r = make_worker(e, &e->w[i], i, (uint32_t)cap, filter,
				err, errlen);
		if (r < 0)
			goto fail;
	}
	/* The fast path's socket filter goes on once every capture is open
	 * (with one worker today: offload.c says why not more). */
	for (unsigned i = 0; i < e->nw; i++)
		for (unsigned j = 0; j < e->w[i].nrx; j++) {
			r = disp_offload_attach_rx(e, disp_rx_fd(e->w[i].rx[j]),
						   err, errlen);
			if (r < 0)
				goto fail;
		}
	disp_offload_adopt(e);
	*out = e;
	return 0;
fail:
	disp_engine_destroy(e);
	return r;
}

int disp_engine_create(struct disp_engine **out, const struct disp_config *cfg,
		       struct disp_pool *pool,
		       const struct disp_mode_ops *const *modes, char *err,
		       size_t errlen)
{
	return create(out, cfg, pool, modes, false, err, errlen);
}

int disp_engine_create_detached(struct disp_engine **out,
				const struct disp_config *cfg,
				struct disp_pool *pool,
				const struct disp_mode_ops *const *modes,
				char *err, size_t errlen)
{
	return create(out, cfg, pool, modes, true, err, errlen);
}

int disp_engine_start(struct disp_engine *e)
{
	for (unsigned i = 0; i < e->nw; i++) {
		int r = pthread_create(&e->w[i].thread, NULL, disp_worker_main,
				       &e->w[i]);

		if (r != 0) {
			disp_engine_stop(e);
			disp_engine_join(e);
			return -r;
		}
		e->w[i].running = true;
	}
	e->started = true;
	return 0;
}

void disp_engine_stop(struct disp_engine *e)
{
	__atomic_store_n(&e->stop, true, __ATOMIC_RELEASE);
}

int disp_engine_join(struct disp_engine *e)
{
	int r = 0;

	for (unsigned i = 0; i < e->nw; i++) {
		if (!e->w[i].running)
			continue;
		pthread_join(e->w[i].thread, NULL);
		e->w[i].running = false;
		if (r == 0)
			r = e->w[i].result;
	}
	return r;
}

void disp_engine_destroy(struct disp_engine *e)
{
	if (!e)
		return;
	disp_engine_stop(e);
	disp_engine_join(e);
	e->closing = true;
	for (unsigned i = 0; e->w && i < e->nw; i++) {
		struct disp_worker *w = &e->w[i];

		/* Releases every flow's backend count before the pool goes. */
		disp_flow_table_destroy(w->ft);
		w->ft = NULL;
		disp_ev_bus_destroy(w->bus);
		w->bus = NULL;
		for (unsigned j = 0; j < w->nrx; j++)
			disp_rx_close(w->rx[j]);
		disp_tx_close(w->tx4);
		disp_tx_close(w->tx6);
		free(w->svc_flows);
		free(w->neigh);
		for (unsigned m = 0; m < DISP_MODES_MAX; m++)
			if (e->mode_used[m] && e->modes[m]->worker_fini)
				e->modes[m]->worker_fini(w);
		pthread_mutex_destroy(&w->lock);
	}
	for (size_t i = 0; e->svc && i < e->nsvc; i++)
		if (e->svc[i].mode && e->svc[i].mode->svc_fini)
			e->svc[i].mode->svc_fini(&e->svc[i]);
	for (unsigned m = 0; m < DISP_MODES_MAX; m++)
		if (e->mode_used[m] && e->modes[m]->engine_fini)
			e->modes[m]->engine_fini(e);
	disp_offload_engine_fini(e);
	free(e->w);
	free(e->steer);
	free(e->svc);
	free(e->filter);
	pthread_mutex_destroy(&e->filter_lock);
	free(e);
}

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static void sum_stats(struct disp_engine *e, unsigned from, unsigned to,
		      struct disp_engine_stats *o)
{
	memset(o, 0, sizeof(*o));
	for (unsigned i = from; i < to; i++) {
		const struct disp_wstats *s = &e->w[i].st;

#define X(name, how, doc) DISP_COUNTER_##how(o->name, LD(s->name));
		DISP_ENGINE_COUNTERS(X)
#undef X
		o->flow_capacity += disp_flow_capacity(e->w[i].ft);
		o->bytes_per_flow = (uint32_t)disp_flow_bytes_per_flow(e->w[i].ft);
	}
	o->workers = e->nw;
}

void disp_engine_stats(struct disp_engine *e, struct disp_engine_stats *o)
{
	sum_stats(e, 0, e->nw, o);
}

int disp_engine_worker_stats(struct disp_engine *e, unsigned i,
			     struct disp_engine_stats *o)
{
	if (i >= e->nw)
		return -ENOENT;
	sum_stats(e, i, i + 1, o);
	return 0;
}

static void fmt_ep(char *buf, size_t len, uint8_t family, const uint8_t *ip,
		   uint16_t port)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, ip, a, sizeof(a));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

struct conn_walk {
	struct disp_engine *e;
	struct disp_worker *w;
	unsigned left;
	bool limited; /* max was given: stop after left connections */
	bool cut;     /* stopped by the limit, not by fn */
	uint64_t now;
	int (*fn)(const struct disp_conn_info *c, void *arg);
	void *arg;
};

static int conn_one(const struct disp_flow *f, void *arg)
{
	struct conn_walk *cw = arg;
	const struct disp_flow_key *ck = &f->key[DISP_DIR_ORIG];
	const struct disp_svc *s = &cw->e->svc[f->service];
	const struct disp_addr *ba = f->backend ? disp_backend_addr(f->backend) : NULL;
	struct disp_conn_info c;
	uint64_t fp_pkts[2];
	uint8_t bip[16];

	if (cw->limited && cw->left-- == 0) {
		cw->cut = true;
		return 1;
	}
	memset(&c, 0, sizeof(c));
	fmt_ep(c.client, sizeof(c.client), ck->family, ck->saddr, ck->sport);
	fmt_ep(c.vip, sizeof(c.vip), ck->family, ck->daddr, ck->dport);
	if (ba) {
		ip_bytes(ba, bip);
		fmt_ep(c.backend, sizeof(c.backend), ck->family, bip, ba->port);
	} else {
		snprintf(c.backend, sizeof(c.backend), "-"); /* splice: not bound yet */
	}
	if (s->snat)
		fmt_ep(c.snat, sizeof(c.snat), ck->family, s->snat_ip, f->nat_port);
	c.state = disp_flow_state_name((enum disp_flow_state)f->state);
	c.pkts_in = f->half[DISP_DIR_ORIG].pkts;
	c.pkts_out = f->half[DISP_DIR_REPLY].pkts;
	c.bytes_in = f->half[DISP_DIR_ORIG].bytes;
	c.bytes_out = f->half[DISP_DIR_REPLY].bytes;
	if (disp_offload_counters(cw->e, f, fp_pkts, c.fp_bytes) == 0) {
		c.offloaded = true;
		c.pkts_in += fp_pkts[DISP_DIR_ORIG];
		c.pkts_out += fp_pkts[DISP_DIR_REPLY];
	}
	c.age_ms = cw->now - f->created_ms;
	c.idle_ms = cw->now - f->last_ms;
	c.service = f->service;
	c.worker = cw->w->id;
	return cw->fn(&c, cw->arg);
}

int disp_engine_foreach_conn(struct disp_engine *e, unsigned max,
			     int (*fn)(const struct disp_conn_info *c, void *arg),
			     void *arg)
{
	struct conn_walk cw = { .e = e, .left = max, .limited = max != 0,
				.fn = fn, .arg = arg };
	int r = 0;

	for (unsigned i = 0; i < e->nw && r == 0; i++) {
		cw.w = &e->w[i];
		pthread_mutex_lock(&e->w[i].lock);
		cw.now = disp_now_ms();
		r = disp_flow_foreach(e->w[i].ft, conn_one, &cw);
		pthread_mutex_unlock(&e->w[i].lock);
	}
	return cw.cut ? 0 : r;
}

size_t disp_engine_nservices(const struct disp_engine *e)
{
	return e->nsvc;
}
