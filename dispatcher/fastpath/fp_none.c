/* The fast path in a build without libbpf: every entry point fails with
 * -EOPNOTSUPP and says why, so "fastpath auto" logs it and stays in user
 * space. Chosen by meson instead of the libbpf files. */
#include <errno.h>
#include <stdio.h>

#include "fastpath.h"

static const char why[] = "spliced was built without the fast path "
			  "(meson -Dfastpath; needs libbpf-dev, clang, bpftool)";

int disp_fp_open(struct disp_fp **out, const char *pin_dir, uint32_t max_flows,
		 char *err, size_t errlen)
{
	*out = NULL;
	snprintf(err, errlen, "%s", why);
	return -EOPNOTSUPP;
}

/* The rest cannot be reached without a handle from disp_fp_open. */
int disp_fp_attach_tc(struct disp_fp *fp, int ifindex) { return -EOPNOTSUPP; }
int disp_fp_attach_filter(struct disp_fp *fp, int fd) { return -EOPNOTSUPP; }
int disp_fp_match_add(struct disp_fp *fp, int family, const uint8_t *addr,
		      uint16_t port, bool to_dst) { return -EOPNOTSUPP; }
int disp_fp_insert(struct disp_fp *fp, const struct disp_fp_key *k,
		   const struct disp_fp_flow *f) { return -EOPNOTSUPP; }
int disp_fp_remove(struct disp_fp *fp, const struct disp_fp_key *k) { return -EOPNOTSUPP; }
int disp_fp_read(struct disp_fp *fp, const struct disp_fp_key *k,
		 struct disp_fp_counters *c) { return -EOPNOTSUPP; }
int disp_fp_foreach(struct disp_fp *fp,
		    int (*cb)(const struct disp_fp_key *, const struct disp_fp_flow *, void *),
		    void *arg) { return -EOPNOTSUPP; }
int disp_fp_stats(struct disp_fp *fp, struct disp_fp_stats *st) { return -EOPNOTSUPP; }
uint32_t disp_fp_adopted(const struct disp_fp *fp) { return 0; }
const char *disp_fp_reason(const struct disp_fp *fp) { return why; }
int disp_fp_tc_prog_fd(const struct disp_fp *fp) { return -1; }
int disp_fp_filter_prog_fd(const struct disp_fp *fp) { return -1; }
void disp_fp_close(struct disp_fp *fp, bool keep_pinned) { }
