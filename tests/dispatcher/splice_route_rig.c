/* See splice_route_rig.h. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include <splicekit/tls.h>

#include "splice_route_rig.h"

void rig_up(struct rig *g, const char *body)
{
	char text[4096], err[512];

	memset(g, 0, sizeof(*g));
	snprintf(text, sizeof(text),
		 "service s {\n vip 10.0.0.1:443\n client-interface c0\n mode splice\n%s}\n",
		 body);
	cr_assert_eq(disp_config_parse(text, strlen(text), "rig.conf", &g->cfg, err,
				       sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_pool_create(g->cfg, &g->pool), 0);
	g->bs = disp_pool_bset(g->pool, 0);
	cr_assert_eq(sroute_create(&g->r, &g->cfg->services[0], g->bs, err, sizeof(err)),
		     0, "%s", err);
}

void rig_down(struct rig *g)
{
	sroute_destroy(g->r);
	disp_pool_free(g->pool);
	disp_config_free(g->cfg);
	memset(g, 0, sizeof(*g));
}

int rig_pick(struct rig *g, const struct gen_run *run, uint64_t now,
	     const bool *tried, struct sroute_pick *p)
{
	return rig_pick_pool(g, run, now, tried, 0, p);
}

int rig_pick_pool(struct rig *g, const struct gen_run *run, uint64_t now,
		  const bool *tried, unsigned pool, struct sroute_pick *p)
{
	struct tls_ch *ch = tls_ch_new(0);
	struct disp_addr client = { .family = AF_INET, .port = 40000 };
	int rc;

	client.ip.v4.s_addr = inet_addr("192.0.2.7");
	cr_assert_not_null(ch);
	cr_assert_eq(tls_ch_feed(ch, run->c2s, run->c2s_len), TLS_DONE);
	rc = sroute_pick(g->r, tls_ch_result(ch), &client, 7, now, tried, pool, p);
	/* The router keeps nothing that points into the parser. */
	tls_ch_free(ch);
	return rc;
}

void rig_serve(struct rig *g, const struct gen_run *run,
	       struct sroute_pick *p, uint64_t now)
{
	struct tls_srv *s = tls_srv_new(0);
	int rc = TLS_MORE;

	cr_assert_not_null(s);
	cr_assert_eq(tls_srv_set_offered(s, p->sid, p->sid_len), 0);
	for (size_t i = 0; i < run->s2c_len && rc == TLS_MORE; i++) {
		rc = tls_srv_feed(s, run->s2c + i, 1);
		sroute_server(g->r, p, tls_srv_result(s), now);
	}
	cr_assert_eq(rc, TLS_DONE, "server stream: %s",
		     tls_reason_str(tls_srv_reason(s)));
	tls_srv_free(s);
}

void rig_handshake(struct gen_ctx *gc, SSL_SESSION *resume, struct gen_run *run)
{
	cr_assert_eq(gen_handshake(gc, NULL, NULL, 0, resume, run), 0);
	if (resume)
		cr_assert(run->reused, "OpenSSL did not resume");
}

const char *rig_show(struct rig *g, uint64_t now)
{
	static char buf[65536];
	struct disp_ctl_out *o = disp_ctl_out_new();
	size_t len;

	cr_assert_not_null(o);
	cr_assert_eq(sroute_show(g->r, o, false, now), 0);
	snprintf(buf, sizeof(buf), "%s", disp_ctl_out_str(o, &len));
	disp_ctl_out_free(o);
	return buf;
}
