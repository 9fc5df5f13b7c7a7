/* Internals of the fast-path loader, shared by its files. */
#ifndef SPLICEKIT_FP_INT_H
#define SPLICEKIT_FP_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "fastpath.h"

/* tc filter identity: a restarted daemon replaces exactly this filter. */
#define FP_TC_HANDLE 0x5b1c
#define FP_TC_PRIO   1
#define FP_MAX_IFS   16
#define FP_MAX_FLOWS (1u << 24)

struct fp_tc;
struct fp_filter;

struct disp_fp {
	struct fp_tc *tc;
	struct fp_filter *filt;
	int flows_fd, stats_fd;      /* owned by the skeletons */
	uint32_t max_flows;
	uint32_t adopted;
	int ifs[FP_MAX_IFS];         /* where this process attached tc */
	unsigned n_ifs;
	bool pinned;
	char pin_dir[PATH_MAX];
	char reason[512];
};

/* Sets fp->reason and returns r (a negative errno). */
int fp_fail(struct disp_fp *fp, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Routes libbpf's messages into a buffer (and to stderr when
 * SPLICEKIT_FP_DEBUG is set); fp_libbpf_last() returns the tail of the
 * last one (the verifier's verdict after a failed load). */
void fp_libbpf_quiet(void);
const char *fp_libbpf_last(void);

/* fp_pin.c: before load, makes the skeleton's maps reuse those pinned in
 * dir (if any, counting their entries into fp->adopted); after load, pins
 * the maps that were new. */
int fp_pin_adopt(struct disp_fp *fp, const char *dir);
int fp_pin_maps(struct disp_fp *fp);
void fp_pin_remove(struct disp_fp *fp);

/* fp_attach.c: the hook and filter identity of our tc filter on ifindex. */
struct bpf_tc_hook;
struct bpf_tc_opts;
void fp_tc_ids(struct bpf_tc_hook *hook, struct bpf_tc_opts *o, int ifindex);

/* fp_map.c */
int fp_count_entries(int map_fd, uint32_t *n);

#endif
