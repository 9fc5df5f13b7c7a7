/* Attaching: the translator on a clsact ingress (tcx needs 6.6, Debian
 * 12 has 6.1), the filter on a capture socket. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include <bpf/libbpf.h>

#include "fp_int.h"
#include "fp_filter.skel.h"

void fp_tc_ids(struct bpf_tc_hook *hook, struct bpf_tc_opts *o, int ifindex)
{
	/* Filled by hand: libbpf's OPTS macros are GNU statement expressions. */
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = BPF_TC_INGRESS;
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = FP_TC_HANDLE;
	o->priority = FP_TC_PRIO;
}

int disp_fp_attach_tc(struct disp_fp *fp, int ifindex)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts o;
	unsigned i;
	int r;

	fp->reason[0] = '\0';
	fp_tc_ids(&hook, &o, ifindex);
	o.prog_fd = disp_fp_tc_prog_fd(fp);
	o.flags = BPF_TC_F_REPLACE;
	if (ifindex <= 0)
		return fp_fail(fp, -EINVAL, "bad ifindex %d", ifindex);
	r = bpf_tc_hook_create(&hook);
	if (r && r != -EEXIST)
		return fp_fail(fp, r, "creating clsact on ifindex %d: %s%s",
			       ifindex, strerror(-r),
			       r == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	/* REPLACE: a filter a crashed process left keeps forwarding until
	 * this one takes its place, with no gap. */
	r = bpf_tc_attach(&hook, &o);
	if (r)
		return fp_fail(fp, r, "attaching tc on ifindex %d: %s", ifindex,
			       strerror(-r));
	for (i = 0; i < fp->n_ifs; i++)
		if (fp->ifs[i] == ifindex)
			return 0;
	if (fp->n_ifs < FP_MAX_IFS)
		fp->ifs[fp->n_ifs++] = ifindex;
	return 0;
}

int disp_fp_attach_filter(struct disp_fp *fp, int sock_fd)
{
	int pfd = disp_fp_filter_prog_fd(fp);

	fp->reason[0] = '\0';
	if (setsockopt(sock_fd, SOL_SOCKET, SO_ATTACH_BPF, &pfd,
		       sizeof(pfd)) == -1)
		return fp_fail(fp, -errno, "SO_ATTACH_BPF on fd %d: %s",
			       sock_fd, strerror(errno));
	return 0;
}

int disp_fp_match_add(struct disp_fp *fp, int family, const uint8_t *addr,
		      uint16_t port, bool to_dst)
{
	struct disp_fp_end e;
	uint8_t one = 1;
	int r;

	fp->reason[0] = '\0';
	memset(&e, 0, sizeof(e));
	if (family != AF_INET && family != AF_INET6)
		return fp_fail(fp, -EINVAL, "address family %d", family);
	memcpy(e.addr, addr, family == AF_INET ? 4 : 16);
	e.port = htons(port);
	e.family = family == AF_INET ? DISP_FP_FAM_V4 : DISP_FP_FAM_V6;
	e.kind = to_dst ? DISP_FP_END_DST : DISP_FP_END_SRC;
	r = bpf_map__update_elem(fp->filt->maps.fp_ends, &e, sizeof(e), &one,
				 sizeof(one), BPF_ANY);
	if (r == -E2BIG)
		return fp_fail(fp, -ENOSPC, "more than %d VIPs and backends",
			       DISP_FP_ENDS_MAX);
	if (r)
		return fp_fail(fp, r, "filling the filter's match map: %s",
			       strerror(-r));
	/* The .bss map is mmapped: the running filter sees the store. */
	__atomic_store_n(&fp->filt->bss->fp_match_on, 1, __ATOMIC_RELEASE);
	return 0;
}
