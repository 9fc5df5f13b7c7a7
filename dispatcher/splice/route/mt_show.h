/* The mapping table in a control reply: `show table` in the paper's
 * columns. */
#ifndef DISP_MT_SHOW_H
#define DISP_MT_SHOW_H

#include <stdbool.h>
#include <stdint.h>

#include "maptable/maptable.h"

struct disp_bset;
struct disp_ctl_out;

/* Writes the table into a control reply, oldest entry first, one row per
 * candidate: session ID (hex), server IP address, server port, timestamp
 * (ms, and age at now), server state (BUSY with its user count, or IDLE).
 * Backend ids are indexes into bs. json selects {"table":[...]}. Returns
 * 0 or -ENOBUFS (reply full; what fit was written). */
int mt_show(const struct mt_table *t, struct disp_bset *bs,
	    struct disp_ctl_out *o, bool json, uint64_t now);

/* mt_show in steps, for a caller that copies the entries while holding its
 * lock and formats them after releasing it: mt_show_head writes the header
 * and sets up *s, mt_show_row (an mt_foreach callback, arg = s) writes one
 * entry's rows and returns 1 once the reply is full, mt_show_tail closes
 * the reply. Return values as mt_show. */
struct mt_show_ctx {
	struct disp_bset *bs;
	struct disp_ctl_out *o;
	bool json;
	bool first;
	uint64_t now;
	int err;
	/* Keys start with a kind byte (splice_route.h: 's' session ID, 't'
	 * ticket): print it as a word before the hex of the rest. Set after
	 * mt_show_head. */
	bool kind_byte;
};
int mt_show_head(struct mt_show_ctx *s, struct disp_bset *bs,
		 struct disp_ctl_out *o, bool json, uint64_t now);
int mt_show_row(const struct mt_entry_view *e, void *arg);
int mt_show_tail(struct mt_show_ctx *s);

#endif
