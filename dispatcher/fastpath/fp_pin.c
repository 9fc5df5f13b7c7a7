/* Pinning in bpffs, so flows outlive the daemon: the tc filters keep the
 * programs (and through them the maps) alive after a crash, and the pins
 * let the next process find the same maps and adopt their entries. A
 * pinned map of another layout is refused, not misread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fp_int.h"
#include "fp_tc.skel.h"

static const char *const pin_name[2] = { "flows", "stats" };

static struct bpf_map *pin_map(struct disp_fp *fp, int i)
{
	return i == 0 ? fp->tc->maps.fp_flows : fp->tc->maps.fp_stats;
}

static int pin_path(struct disp_fp *fp, int i, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", fp->pin_dir, pin_name[i]);

	if (n < 0 || (size_t)n >= len)
		return fp_fail(fp, -ENAMETOOLONG, "pin path too long: %s",
			       fp->pin_dir);
	return 0;
}

static int check_layout(struct disp_fp *fp, int fd, const char *path,
			const struct bpf_map *m)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int r;

	memset(&info, 0, sizeof(info));
	r = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (r)
		return fp_fail(fp, r, "reading %s: %s", path, strerror(-r));
	if (info.type != (__u32)bpf_map__type(m) ||
	    info.key_size != bpf_map__key_size(m) ||
	    info.value_size != bpf_map__value_size(m) ||
	    (bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY &&
	     info.max_entries != bpf_map__max_entries(m)))
		return fp_fail(fp, -ESTALE,
			       "%s was pinned by a build with another map layout "
			       "(type %u key %u value %u entries %u; this build "
			       "%u/%u/%u): remove it or run the matching build",
			       path, info.type, info.key_size, info.value_size,
			       info.max_entries, (unsigned)bpf_map__type(m),
			       bpf_map__key_size(m), bpf_map__value_size(m));
	return 0;
}

/* Makes map i reuse the pinned fd; for the flow map, counts the entries
 * and takes its size (the pinned map keeps the size it was made with). */
static int adopt_one(struct disp_fp *fp, int fd, const char *path, int i)
{
	struct bpf_map *m = pin_map(fp, i);
	int r = check_layout(fp, fd, path, m);

	if (r)
		return r;
	r = bpf_map__reuse_fd(m, fd);
	if (r)
		return fp_fail(fp, r, "adopting %s: %s", path, strerror(-r));
	if (i != 0)
		return 0;
	r = fp_count_entries(fd, &fp->adopted);
	if (r)
		return fp_fail(fp, r, "counting %s: %s", path, strerror(-r));
	fp->max_flows = bpf_map__max_entries(m);
	return 0;
}

int fp_pin_adopt(struct disp_fp *fp, const char *dir)
{
	char path[PATH_MAX + 16];
	struct statfs sfs;
	int i, fd, r;

	if (snprintf(fp->pin_dir, sizeof(fp->pin_dir), "%s", dir) >=
	    (int)sizeof(fp->pin_dir))
		return fp_fail(fp, -ENAMETOOLONG, "pin dir too long: %s", dir);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return fp_fail(fp, -errno, "creating pin dir %s: %s", dir,
			       strerror(errno));
	if (statfs(dir, &sfs) == -1)
		return fp_fail(fp, -errno, "%s: %s", dir, strerror(errno));
	if (sfs.f_type != BPF_FS_MAGIC)
		return fp_fail(fp, -ENOTSUP,
			       "%s is not on a bpf filesystem "
			       "(mount -t bpf bpf /sys/fs/bpf)", dir);
	for (i = 0; i < 2; i++) {
		if ((r = pin_path(fp, i, path, sizeof(path))))
			return r;
		fd = bpf_obj_get(path);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fp_fail(fp, fd, "opening pinned %s: %s", path,
				       strerror(-fd));
		r = adopt_one(fp, fd, path, i);
		close(fd);
		if (r)
			return r;
	}
	return 0;
}

int fp_pin_maps(struct disp_fp *fp)
{
	char path[PATH_MAX + 16];
	int i, r;

	for (i = 0; i < 2; i++) {
		if ((r = pin_path(fp, i, path, sizeof(path))))
			return r;
		if (access(path, F_OK) == 0)
			continue; /* adopted: already pinned */
		r = bpf_obj_pin(bpf_map__fd(pin_map(fp, i)), path);
		if (r)
			return fp_fail(fp, r, "pinning %s: %s", path,
				       strerror(-r));
	}
	fp->pinned = true;
	return 0;
}

void fp_pin_remove(struct disp_fp *fp)
{
	char path[PATH_MAX + 16];
	int i;

	if (!fp->pinned)
		return;
	for (i = 0; i < 2; i++)
		if (pin_path(fp, i, path, sizeof(path)) == 0)
			unlink(path);
	rmdir(fp->pin_dir); /* fails harmlessly if others pinned there */
}
