/* The flow map seen from user space: insert, remove, counters, walk,
 * statistics. Entries are inserted with BPF_NOEXIST and never updated in
 * place, so the program never reads a half-written translation.
 *
 * insert, remove and read are called by every worker thread at once: they
 * touch nothing in *fp but fds, and say why they failed by their errno
 * alone (fastpath.h), never through the shared reason buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fp_int.h"

static bool key_ok(const struct disp_fp_key *k)
{
	return (k->family == DISP_FP_FAM_V4 || k->family == DISP_FP_FAM_V6) &&
	       k->proto == IPPROTO_TCP && k->pad == 0;
}

int disp_fp_insert(struct disp_fp *fp, const struct disp_fp_key *key,
		   const struct disp_fp_flow *flow)
{
	struct disp_fp_flow v = *flow;
	int r;

	if (!key_ok(key) || v.win_from > 14 || v.win_to > 14 || !v.ifindex)
		return -EINVAL;
	v.bytes = v.packets = v.last_seen_ns = v.fin_rst = 0;
	r = bpf_map_update_elem(fp->flows_fd, key, &v, BPF_NOEXIST);
	/* A full hash map answers E2BIG (ENOMEM when its preallocated
	 * elements run out under concurrency). */
	return r == -E2BIG || r == -ENOMEM ? -ENOSPC : r;
}

int disp_fp_remove(struct disp_fp *fp, const struct disp_fp_key *key)
{
	return bpf_map_delete_elem(fp->flows_fd, key);
}

int disp_fp_read(struct disp_fp *fp, const struct disp_fp_key *key,
		 struct disp_fp_counters *c)
{
	struct disp_fp_flow v;
	int r = bpf_map_lookup_elem(fp->flows_fd, key, &v);

	if (r)
		return r;
	c->bytes = v.bytes;
	c->packets = v.packets;
	c->last_seen_ns = v.last_seen_ns;
	c->fin_rst = v.fin_rst;
	return 0;
}

int fp_count_entries(int map_fd, uint32_t *n)
{
	struct disp_fp_key k, nk;
	int r = bpf_map_get_next_key(map_fd, NULL, &k);

	*n = 0;
	while (r == 0) {
		++*n;
		r = bpf_map_get_next_key(map_fd, &k, &nk);
		k = nk;
	}
	return r == -ENOENT ? 0 : r;
}

int disp_fp_foreach(struct disp_fp *fp,
		    int (*cb)(const struct disp_fp_key *key,
			      const struct disp_fp_flow *flow, void *arg),
		    void *arg)
{
	struct disp_fp_key *keys, k;
	struct disp_fp_flow v;
	uint32_t n = 0, i;
	int r, ret = 0;

	/* Snapshot the keys first: a callback that removes entries would
	 * send get_next_key back to the start of the table. */
	keys = calloc(fp->max_flows, sizeof(*keys));
	if (!keys)
		return fp_fail(fp, -ENOMEM, "out of memory");
	r = bpf_map_get_next_key(fp->flows_fd, NULL, &k);
	while (r == 0 && n < fp->max_flows) {
		keys[n++] = k;
		r = bpf_map_get_next_key(fp->flows_fd, &keys[n - 1], &k);
	}
	if (r && r != -ENOENT) {
		free(keys);
		return fp_fail(fp, r, "map walk: %s", strerror(-r));
	}
	for (i = 0; i < n && ret == 0; i++)
		if (bpf_map_lookup_elem(fp->flows_fd, &keys[i], &v) == 0)
			ret = cb(&keys[i], &v, arg);
	free(keys);
	return ret;
}

int disp_fp_stats(struct disp_fp *fp, struct disp_fp_stats *st)
{
	int ncpu = libbpf_num_possible_cpus(), c, r;
	uint64_t *vals;
	__u32 i;

	if (ncpu <= 0)
		return fp_fail(fp, ncpu ? ncpu : -EINVAL, "counting CPUs");
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return fp_fail(fp, -ENOMEM, "out of memory");
	memset(st, 0, sizeof(*st));
	for (i = 0; i < DISP_FP_ST_MAX; i++) {
		r = bpf_map_lookup_elem(fp->stats_fd, &i, vals);
		if (r) {
			free(vals);
			return fp_fail(fp, r, "stats lookup: %s", strerror(-r));
		}
		for (c = 0; c < ncpu; c++)
			st->st[i] += vals[c];
	}
	free(vals);
	st->max_flows = fp->max_flows;
	r = fp_count_entries(fp->flows_fd, &st->flows);
	return r ? fp_fail(fp, r, "map walk: %s", strerror(-r)) : 0;
}
