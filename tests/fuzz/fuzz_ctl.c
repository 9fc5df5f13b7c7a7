/* libFuzzer harness: control-socket command lines. The input is split at
 * newlines and every line runs through disp_ctl_exec against a fixed
 * two-service pool, exactly as the server does for a client. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_ctl.h"
#include "ctl/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct disp_ctl *ctl;

static void init(void)
{
	static const char conf[] =
		"service web {\n vip 10.0.0.100:80\n client-interface e\n"
		" backend 10.0.1.1:80\n backend 10.0.1.2:80 weight 3\n}\n"
		"service web6 {\n vip [fd00::100]:80\n client-interface e\n"
		" scheduler source-hash\n backend [fd00:1::1]:80\n}\n";
	struct disp_config *cfg;
	struct disp_pool *pool;
	char err[256];

	if (disp_config_parse(conf, sizeof(conf) - 1, "f", &cfg, err, sizeof(err)) < 0 ||
	    disp_pool_create(cfg, &pool) < 0 || disp_ctl_create_detached(&ctl) < 0 ||
	    disp_backend_ctl_register(ctl, cfg, pool) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	if (!ctl)
		init();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct disp_ctl_out *o = disp_ctl_out_new();

		if (len <= DISP_CTL_LINE_MAX)
			disp_ctl_exec(ctl, p, len, o);
		disp_ctl_out_free(o);
		p += len + 1;
	}
	return 0;
}
