/* The load view a mapping-table pick needs (active connections and
 * usable backends), read from the live backend set. */
#ifndef DISP_MT_LOAD_H
#define DISP_MT_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "maptable/maptable.h"

struct disp_bset;

/* Fills *load from the backend set: active[i] = current connections of
 * backend i (config order, which is also the backend id the table uses),
 * down[i] = not usable (health DOWN or admin DOWN/DRAIN), plus the sums.
 * active and down are the caller's arrays of n entries; backends past n
 * are left out. Returns the number of backends described. O(n). */
uint32_t mt_load_from_bset(struct mt_load *load, struct disp_bset *bs,
			   uint32_t *active, bool *down, uint32_t n);

#endif
