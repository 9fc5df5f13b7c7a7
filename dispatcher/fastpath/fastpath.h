/* The kernel fast path: eBPF programs that translate and forward the
 * segments of offloaded flows (tc ingress), a socket filter that keeps
 * their packets away from the capture, and the flow map user space fills.
 *
 * A LOW leaf layer: it knows map entries, not connections; the engine
 * decides what enters the map and when. Every function returns 0 or a
 * negative errno; after a failure of open or attach, disp_fp_reason()
 * says why in words (for the log line of a "fastpath auto" fallback).
 * One owner opens, attaches and closes; insert, remove and read may then
 * be called from any number of threads at once (their errno says why).
 *
 * Built without libbpf (meson option fastpath=disabled, or libbpf, clang
 * or bpftool missing), disp_fp_open() fails with -EOPNOTSUPP and says so.
 */
#ifndef SPLICEKIT_FASTPATH_H
#define SPLICEKIT_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_abi.h"

struct disp_fp;
struct raw_pkt;

struct disp_fp_counters {
	uint64_t bytes, packets, last_seen_ns, fin_rst;
};

struct disp_fp_stats {
	uint64_t st[DISP_FP_ST_MAX];   /* summed over CPUs, DISP_FP_ST_* */
	uint32_t flows;                /* entries in the map now */
	uint32_t max_flows;
};

/* Loads the programs and creates the maps (max_flows entries, 1..2^24).
 * With pin_dir (a directory on a bpf filesystem, created if missing), maps
 * already pinned there by an earlier process are adopted with their
 * entries, else the new maps are pinned there. On failure *out is NULL and
 * err[0..errlen) says why (verifier, privileges, pinned map of another
 * layout, no bpffs). Returns 0 or -errno. */
int disp_fp_open(struct disp_fp **out, const char *pin_dir, uint32_t max_flows,
		 char *err, size_t errlen);

/* Attaches the translator to ifindex's clsact ingress (creating the qdisc
 * if missing), replacing the filter an earlier process left there. */
int disp_fp_attach_tc(struct disp_fp *fp, int ifindex);

/* Attaches the socket filter to a packet socket (SO_ATTACH_BPF). */
int disp_fp_attach_filter(struct disp_fp *fp, int sock_fd);

/* Limits the socket filter to the packets the capture is for: TCP to one
 * of the (address, port) pairs added with to_dst (a VIP), or from one
 * added without (a backend). A socket filter replaces the capture's own
 * classic filter, so without this it would pass every other packet on the
 * interface up. Until the first call everything not offloaded passes.
 * -ENOSPC past DISP_FP_ENDS_MAX pairs. */
int disp_fp_match_add(struct disp_fp *fp, int family, const uint8_t *addr,
		      uint16_t port, bool to_dst);

/* Inserts one direction's entry; the counters of *flow are ignored (set to
 * zero). -EEXIST if the key is present (entries are never updated in
 * place: remove, then insert), -ENOSPC when the map is full, -EINVAL for
 * a bad key or flow (family, proto, shifts > 14, no ifindex). */
int disp_fp_insert(struct disp_fp *fp, const struct disp_fp_key *key,
		   const struct disp_fp_flow *flow);

/* Removes an entry. -ENOENT if absent. */
int disp_fp_remove(struct disp_fp *fp, const struct disp_fp_key *key);

/* Reads an entry's counters. -ENOENT if absent. */
int disp_fp_read(struct disp_fp *fp, const struct disp_fp_key *key,
		 struct disp_fp_counters *c);

/* Calls cb for every entry (adopted ones included) until cb returns
 * non-zero, which is returned. Entries may be removed from cb. */
int disp_fp_foreach(struct disp_fp *fp,
		    int (*cb)(const struct disp_fp_key *key,
			      const struct disp_fp_flow *flow, void *arg),
		    void *arg);

/* Fills *st with the program counters and the map's fill. */
int disp_fp_stats(struct disp_fp *fp, struct disp_fp_stats *st);

/* Number of entries found in pinned maps at open (0 when none adopted). */
uint32_t disp_fp_adopted(const struct disp_fp *fp);

/* Why the last failing call failed; "" after success. Owned by fp. */
const char *disp_fp_reason(const struct disp_fp *fp);

/* Program fds for tests (BPF_PROG_TEST_RUN) and inspection; owned by fp. */
int disp_fp_tc_prog_fd(const struct disp_fp *fp);
int disp_fp_filter_prog_fd(const struct disp_fp *fp);

/* Fills *key with the tuple of the parsed TCP packet p (as it arrives).
 * -EINVAL if p is not TCP. */
int disp_fp_key_from_pkt(struct disp_fp_key *key, const struct raw_pkt *p);

/* Releases fp. keep_pinned: leave the tc filters attached and the maps
 * pinned, so flows keep forwarding until a new process adopts them; else
 * detach what this process attached and unpin. NULL is a no-op. */
void disp_fp_close(struct disp_fp *fp, bool keep_pinned);

#endif
