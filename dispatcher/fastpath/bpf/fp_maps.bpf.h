/* The maps both programs use. Each object declares them; the loader makes
 * the socket filter's object reuse the tc object's maps (one flow table),
 * and a restarted daemon reuses the pinned ones. */
#ifndef SPLICEKIT_FP_MAPS_BPF_H
#define SPLICEKIT_FP_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "../fp_abi.h"

/* A plain hash, not LRU: an LRU would evict live flows silently. The
 * loader sets max_entries; an insert into a full map fails and the flow
 * stays in user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct disp_fp_key);
	__type(value, struct disp_fp_flow);
} fp_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DISP_FP_ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} fp_stats SEC(".maps");

static __always_inline void fp_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&fp_stats, &idx);

	if (v)
		*v += 1; /* per-CPU: no atomics needed */
}

#endif
