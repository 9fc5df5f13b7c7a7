/* Splice mode, TLS session routing: prefix -> mapping table -> scheduler.
 * See splice_route.h.
 *
 * Locking: the mapping table is touched only under r->lock, and only for
 * O(1) work (one pick + acquire, a few learn/acquire/release calls). What
 * costs O(backends) -- the load view the guard needs -- and key derivation
 * are done before taking it. Counters are relaxed atomics: they are read
 * by `show stats` on the control thread while workers bump them.
 *
 * Table keys are one kind byte plus the key bytes ('s' session ID, 't'
 * ticket), so a session ID can never alias a ticket prefix.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "splice/route/mt_load.h"
#include "splice/route/splice_route.h"

#include "splice/route/splice_route_int.h"

int sroute_create(struct sroute **out, const struct disp_service_conf *sc,
		  struct disp_bset *bs, char *err, size_t errlen)
{
	struct sroute *r;
	struct mt_config mc;
	size_t n = disp_bset_count(bs), cap = disp_bset_capacity(bs);
	int rc;

	/* Indexed by slot up to the set's capacity, so backends a reload
	 * adds have their counters and table entries too. */
	if (cap > BE_MAX)
		cap = BE_MAX;
	if (n == 0 || n > cap || n != sc->n_backends) {
		snprintf(err, errlen, "service '%s': %zu backends in the set, %zu configured",
			 sc->name, n, sc->n_backends);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->be = calloc(cap, sizeof(*r->be)))) {
		free(r);
		snprintf(err, errlen, "service '%s': out of memory for the session router",
			 sc->name);
		return -ENOMEM;
	}
	r->npools = (unsigned)disp_bset_pools(bs);
	r->pool_conns = calloc(r->npools, sizeof(*r->pool_conns));
	if (!r->pool_conns) {
		free(r->be);
		free(r);
		snprintf(err, errlen, "service '%s': out of memory for the session router",
			 sc->name);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->bs = bs;
	r->n = (uint16_t)cap;
	snprintf(r->name, sizeof(r->name), "%s", sc->name);
	if (sc->sched == DISP_SCHED_LARD) {
		rc = sroute_lard_init(r);
		if (rc < 0) {
			snprintf(err, errlen, "service '%s': cannot create the LARD table: %s",
				 sc->name, strerror(-rc));
			goto fail;
		}
	}
	if (!sc->session_table) {
		*out = r;
		return 0;
	}
	r->keys = tls_key_conf_new();
	if (!r->keys) {
		rc = -ENOMEM;
		snprintf(err, errlen, "service '%s': out of memory for the session router",
			 sc->name);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct disp_backend_conf *b = &sc->backends[i];
		char a[DISP_ADDR_STRLEN];

		rc = 0;
		if (b->has_ticket_name)
			rc = tls_key_conf_add_prefix(r->keys, TLS_PREFIX_TICKET,
						     b->ticket_name, 16, (int)i);
		if (rc == 0 && b->sid_prefix_len)
			rc = tls_key_conf_add_prefix(r->keys, TLS_PREFIX_SESSION_ID,
						     b->sid_prefix, b->sid_prefix_len,
						     (int)i);
		if (rc < 0) {
			snprintf(err, errlen, "service '%s': backend %s (line %u): %s",
				 sc->name, disp_addr_format(&b->addr, a, sizeof(a)), b->line,
				 rc == -EEXIST ? "its ticket key name or session-id-prefix is another backend's"
					       : "too many prefixes");
			goto fail;
		}
	}
	mt_config_default(&mc, sc->session_table_size, (uint16_t)cap);
	mc.lifetime_ms = (uint64_t)sc->session_lifetime_s * 1000;
	mc.guard_pct = sc->load_guard_pct;
	mc.guard_min = sc->load_guard_min;
	rc = mt_create(&mc, &r->mt);
	if (rc < 0) {
		snprintf(err, errlen, "service '%s': cannot create a session table of %u entries: %s",
			 sc->name, sc->session_table_size, strerror(-rc));
		goto fail;
	}
	*out = r;
	return 0;
fail:
	sroute_destroy(r);
	return rc;
}

void sroute_destroy(struct sroute *r)
{
	if (!r)
		return;
	mt_destroy(r->mt);
	tls_key_conf_free(r->keys);
	lard_free(r->lard);
	free((void *)r->pool_conns);
	pthread_mutex_destroy(&r->lock);
	free(r->be);
	free(r);
}

/* Backend b is out of this pick: tried already, outside the connection's
 * content pool, or not usable. */
static bool skip(const struct sroute *r, const bool *tried, unsigned pool,
		 uint16_t b)
{
	const struct disp_backend *be;

	/* A slot past the set's count is not filled yet: no backend. */
	return b >= r->n || (tried && tried[b]) || !(be = disp_bset_get(r->bs, b)) ||
	       !disp_bset_in_pool(r->bs, pool, b) || !disp_backend_usable(be);
}

static uint16_t index_of(struct sroute *r, const struct disp_backend *be)
{
	return (uint16_t)disp_bset_index(r->bs, be);
}

/* The scheduler, skipping backends already tried: its own choice when
 * that is fresh, else the first usable untried one after the flow's hash
 * (a retry is rare; spreading retries by hash keeps them off one server). */
static int sched(struct sroute *r, const struct disp_addr *client,
		 uint32_t flow_hash, const bool *tried, unsigned pool,
		 struct sroute_pick *p)
{
	struct disp_backend *be = disp_bset_pick_pool(r->bs, client, pool);
	uint16_t n = (uint16_t)disp_bset_count(r->bs);

	if (be && skip(r, tried, pool, index_of(r, be)))
		be = NULL;
	for (uint16_t k = 0; !be && k < n; k++) {
		uint16_t b = (uint16_t)((flow_hash + k) % n);

		if (!skip(r, tried, pool, b))
			be = disp_bset_get(r->bs, b);
	}
	if (!be)
		return -EHOSTUNREACH;
	p->be = be;
	p->backend = index_of(r, be);
	p->how = SROUTE_SCHED;
	return 0;
}

/* Builds a table key: kind byte + up to MT_MAX_KEY - 1 bytes. */
static uint8_t make_key(uint8_t *key, uint8_t kind, const uint8_t *b, size_t len)
{
	if (len > MT_MAX_KEY - 1)
		len = MT_MAX_KEY - 1;
	key[0] = kind;
	memcpy(key + 1, b, len);
	return (uint8_t)(len + 1);
}

static bool holds(const struct sroute_pick *p, const uint8_t *key, uint8_t len)
{
	for (int i = 0; i < SROUTE_HELD_MAX; i++)
		if (p->held[i].len == len && memcmp(p->held[i].key, key, len) == 0)
			return true;
	return false;
}

/* Marks key BUSY for p on p->backend and remembers it. Called locked. */
static void hold(struct sroute *r, struct sroute_pick *p, const uint8_t *key,
		 uint8_t len, uint64_t now)
{
	for (int i = 0; i < SROUTE_HELD_MAX; i++) {
		if (p->held[i].len)
			continue;
		if (mt_acquire(r->mt, key, len, p->backend, now) == 0) {
			p->held[i].len = len;
			memcpy(p->held[i].key, key, len);
		}
		return;
	}
}

struct table_keys {
	unsigned n;
	uint8_t len[2];
	uint8_t key[2][MT_MAX_KEY];
};

/* The keys a hello may find in the table, most specific first: its TLS
 * 1.2 ticket (only that backend can decrypt it), then its session ID
 * (which OpenSSL/BoringSSL set to SHA-256 of the ticket when resuming one,
 * so both name the same backend). */
static void table_keys(const struct tls_client_hello *ch, const struct tls_key *k,
		       int nk, struct table_keys *tk)
{
	tk->n = 0;
	if (ch->has_ticket_ext && ch->ticket_len > 0) {
		tk->len[tk->n] = make_key(tk->key[tk->n], KIND_TICKET, ch->ticket,
					  ch->ticket_len);
		tk->n++;
	}
	for (int i = 0; i < nk; i++) {
		if (k[i].kind != TLS_KEY_SESSION_ID || k[i].backend >= 0)
			continue;
		tk->len[tk->n] = make_key(tk->key[tk->n], KIND_SID, k[i].bytes, k[i].len);
		tk->n++;
		break;
	}
}

/* Table lookup for p. Returns 0 with p filled, or -ENOENT. Out of line:
 * its 5 KB load view then costs stack only when a hello has a table key
 * (and GCC 12 under -fsanitize=address misreports the inlined atomics as
 * a -Wstringop-overflow). */
__attribute__((noinline))
static int table_pick(struct sroute *r, const struct table_keys *tk,
		      uint64_t now, const bool *tried, unsigned pool,
		      struct sroute_pick *p)
{
	uint32_t active[BE_MAX];
	bool down[BE_MAX];
	struct mt_load load;
	bool busy = false, guard = false;
	int rc = -ENOENT;

	/* Sums first, with the real states, so the guard's mean is the
	 * pool's (backends outside it look DOWN, so they count in neither
	 * the mean nor the candidates); then tried backends look DOWN to
	 * mt_pick only. */
	mt_load_from_bset(&load, r->bs, active, down, r->n);
	if (disp_bset_pools(r->bs) > 1) {
		for (uint16_t b = 0; b < load.n; b++)
			down[b] = down[b] || !disp_bset_in_pool(r->bs, pool, b);
		mt_load_sum(&load);
	}
	for (uint16_t b = 0; tried && b < load.n; b++)
		down[b] = down[b] || tried[b];
	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < tk->n && rc < 0; i++) {
		uint16_t b;
		int e = mt_pick(r->mt, tk->key[i], tk->len[i], now, &load, &b);

		if (e == -EAGAIN)
			guard = true;
		else if (e == -EBUSY)
			busy = true;
		if (e < 0)
			continue;
		p->backend = b;
		p->be = disp_bset_get(r->bs, b);
		p->how = SROUTE_TABLE;
		hold(r, p, tk->key[i], tk->len[i], now);
		rc = 0;
	}
	pthread_mutex_unlock(&r->lock);
	if (rc == 0) {
		SROUTE_INC(r->table_hits);
		return 0;
	}
	SROUTE_INC(r->table_misses);
	if (guard)
		SROUTE_INC(r->guard_refused);
	else if (busy)
		SROUTE_INC(r->busy_refused);
	return rc;
}

int sroute_pick(struct sroute *r, const struct tls_client_hello *ch,
		const struct disp_addr *client, uint32_t flow_hash,
		uint64_t now_ms, const bool *tried, unsigned pool,
		struct sroute_pick *p)
{
	struct tls_key k[TLS_KEY_CANDIDATES];
	struct table_keys tk;
	int nk = 0;

	memset(p, 0, sizeof(*p));
	if (!ch) {
		SROUTE_INC(r->not_tls);
		return sched(r, client, flow_hash, tried, pool, p);
	}
	SROUTE_INC(r->hellos);
	nk = tls_key_derive(r->keys, ch, k, TLS_KEY_CANDIDATES);
	if (nk < 0)
		nk = 0;
	for (int i = 0; i < nk; i++) {
		if (k[i].kind == TLS_KEY_SESSION_ID && !p->sid_len) {
			p->sid_len = k[i].len;
			memcpy(p->sid, k[i].bytes, k[i].len);
		}
		if (k[i].kind != TLS_KEY_SNI)
			p->offered = 1;
	}
	if ((ch->has_ticket_ext && ch->ticket_len > 0) || ch->has_psk)
		p->offered = 1;
	if (p->offered)
		SROUTE_INC(r->offered);
	if (!r->mt) /* session-table off: plain balancing, for comparison */
		return sched(r, client, flow_hash, tried, pool, p);

	for (int i = 0; i < nk; i++) {
		if (k[i].backend < 0 || skip(r, tried, pool, (uint16_t)k[i].backend))
			continue;
		p->backend = (uint16_t)k[i].backend;
		p->be = disp_bset_get(r->bs, p->backend);
		p->how = SROUTE_PREFIX;
		SROUTE_INC(r->prefix_routed);
		return 0;
	}
	table_keys(ch, k, nk, &tk);
	if (tk.n && table_pick(r, &tk, now_ms, tried, pool, p) == 0)
		return 0;
	return sched(r, client, flow_hash, tried, pool, p);
}

/* Learns key for p's backend and holds it BUSY for this connection. */
static void learn(struct sroute *r, struct sroute_pick *p, uint8_t kind,
		  const uint8_t *b, size_t len, uint64_t now)
{
	uint8_t key[MT_MAX_KEY], kl;

	if (len == 0)
		return;
	kl = make_key(key, kind, b, len);
	if (holds(p, key, kl))
		return;
	pthread_mutex_lock(&r->lock);
	if (mt_learn(r->mt, key, kl, p->backend, now) == 0) {
		SROUTE_INC(r->learned);
		hold(r, p, key, kl, now);
	}
	pthread_mutex_unlock(&r->lock);
}

void sroute_server(struct sroute *r, struct sroute_pick *p,
		   const struct tls_server_stream *s, uint64_t now_ms)
{
	struct tls_key k;

	if (!p->be || !s->seen_hello)
		return;
	/* Resumed is final as soon as it shows. A full handshake is final
	 * at the TLS 1.3 ServerHello (the PSK was not accepted), or for
	 * TLS <= 1.2 once the stream is encrypted: a ticket resumption may
	 * show only by the server skipping its certificate. */
	if (!p->counted && (s->resumed || s->version == TLS_VERSION_1_3 ||
			    s->encrypted)) {
		p->counted = true;
		if (s->resumed) {
			SROUTE_INC(r->resumed);
			SROUTE_INC(r->be[p->backend].resumed);
		} else {
			SROUTE_INC(r->full);
			SROUTE_INC(r->be[p->backend].full);
		}
	}
	if (!r->mt)
		return;
	if (tls_key_learn(s, &k) == 1)
		learn(r, p, KIND_SID, k.bytes, k.len, now_ms);
	if (s->has_ticket && s->ticket)
		learn(r, p, KIND_TICKET, s->ticket, s->ticket_len, now_ms);
}

void sroute_release(struct sroute *r, struct sroute_pick *p, uint64_t now_ms)
{
	bool any = false;

	for (int i = 0; i < SROUTE_HELD_MAX; i++)
		any = any || p->held[i].len;
	if (!any || !r->mt)
		return;
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < SROUTE_HELD_MAX; i++) {
		if (!p->held[i].len)
			continue;
		/* -ENOENT: flushed or evicted meanwhile; nothing to free. */
		(void)mt_release(r->mt, p->held[i].key, p->held[i].len, p->backend,
				 now_ms);
		p->held[i].len = 0;
	}
	pthread_mutex_unlock(&r->lock);
}

