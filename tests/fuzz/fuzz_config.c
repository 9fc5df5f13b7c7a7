/* libFuzzer harness: the config parser (and, for configs it accepts, the
 * pool and all three schedulers built from them). */
#include <stdint.h>
#include <stdio.h>

#include "backend/backend.h"
#include "conf/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disp_config *cfg = NULL;
	struct disp_pool *pool = NULL;
	char err[512];

	if (disp_config_parse((const char *)data, size, "fuzz", &cfg, err, sizeof(err)) < 0)
		return 0;
	if (disp_pool_create(cfg, &pool) == 0) {
		struct disp_addr c = { .family = cfg->services[0].vip.family, .port = 1 };

		for (size_t s = 0; s < disp_pool_count(pool); s++) {
			struct disp_bset *bs = disp_pool_bset(pool, s);
			for (int i = 0; i < 4; i++)
				disp_bset_pick(bs, &c);
		}
		disp_pool_free(pool);
	}
	disp_config_free(cfg);
	return 0;
}
