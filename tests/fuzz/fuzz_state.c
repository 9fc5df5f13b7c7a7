/* libFuzzer harness for the state file parser (disp_pool_state_apply, the
 * lines `state-file PATH` holds). Besides not crashing: a refused input
 * changes nothing, and what an accepted input set survives a save and a
 * load into a fresh pool unchanged. Seeds: seeds/state (files spliced
 * wrote, plus hand-broken ones). Golden table: tests/daemon/test_state.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend_state.h"
#include "conf/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf[] =
	"service web {\n vip 10.0.0.100:80\n client-interface e\n"
	" backend 10.0.1.1:80\n backend 10.0.1.2:80\n}\n"
	"service api {\n vip 10.0.0.101:80\n client-interface e\n"
	" backend 10.0.1.1:80\n}\n";

/* Slots a pool can have: every set's capacity (lines marked "added"
 * create backends). */
#define SNAP 1024

/* Every present backend's admin state and weight, in slot order, for
 * comparing two pools (a slot a run-time addition and deletion left empty
 * is not state: the file does not record it). */
static void snapshot(struct disp_pool *p, unsigned out[SNAP])
{
	size_t k = 0;

	memset(out, 0, SNAP * sizeof(out[0]));
	for (size_t s = 0; s < disp_pool_count(p); s++)
		for (size_t i = 0; i < disp_bset_count(disp_pool_bset(p, s)) && k < SNAP; i++) {
			struct disp_backend *be = disp_bset_get(disp_pool_bset(p, s), i);

			if (disp_backend_present(be))
				out[k++] = (unsigned)(s + 1) << 24 |
					   (unsigned)disp_backend_admin(be) << 16 |
					   disp_backend_weight(be);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct disp_config *cfg;
	static char path[64];
	struct disp_pool *pool, *again;
	struct disp_state_result res;
	static unsigned before[SNAP], after[SNAP], loaded[SNAP];
	char err[256];
	int rc;

	if (!cfg) {
		if (disp_config_parse(conf, strlen(conf), "f", &cfg, err, sizeof(err)) < 0)
			abort();
		snprintf(path, sizeof(path), "/tmp/fuzz-state-%d", getpid());
	}
	if (disp_pool_create(cfg, &pool) < 0)
		abort();
	snapshot(pool, before);
	rc = disp_pool_state_apply(pool, (const char *)data, size, &res, err, sizeof(err));
	snapshot(pool, after);
	if (rc < 0 && memcmp(before, after, sizeof(before)) != 0)
		abort(); /* a refused file changed something */
	if (rc == 0) {
		if (disp_pool_state_save(pool, path) < 0 || disp_pool_create(cfg, &again) < 0)
			abort();
		if (disp_pool_state_load(again, path, &res, err, sizeof(err)) < 0)
			abort(); /* spliced cannot read back what it wrote */
		snapshot(again, loaded);
		if (memcmp(after, loaded, sizeof(after)) != 0)
			abort();
		disp_pool_free(again);
		unlink(path);
	}
	disp_pool_free(pool);
	return 0;
}
