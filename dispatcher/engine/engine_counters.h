/* The engine's counters, listed once. Everything else is generated from
 * this list: the per-worker fields (engine_int.h), the public snapshot
 * (engine.h), the sum over workers (engine.c) and the names `show stats`
 * and the final stdout dump print (engine_ctl.c). Adding a counter is one
 * line here plus the WSTAT_INC that counts it.
 *
 * X(name, how, doc): how is SUM (added over workers) or MAX (the largest
 * worker's value). The name is the field name and the printed name, which
 * tests and scripts read: never rename one. */
#ifndef DISP_ENGINE_COUNTERS_H
#define DISP_ENGINE_COUNTERS_H

#define DISP_ENGINE_COUNTERS(X)                                               \
	X(rx_packets, SUM, "frames read from the packet sockets")             \
	X(tx_packets, SUM, "frames sent after rewrite")                       \
	X(tx_errors, SUM, "sends that failed")                                \
	X(rx_bytes, SUM, "bytes read")                                        \
	X(tx_bytes, SUM, "bytes sent")                                        \
	X(flows_created, SUM, "flows created")                                \
	X(flows_active, SUM, "flows now in the tables")                       \
	X(flows_closed, SUM, "flows ended by an orderly FIN or RST")          \
	X(flows_expired, SUM, "flows ended by the idle timeout")              \
	X(refused_full, SUM, "new flows refused: flow table full")            \
	X(refused_nobackend, SUM, "new flows refused: no backend UP")         \
	X(rst_sent, SUM, "RSTs sent to refused clients")                      \
	X(dropped_parse, SUM, "frames that failed header checks")             \
	X(dropped_noflow, SUM, "non-SYN segments of no known flow")           \
	X(ignored, SUM, "frames not for a VIP or a backend (passed by)")      \
	X(csum_bad, SUM, "dropped: corrupt checksum (raw-io policy)")         \
	X(gso_packets, SUM, "super-packets (offloads) segmented")             \
	X(gso_segments, SUM, "segments they were cut into")                   \
	X(retransmits, SUM, "segments resending seen data (either side)")     \
	X(resets, SUM, "RSTs seen from clients or backends")                  \
	X(rx_errors, SUM, "capture socket errors (interface down/gone)")      \
	/* the kernel fast path (fastpath auto|tc) */                         \
	X(fp_offloaded, SUM, "flows handed to the kernel fast path")          \
	X(fp_adopted, SUM, "offloaded flows taken over from a previous process")\
	X(fp_closed, SUM, "offloaded flows ended (map entries removed)")      \
	X(fp_nomac, SUM, "not offloaded: next hop not learned")               \
	X(fp_full, SUM, "not offloaded: flow map full")                       \
	X(fp_insert_err, SUM, "not offloaded: map insert failed")             \
	X(fp_ctl, SUM, "FIN/RST of offloaded flows seen (sent by the kernel)")\
	X(fp_packets, SUM, "packets the kernel forwarded (of ended flows)")   \
	X(fp_bytes, SUM, "IP bytes the kernel forwarded (of ended flows)")    \
	/* splice mode (zero for nat services) */                             \
	X(splice_synacks, SUM, "client SYNs answered by spliced")             \
	X(splice_cookies, SUM, "... with a stateless cookie (table full)")    \
	X(splice_cookie_ok, SUM, "handshakes completed by a valid cookie")    \
	X(splice_bad_ack, SUM, "ACKs matching no half-open entry or cookie")  \
	X(splice_bound, SUM, "connections spliced to a backend")              \
	X(splice_hello_timeout, SUM, "bound without a whole hello (timer)")   \
	X(splice_not_tls, SUM, "first bytes were not a TLS hello")            \
	X(splice_be_retries, SUM, "backend SYNs retransmitted")               \
	X(splice_be_refused, SUM, "backend refused or never answered")        \
	X(be_passive_down, SUM, "backends held down by the data path")        \
	X(splice_replays, SUM, "first-data retransmissions to backends")      \
	X(splice_setup_us, SUM, "sum of setup latencies (hello complete -> "  \
	  "backend SYN-ACK), microseconds")                                   \
	X(splice_setup_max_us, MAX, "largest setup latency, microseconds")

/* How one worker's value v joins the total acc. */
#define DISP_COUNTER_SUM(acc, v) ((acc) += (v))
#define DISP_COUNTER_MAX(acc, v)                     \
	do {                                          \
		uint64_t v_ = (v);                    \
		if (v_ > (acc))                       \
			(acc) = v_;                   \
	} while (0)

/* Declares one uint64_t field per counter (inside a struct). */
#define DISP_COUNTER_FIELD(name, how, doc) uint64_t name;

#endif
