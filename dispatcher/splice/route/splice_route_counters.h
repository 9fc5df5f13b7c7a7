/* The session router's counters, listed once: the atomic fields of struct
 * sroute (splice_route_int.h), the snapshot struct sroute_stats
 * (splice_route.h), the snapshot copy (splice_route_ctl.c) and the names
 * `show stats` prints are all generated from it. The name is what tests
 * and scripts read: never rename one.
 *
 * X(name, doc) */
#ifndef DISP_SPLICE_ROUTE_COUNTERS_H
#define DISP_SPLICE_ROUTE_COUNTERS_H

#define SROUTE_COUNTERS(X)                                                  \
	X(hellos, "ClientHellos routed")                                    \
	X(not_tls, "connections routed without a hello")                    \
	X(offered, "hellos offering a session")                             \
	X(prefix_routed, "routed by a configured prefix")                   \
	X(table_hits, "routed by the mapping table")                        \
	X(table_misses, "key offered, no usable candidate")                 \
	X(resumed, "server resumed the offered session")                    \
	X(full, "full handshakes")                                          \
	X(guard_refused, "picks the load guard refused")                    \
	X(busy_refused, "picks where every candidate was BUSY")             \
	X(learned, "keys learned from servers")                            \
	X(lard_routed, "routed by LARD on the HTTP path")

#endif
