/* Privilege drop with raw syscalls (capset, prctl): no libcap dependency. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/privdrop.h"

#ifndef CAP_BPF
#define CAP_BPF 39 /* Linux 5.8; older headers lack the name */
#endif

#define KEEP ((1u << CAP_NET_RAW) | (1u << CAP_NET_ADMIN))
/* CAP_BPF sits in the second 32-bit word of the capability sets. */
#define KEEP_HI_BPF (1u << (CAP_BPF - 32))

static int cap_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &h, d) == -1 ? -errno : 0;
}

static int cap_set(const struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capset, &h, d) == -1 ? -errno : 0;
}

/* Keeps only KEEP (and CAP_BPF with keep_bpf) in permitted and effective,
 * and only what we have. */
static int cap_reduce(bool keep_bpf)
{
	struct __user_cap_data_struct d[2];
	int r = cap_get(d);

	if (r < 0)
		return r;
	d[0].permitted &= KEEP;
	d[0].effective = d[0].permitted;
	d[0].inheritable = 0;
	d[1].permitted &= keep_bpf ? KEEP_HI_BPF : 0;
	d[1].effective = d[1].permitted;
	d[1].inheritable = 0;
	return cap_set(d);
}

int disp_privdrop(const char *user, bool keep_bpf, char *err, size_t errlen)
{
	struct passwd *pw = NULL;
	int r;

	if (user && user[0]) {
		errno = 0;
		pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "user '%s': %s", user,
				 errno ? strerror(errno) : "no such user");
			return errno ? -errno : -ENOENT;
		}
	}
	/* Take everything else out of the bounding set while we still hold
	 * CAP_SETPCAP, so nothing exec'd later could regain it. EINVAL marks
	 * the end of the kernel's capability list. */
	for (int c = 0; c <= 63; c++) {
		if (c == CAP_NET_RAW || c == CAP_NET_ADMIN || (keep_bpf && c == CAP_BPF))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1 && errno == EINVAL)
			break;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (pw) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
		    setgroups(0, NULL) == -1 || initgroups(pw->pw_name, pw->pw_gid) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
			r = -errno;
			snprintf(err, errlen, "switching to user '%s': %s", user, strerror(-r));
			return r;
		}
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		/* Paranoia as in OpenSSH: the switch must not be undoable. */
		if (setuid(0) != -1 && pw->pw_uid != 0) {
			snprintf(err, errlen, "could regain root after switching to '%s'", user);
			return -EPERM;
		}
	}
	/* After setresuid the effective set is cleared; permitted kept the
	 * kept ones (KEEPCAPS), so raising them again is allowed. */
	r = cap_reduce(keep_bpf);
	if (r < 0) {
		snprintf(err, errlen, "capset: %s", strerror(-r));
		return r;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		r = -errno;
		snprintf(err, errlen, "no_new_privs: %s", strerror(-r));
		return r;
	}
	return 0;
}
