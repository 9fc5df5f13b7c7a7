/* libFuzzer harness for the mapping table: the input is a program of
 * table operations on a small table (so the cap, full candidate sets,
 * probe-run wrap-around and expiry all happen), and after each one the
 * invariants a caller relies on are checked:
 *   - every listed entry is found again by mt_pick (never -ENOENT), and
 *     the entry count matches the stats;
 *   - the age list is ordered by touch time (what expiry depends on);
 *   - at most MT_MAX_CANDS candidates, distinct backends, BUSY iff users.
 * Each op: u8 opcode, u8 key selector, u8 backend, u8 time step. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maptable/maptable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	struct mt_table *t;
	uint64_t now;
	uint64_t last_touched;
	uint32_t n;
};

static int check_entry(const struct mt_entry_view *e, void *arg)
{
	struct check *c = arg;
	uint16_t b;
	int r;

	if (e->touched_ms < c->last_touched || e->n_cands > MT_MAX_CANDS)
		abort();
	c->last_touched = e->touched_ms;
	for (unsigned i = 0; i < e->n_cands; i++) {
		if ((e->cands[i].state == MT_BUSY) != (e->cands[i].users > 0))
			abort();
		for (unsigned j = 0; j < i; j++)
			if (e->cands[i].backend == e->cands[j].backend)
				abort();
	}
	r = mt_pick(c->t, e->key, e->key_len, c->now, NULL, &b);
	if (r == -ENOENT || r == -EINVAL)
		abort();
	c->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_config cfg;
	struct mt_table *t;
	uint32_t active[4] = { 0 };
	bool down[4] = { false };
	struct mt_load l = { .active = active, .down = down, .n = 4 };
	uint64_t now = 0;

	mt_config_default(&cfg, 8, 4);
	cfg.lifetime_ms = 500;
	memset(cfg.secret, 7, sizeof(cfg.secret)); /* reproducible layout */
	if (mt_create(&cfg, &t) < 0)
		abort();
	for (size_t i = 0; i + 4 <= size; i += 4) {
		uint8_t op = data[i], sel = data[i + 1];
		uint16_t backend = data[i + 2] % 5; /* 4 is out of range */
		uint8_t key[MT_MAX_KEY + 1];
		size_t len = (size_t)(sel >> 4) * 3 + 1; /* 1..46 */
		struct check c = { .t = t };
		struct mt_stats st;
		uint16_t b;

		memset(key, sel & 15, sizeof(key));
		now += data[i + 3];
		if (op & 0x80)
			now -= data[i + 3] / 2; /* clocks step back sometimes */
		active[backend % 4] = data[i + 3] % 9;
		down[(op >> 3) % 4] = op & 0x40;
		mt_load_sum(&l);
		switch (op % 8) {
		case 0: case 1: (void)mt_learn(t, key, len, backend, now); break;
		case 2: (void)mt_pick(t, key, len, now, &l, &b); break;
		case 3: (void)mt_acquire(t, key, len, backend, now); break;
		case 4: (void)mt_release(t, key, len, backend, now); break;
		case 5: (void)mt_expire(t, now, op >> 4); break;
		case 6: (void)mt_forget(t, key, len); break;
		default: (void)mt_learn(t, key, sizeof(key), backend, now); break;
		}
		c.now = now;
		(void)mt_foreach(t, check_entry, &c);
		mt_get_stats(t, &st);
		if (c.n != st.entries || st.entries > 8)
			abort();
	}
	mt_destroy(t);
	return 0;
}
