/* The mapping table's load view from a backend set. See mt_load.h. */
#include "backend/backend.h"
#include "splice/route/mt_load.h"

uint32_t mt_load_from_bset(struct mt_load *load, struct disp_bset *bs,
			   uint32_t *active, bool *down, uint32_t n)
{
	size_t count = disp_bset_count(bs);
	uint32_t m = count < n ? (uint32_t)count : n;

	for (uint32_t i = 0; i < m; i++) {
		struct disp_backend *be = disp_bset_get(bs, i);
		uint64_t c = disp_backend_conns(be);

		active[i] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
		down[i] = !disp_backend_usable(be);
	}
	load->active = active;
	load->down = down;
	load->n = m;
	mt_load_sum(load);
	return m;
}
