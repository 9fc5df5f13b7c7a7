/* Internal to raw/: the per-layer parsers raw_parse() chains. Each takes a
 * cursor positioned at its header (window = rest of the capture), fills
 * its part of *p, and returns 0 or -errno with p->reason set. */
#ifndef SPLICEKIT_RAW_PARSE_INT_H
#define SPLICEKIT_RAW_PARSE_INT_H

#include "splicekit/cursor.h"
#include "splicekit/raw_pkt.h"

/* Records why parsing stopped and returns err (negative). */
static inline int reject(struct raw_pkt *p, enum raw_reason r, int err)
{
	p->reason = r;
	return err;
}

int raw_parse_ipv4(struct raw_pkt *p, struct raw_cur *c);
int raw_parse_ipv6(struct raw_pkt *p, struct raw_cur *c);
/* Records l4_off/l4_len/l4_proto (already in p) and hands TCP on; other
 * protocols are reported, not rejected. l4's window is exactly the
 * upper-layer bytes. */
int raw_parse_upper(struct raw_pkt *p, struct raw_cur *l4);
/* c's window is exactly the upper-layer bytes (l4_len). */
int raw_parse_tcp(struct raw_pkt *p, struct raw_cur *c);

#endif
