/* Pinning and adoption: a process pins the maps, closes keeping them (as
 * a crash would), and the next process finds the same entries, with the
 * counters the program kept adding meanwhile. Each test runs in a mount
 * namespace of its own with a private bpffs, so nothing leaks to the host. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>

#include <splicekit/raw_consts.h>

#include "fp_ref.h"

static char dir[64], pin[96];

static void private_bpffs(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (mount namespace, bpffs, CAP_BPF)");
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(dir, sizeof(dir), "/tmp/fp-pin-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(mount("bpf", dir, "bpf", 0, NULL), 0, "mount bpffs: %s",
		     strerror(errno));
	snprintf(pin, sizeof(pin), "%s/sk", dir);
}

static void cleanup(void)
{
	umount(dir);
	rmdir(dir);
}

static struct disp_fp_key key_n(unsigned i)
{
	struct disp_fp_key k;

	memset(&k, 0, sizeof(k));
	inet_pton(AF_INET, "10.9.0.2", k.saddr);
	inet_pton(AF_INET, "10.9.0.100", k.daddr);
	k.sport = htons(30000 + i);
	k.dport = htons(80);
	k.family = DISP_FP_FAM_V4;
	k.proto = IPPROTO_TCP;
	return k;
}

static struct disp_fp_flow flow_n(unsigned i)
{
	struct disp_fp_flow f;

	memset(&f, 0, sizeof(f));
	inet_pton(AF_INET, "10.9.0.2", f.saddr);
	inet_pton(AF_INET, "10.9.1.11", f.daddr);
	f.sport = htons(30000 + i);
	f.dport = htons(8080);
	f.seq_delta = 1000 * i;
	f.backend = (uint16_t)i;
	f.ifindex = 3;
	return f;
}

struct seen {
	unsigned n, mask;
};

static int count_cb(const struct disp_fp_key *k, const struct disp_fp_flow *f,
		    void *arg)
{
	struct seen *s = arg;
	unsigned i = ntohs(k->sport) - 30000;
	struct disp_fp_flow want = flow_n(i);

	cr_assert_lt(i, 32);
	cr_assert_eq(memcmp(f->daddr, want.daddr, 16), 0);
	cr_assert_eq(f->seq_delta, want.seq_delta);
	s->n++;
	s->mask |= 1u << i;
	return 0;
}

/* Sends one ACK of flow i through the program. */
static void one_packet(struct disp_fp *fp, unsigned i)
{
	struct fp_tuple t = { .family = AF_INET, .sport = 30000 + i, .dport = 80 };
	uint8_t in[FP_FRAME_MAX], out[FP_FRAME_MAX];
	uint32_t out_len, ret;
	size_t len;

	inet_pton(AF_INET, "10.9.0.2", t.saddr);
	inet_pton(AF_INET, "10.9.0.100", t.daddr);
	len = fp_frame(in, &t, 1, 1, RAW_TCP_ACK, 100, NULL, 0, 10);
	cr_assert_eq(fp_run_tc(disp_fp_tc_prog_fd(fp), in, len, 0, out,
			       &out_len, &ret), 0);
	cr_assert_eq(ret, TC_ACT_REDIRECT);
}

Test(fp_pin, adopt_after_close_keep, .init = private_bpffs, .fini = cleanup)
{
	struct disp_fp *fp;
	struct disp_fp_counters c;
	struct disp_fp_stats st;
	struct disp_fp_key k;
	struct seen s = { 0, 0 };
	char err[512];
	unsigned i;

	cr_assert_eq(disp_fp_open(&fp, pin, 128, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_fp_adopted(fp), 0);
	for (i = 0; i < 3; i++) {
		k = key_n(i);
		struct disp_fp_flow f = flow_n(i);

		cr_assert_eq(disp_fp_insert(fp, &k, &f), 0);
	}
	one_packet(fp, 1);
	disp_fp_close(fp, true);

	/* A new process: finds the entries and the counters. */
	cr_assert_eq(disp_fp_open(&fp, pin, 128, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_fp_adopted(fp), 3);
	cr_assert_eq(disp_fp_foreach(fp, count_cb, &s), 0);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.mask, 7);
	k = key_n(1);
	cr_assert_eq(disp_fp_read(fp, &k, &c), 0);
	cr_assert_eq(c.packets, 1);
	one_packet(fp, 1);
	cr_assert_eq(disp_fp_read(fp, &k, &c), 0);
	cr_assert_eq(c.packets, 2, "the new program counts into the same entry");
	cr_assert_eq(disp_fp_stats(fp, &st), 0);
	cr_assert_eq(st.st[DISP_FP_ST_TC_XLATE], 2, "stats survive too");
	cr_assert_eq(st.flows, 3);
	disp_fp_close(fp, false);

	/* Closed without keeping: the next process starts empty. */
	cr_assert_eq(access(pin, F_OK), -1);
	cr_assert_eq(disp_fp_open(&fp, pin, 128, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_fp_adopted(fp), 0);
	disp_fp_close(fp, false);
}

/* A remove from the foreach callback does not derail the walk. */
static int remove_cb(const struct disp_fp_key *k, const struct disp_fp_flow *f,
		     void *arg)
{
	struct disp_fp *fp = arg;
	struct disp_fp_key other = *k;

	cr_assert_eq(disp_fp_remove(fp, k), 0);
	other.sport = htons(ntohs(k->sport) ^ 1); /* the partner entry */
	disp_fp_remove(fp, &other);
	return 0;
}

Test(fp_pin, foreach_with_removal, .init = private_bpffs, .fini = cleanup)
{
	struct disp_fp *fp;
	struct disp_fp_stats st;
	char err[512];
	unsigned i;

	cr_assert_eq(disp_fp_open(&fp, NULL, 64, err, sizeof(err)), 0, "%s", err);
	for (i = 0; i < 20; i++) {
		struct disp_fp_key k = key_n(i);
		struct disp_fp_flow f = flow_n(i);

		cr_assert_eq(disp_fp_insert(fp, &k, &f), 0);
	}
	cr_assert_eq(disp_fp_foreach(fp, remove_cb, fp), 0);
	cr_assert_eq(disp_fp_stats(fp, &st), 0);
	cr_assert_eq(st.flows, 0);
	disp_fp_close(fp, false);
}

Test(fp_pin, refuses_other_layout, .init = private_bpffs, .fini = cleanup)
{
	struct disp_fp *fp;
	char err[512], path[128];
	int fd;

	cr_assert_eq(mkdir(pin, 0700), 0);
	snprintf(path, sizeof(path), "%s/flows", pin);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "old", 40, 8, 16, NULL);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bpf_obj_pin(fd, path), 0);
	close(fd);
	cr_assert_eq(disp_fp_open(&fp, pin, 128, err, sizeof(err)), -ESTALE);
	cr_assert_null(fp);
	cr_assert(strstr(err, "another map layout"), "%s", err);
	cr_assert_eq(access(path, F_OK), 0, "the foreign pin stays");
}

Test(fp_pin, refuses_non_bpffs, .init = private_bpffs, .fini = cleanup)
{
	struct disp_fp *fp;
	char err[512];

	cr_assert_eq(disp_fp_open(&fp, "/tmp", 128, err, sizeof(err)), -ENOTSUP);
	cr_assert(strstr(err, "not on a bpf filesystem"), "%s", err);
	cr_assert_eq(disp_fp_open(&fp, NULL, 0, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "max_flows"), "%s", err);
}
