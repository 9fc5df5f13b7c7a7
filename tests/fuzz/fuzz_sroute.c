/* libFuzzer: the session router under arbitrary client and server bytes.
 * Each input is parsed as a ClientHello (routed by sroute_pick, or as
 * "not TLS") and as the server's stream (fed to sroute_server in pieces
 * whose size the first byte chooses), then released. One router lives
 * across inputs, with a small table so learning, eviction and flushing
 * all happen. Oracle: a pick always names a usable backend of the set,
 * and once every connection is released no table entry is BUSY. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "conf/config.h"
#include "ctl/ctl.h"
#include "splice/route/splice_route.h"
#include <splicekit/tls.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct disp_config *cfg;
static struct disp_pool *pool;
static struct sroute *r;
static uint64_t now = 1000;

static void init(void)
{
	static const char text[] =
		"service s {\n vip 10.0.0.1:443\n client-interface c0\n mode splice\n"
		" session-table-size 64\n session-lifetime 2s\n load-guard 150 min 1\n"
		" backend 10.0.1.1:443 session-id-prefix 5b01\n"
		" backend 10.0.1.2:443\n backend 10.0.1.3:443\n}\n";
	char err[256];

	if (disp_config_parse(text, sizeof(text) - 1, "fuzz", &cfg, err, sizeof(err)) < 0 ||
	    disp_pool_create(cfg, &pool) < 0 ||
	    sroute_create(&r, &cfg->services[0], disp_pool_bset(pool, 0), err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_sroute: setup: %s\n", err);
		abort();
	}
}

static void no_busy_left(void)
{
	struct disp_ctl_out *o = disp_ctl_out_new();
	size_t len;

	if (!o)
		abort();
	sroute_show(r, o, false, now);
	if (strstr(disp_ctl_out_str(o, &len), "BUSY"))
		abort();
	disp_ctl_out_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_ch *ch = tls_ch_new(0);
	struct tls_srv *srv = tls_srv_new(0);
	struct disp_addr client = { .family = AF_INET, .port = 1234 };
	struct sroute_pick p;
	bool tried[3] = { false };
	size_t step = size ? (size_t)(data[0] & 15) + 1 : 1;
	int rc;

	if (!r)
		init();
	if (!ch || !srv)
		abort();
	now += size ? data[size - 1] * 10u : 1;
	if (size > 1)
		tried[data[1] % 4 < 3 ? data[1] % 4 : 0] = data[1] >= 4 && data[1] < 8;
	rc = tls_ch_feed(ch, data, size);
	if (sroute_pick(r, rc == TLS_DONE ? tls_ch_result(ch) : NULL, &client,
			size ? data[0] : 0, now, tried, 0, &p) == 0) {
		struct disp_bset *bs = disp_pool_bset(pool, 0);

		if (p.backend >= 3 || p.be != disp_bset_get(bs, p.backend) ||
		    tried[p.backend] || !disp_backend_usable(p.be))
			abort();
		tls_srv_set_offered(srv, p.sid, p.sid_len);
		for (size_t i = 0; i < size; i += step) {
			if (tls_srv_feed(srv, data + i, size - i < step ? size - i : step) < 0)
				break;
			sroute_server(r, &p, tls_srv_result(srv), now);
		}
		sroute_release(r, &p, now);
		sroute_release(r, &p, now + 1);
	}
	no_busy_left();
	if (size && data[0] == 0xff)
		sroute_flush(r, 1000, now);
	sroute_expire(r, now, 8);
	tls_ch_free(ch);
	tls_srv_free(srv);
	return 0;
}
