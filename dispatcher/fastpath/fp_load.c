/* Opening and closing the fast path: load both programs over one set of
 * maps (pinned and adopted when asked), and release them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fp_int.h"
#include "fp_tc.skel.h"
#include "fp_filter.skel.h"

int fp_fail(struct disp_fp *fp, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fp->reason, sizeof(fp->reason), fmt, ap);
	va_end(ap);
	return r;
}

static char last_log[400];

__attribute__((format(printf, 2, 0)))
static int libbpf_print(enum libbpf_print_level lvl, const char *fmt,
			va_list ap)
{
	char buf[4096];
	size_t n;
	va_list ap2;
	int len;

	if (!fmt)
		return 0; /* never from libbpf; keeps -fsanitize builds' format checks quiet */
	va_copy(ap2, ap);
	if (getenv("SPLICEKIT_FP_DEBUG"))
		vfprintf(stderr, fmt, ap2); /* whole: a verifier log is long */
	va_end(ap2);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (lvl == LIBBPF_DEBUG || len <= 0)
		return 0;
	/* Keep the tail: a verifier log ends with its verdict. */
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	snprintf(last_log, sizeof(last_log), "%s",
		 n >= sizeof(last_log) ? buf + n - (sizeof(last_log) - 1) : buf);
	return 0;
}

void fp_libbpf_quiet(void)
{
	libbpf_set_print(libbpf_print);
}

const char *fp_libbpf_last(void)
{
	return last_log;
}

/* Names the privilege problem instead of a bare EPERM. */
static const char *hint(int r)
{
	if (r == -EPERM || r == -EACCES)
		return " (needs CAP_BPF and CAP_NET_ADMIN, or root)";
	return "";
}

static int load(struct disp_fp *fp, const char *pin_dir)
{
	int r;

	fp->tc = fp_tc__open();
	if (!fp->tc)
		return fp_fail(fp, -errno, "opening the tc object: %s",
			       strerror(errno));
	r = bpf_map__set_max_entries(fp->tc->maps.fp_flows, fp->max_flows);
	if (r)
		return fp_fail(fp, r, "setting max_flows: %s", strerror(-r));
	if (pin_dir && (r = fp_pin_adopt(fp, pin_dir)))
		return r;
	last_log[0] = '\0';
	r = fp_tc__load(fp->tc);
	if (r)
		return fp_fail(fp, r, "loading the tc program: %s%s: %s",
			       strerror(-r), hint(r), fp_libbpf_last());
	fp->flows_fd = bpf_map__fd(fp->tc->maps.fp_flows);
	fp->stats_fd = bpf_map__fd(fp->tc->maps.fp_stats);

	fp->filt = fp_filter__open();
	if (!fp->filt)
		return fp_fail(fp, -errno, "opening the filter object: %s",
			       strerror(errno));
	if ((r = bpf_map__reuse_fd(fp->filt->maps.fp_flows, fp->flows_fd)) ||
	    (r = bpf_map__reuse_fd(fp->filt->maps.fp_stats, fp->stats_fd)))
		return fp_fail(fp, r, "sharing the maps: %s", strerror(-r));
	r = fp_filter__load(fp->filt);
	if (r)
		return fp_fail(fp, r, "loading the socket filter: %s%s: %s",
			       strerror(-r), hint(r), fp_libbpf_last());
	if (pin_dir && (r = fp_pin_maps(fp)))
		return r;
	return 0;
}

int disp_fp_open(struct disp_fp **out, const char *pin_dir, uint32_t max_flows,
		 char *err, size_t errlen)
{
	struct disp_fp *fp;
	int r;

	*out = NULL;
	if (max_flows == 0 || max_flows > FP_MAX_FLOWS) {
		snprintf(err, errlen, "max_flows %u out of range 1..%u",
			 max_flows, FP_MAX_FLOWS);
		return -EINVAL;
	}
	fp = calloc(1, sizeof(*fp));
	if (!fp) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fp->flows_fd = fp->stats_fd = -1;
	fp->max_flows = max_flows;
	fp_libbpf_quiet();
	r = load(fp, pin_dir);
	if (r) {
		snprintf(err, errlen, "%s", fp->reason);
		disp_fp_close(fp, true); /* never unpin what we failed to use */
		return r;
	}
	*out = fp;
	return 0;
}

void disp_fp_close(struct disp_fp *fp, bool keep_pinned)
{
	unsigned i;

	if (!fp)
		return;
	if (!keep_pinned) {
		for (i = 0; i < fp->n_ifs; i++) {
			struct bpf_tc_hook hook;
			struct bpf_tc_opts o;

			fp_tc_ids(&hook, &o, fp->ifs[i]);
			bpf_tc_detach(&hook, &o);
		}
		fp_pin_remove(fp);
	}
	fp_filter__destroy(fp->filt);
	fp_tc__destroy(fp->tc);
	free(fp);
}

const char *disp_fp_reason(const struct disp_fp *fp)
{
	return fp->reason;
}

uint32_t disp_fp_adopted(const struct disp_fp *fp)
{
	return fp->adopted;
}

int disp_fp_tc_prog_fd(const struct disp_fp *fp)
{
	return bpf_program__fd(fp->tc->progs.sk_fp_tc);
}

int disp_fp_filter_prog_fd(const struct disp_fp *fp)
{
	return bpf_program__fd(fp->filt->progs.sk_fp_filter);
}
