/* Attaching: the translator on a clsact ingress (tcx needs 6.6, Debian
 * 12 has 6.1), the filter on a capture socket. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/libbpf.h>

#include "fp_int.h"

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
