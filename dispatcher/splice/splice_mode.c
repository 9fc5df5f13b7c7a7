/* splice mode behind the engine's mode interface (engine/mode.h): the
 * ISN/cookie secret every worker shares, each service's session router,
 * each worker's half-open table and keys, and the hooks. The packet path
 * itself is splice.c (client side), splice_bind.c (backend leg),
 * splice_xlate.c (translation) and splice_timer.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "splice/splice_int.h"
#include "splice/route/splice_route_cmd.h"
#include "splice/splice_mode.h"
#include "util/siphash.h"

/* A half-open entry lives as long as the shortest SYN timeout of the
 * splice services; past it a late ACK can still complete by cookie. */
static uint32_t halfopen_ttl(const struct disp_engine *e)
{
	uint32_t ttl = 0;

	for (size_t i = 0; i < e->nsvc; i++) {
		const struct disp_service_conf *sc = e->svc[i].conf;

		if (sc->mode == DISP_MODE_SPLICE && sc->timeouts.syn_ms &&
		    (ttl == 0 || sc->timeouts.syn_ms < ttl))
			ttl = sc->timeouts.syn_ms;
	}
	return ttl ? ttl : 10000;
}

static int engine_init(struct disp_engine *e, char *err, size_t errlen)
{
	struct splice_engine *se = calloc(1, sizeof(*se));

	if (!se)
		return -ENOMEM;
	if (e->cfg->has_isn_secret) {
		memcpy(se->master, e->cfg->isn_secret, sizeof(se->master));
	} else if (getrandom(se->master, sizeof(se->master), 0) !=
		   sizeof(se->master)) {
		int r = -errno;

		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		free(se);
		return r;
	}
	if (!e->detached)
		se->wall_off_ms = disp_wall_offset_ms();
	se->ho_ttl_ms = halfopen_ttl(e);
	e->mode_priv[DISP_MODE_SPLICE] = se;
	return 0;
}

static void engine_fini(struct disp_engine *e)
{
	struct splice_engine *se = splice_e(e);

	if (!se)
		return;
	explicit_bzero(se, sizeof(*se));
	free(se);
	e->mode_priv[DISP_MODE_SPLICE] = NULL;
}

static int svc_init(struct disp_engine *e, struct disp_svc *s, char *err,
		    size_t errlen)
{
	struct sroute *r;
	int rc = sroute_create(&r, s->conf, s->bset, err, errlen);

	if (rc == 0)
		s->mode_priv = r;
	return rc;
}

static void svc_fini(struct disp_svc *s)
{
	sroute_destroy(s->mode_priv);
	s->mode_priv = NULL;
}

/* The key of an epoch: 128 bits of SipHash-2-4 under the master secret. */
static void epoch_key(const struct splice_worker *sp, uint64_t epoch,
		      uint8_t key[16])
{
	for (uint64_t half = 0; half < 2; half++) {
		uint64_t in[2] = { epoch, half };
		uint64_t h = disp_siphash(sp->master, in, sizeof(in));

		memcpy(key + 8 * half, &h, 8);
	}
}

void splice_rekey(struct disp_worker *w, uint64_t now_s)
{
	struct splice_worker *sp = splice_w(w);
	uint64_t epoch = now_s / SPLICE_REKEY_SECS;
	uint8_t key[16];

	if (epoch == sp->epoch)
		return;
	epoch_key(sp, epoch, key);
	/* The old key keeps checking cookies for one more slot. */
	ssyn_secret_rotate(&sp->secret, key, now_s);
	sp->epoch = epoch;
	explicit_bzero(key, sizeof(key));
}

int splice_worker_init(struct disp_worker *w, char *err, size_t errlen)
{
	const struct splice_engine *se = splice_e(w->e);
	struct splice_worker *sp = calloc(1, sizeof(*sp));
	uint64_t now_s;
	uint8_t key[16];
	int r;

	if (!sp)
		return -ENOMEM;
	memcpy(sp->master, se->master, sizeof(sp->master));
	sp->wall_off_ms = se->wall_off_ms;
	now_s = splice_secs(sp, disp_now_ms());
	sp->epoch = now_s / SPLICE_REKEY_SECS;
	epoch_key(sp, sp->epoch, key);
	r = ssyn_secret_init(&sp->secret, key, now_s);
	explicit_bzero(key, sizeof(key));
	if (r == 0) {
		sp->ho = ssyn_ho_new(SPLICE_HALFOPEN_MAX, se->ho_ttl_ms);
		if (!sp->ho)
			r = -errno;
	}
	if (r < 0) {
		snprintf(err, errlen, "splice half-open table: %s", strerror(-r));
		free(sp);
		return r;
	}
	sp->ttl = 64;
	w->mode_priv[DISP_MODE_SPLICE] = sp;
	return 0;
}

void splice_worker_fini(struct disp_worker *w)
{
	struct splice_worker *sp = splice_w(w);

	if (!sp)
		return;
	ssyn_ho_free(sp->ho);
	explicit_bzero(sp, sizeof(*sp));
	free(sp);
	w->mode_priv[DISP_MODE_SPLICE] = NULL;
}

struct sroute *splice_route(struct disp_engine *e, size_t i)
{
	if (i >= e->nsvc || e->svc[i].mode->kind != DISP_MODE_SPLICE)
		return NULL;
	return splice_route_of(&e->svc[i]);
}

static struct sroute *engine_route(void *arg, size_t svc)
{
	return splice_route(arg, svc);
}

int splice_ctl_register(struct disp_ctl *ctl, const struct disp_config *cfg,
			struct disp_pool *pool, struct disp_engine *e)
{
	return sroute_cmd_register_fn(ctl, cfg, pool, engine_route, e, NULL);
}

const struct disp_mode_ops splice_mode = {
	.kind = DISP_MODE_SPLICE,
	.engine_init = engine_init,
	.engine_fini = engine_fini,
	.svc_init = svc_init,
	.svc_fini = svc_fini,
	.worker_init = splice_worker_init,
	.worker_fini = splice_worker_fini,
	.new_packet = splice_new,
	.input = splice_input,
	.release = splice_release,
	.tick = splice_timer,
};
