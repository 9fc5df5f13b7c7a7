/* State file: saved after every runtime change and at stop, applied at
 * start. Parsed through a bounds-checked cursor: the file is written by
 * spliced, but an operator may edit it, or a disk may cut it short. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splicekit/cursor.h>

#include "backend/backend_state.h"

#define STATE_MAX (4u << 20) /* refuse to read more than 4 MiB */
#define STATE_WORDS 8

static int save(struct disp_pool *pool, const char *path);

/* A command on the control thread and a reload on the main thread may
 * both save: one at a time, or they would share the temporary file. */
static pthread_mutex_t save_lock = PTHREAD_MUTEX_INITIALIZER;

int disp_pool_state_save(struct disp_pool *pool, const char *path)
{
	int r;

	pthread_mutex_lock(&save_lock);
	r = save(pool, path);
	pthread_mutex_unlock(&save_lock);
	return r;
}

static int save(struct disp_pool *pool, const char *path)
{
	char tmp[4200], a[DISP_ADDR_STRLEN];
	FILE *f;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	fprintf(f, "# spliced state: admin states and weights set at run time\n");
	/* Deletions last: loading them first could find a service's only
	 * backend left before the additions that replaced it. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t s = 0; s < disp_pool_count(pool); s++) {
			struct disp_bset *bs = disp_pool_bset(pool, s);

			for (size_t i = 0; i < disp_bset_count(bs); i++) {
				struct disp_backend *be = disp_bset_get(bs, i);
				bool present = disp_backend_present(be);

				disp_addr_format(disp_backend_addr(be), a, sizeof(a));
				if (pass == 1 && !present && disp_backend_runtime(be) < 0)
					fprintf(f, "deleted %s %s\n", disp_bset_name(bs), a);
				if (pass == 0 && present)
					fprintf(f, "backend %s %s admin %s weight %u%s\n",
						disp_bset_name(bs), a,
						disp_be_state_name(disp_backend_admin(be)),
						disp_backend_weight(be),
						disp_backend_runtime(be) > 0 ? " added" : "");
			}
		}
	}
	if (fflush(f) == EOF || fsync(fd) == -1)
		r = -errno;
	if (fclose(f) == EOF && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) == -1)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* One parsed line. */
struct state_line {
	struct disp_bset *bs;      /* NULL: service not configured */
	struct disp_backend *be;   /* NULL: backend not configured */
	struct disp_addr addr;
	enum disp_be_state admin;
	unsigned weight;
	bool added, deleted;       /* "... added", "deleted ..." */
};

/* Splits the line in c into at most max space-separated words, copied
 * NUL-terminated into w (each < wlen). Returns the count, or -1 for a word
 * too long, too many words, or a byte that is not printable ASCII. */
static int split(struct raw_cur *c, char w[][128], int max)
{
	int n = 0;
	uint8_t ch;

	while (raw_cur_left(c) > 0) {
		size_t len = 0;

		while (raw_cur_left(c) > 0 && raw_cur_ptr(c)[0] == ' ')
			(void)raw_cur_skip(c, 1);
		if (raw_cur_left(c) == 0)
			break;
		if (n == max)
			return -1;
		while (raw_cur_u8(c, &ch) == 0 && ch != ' ') {
			if (ch < 0x21 || ch > 0x7e || len + 1 >= 128)
				return -1;
			w[n][len++] = (char)ch;
		}
		w[n++][len] = '\0';
	}
	return n;
}

static int parse_line(struct disp_pool *pool, struct raw_cur *c, struct state_line *sl,
		      char *err, size_t errlen)
{
	char w[STATE_WORDS][128];
	struct disp_addr a;
	unsigned long v = 0;
	const char *p;
	int n = split(c, w, STATE_WORDS);

	sl->deleted = n == 3 && strcmp(w[0], "deleted") == 0;
	sl->added = n == 8 && strcmp(w[7], "added") == 0;
	if (!sl->deleted &&
	    (n < 0 || (n != 7 && !sl->added) || strcmp(w[0], "backend") != 0 ||
	     strcmp(w[3], "admin") != 0 || strcmp(w[5], "weight") != 0)) {
		snprintf(err, errlen, "expected 'backend SERVICE IP:PORT admin STATE weight N [added]' or 'deleted SERVICE IP:PORT'");
		return -EINVAL;
	}
	if (disp_addr_parse(w[2], strlen(w[2]), true, &a) < 0) {
		snprintf(err, errlen, "'%s' is not IP:PORT", w[2]);
		return -EINVAL;
	}
	sl->addr = a;
	sl->bs = NULL;
	sl->be = NULL;
	for (size_t s = 0; s < disp_pool_count(pool) && !sl->bs; s++)
		if (strcmp(disp_bset_name(disp_pool_bset(pool, s)), w[1]) == 0)
			sl->bs = disp_pool_bset(pool, s);
	if (sl->bs)
		sl->be = disp_bset_find(sl->bs, &a);
	if (sl->deleted)
		return 0;
	if (disp_be_state_parse(w[4], &sl->admin) < 0) {
		snprintf(err, errlen, "'%s' is not a state (expected UP, DOWN or DRAIN)", w[4]);
		return -EINVAL;
	}
	for (p = w[6]; *p >= '0' && *p <= '9' && v <= 256; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (*p || p == w[6] || v < 1 || v > 256) {
		snprintf(err, errlen, "'%s' is not a weight (expected 1..256)", w[6]);
		return -EINVAL;
	}
	sl->weight = (unsigned)v;
	return 0;
}

/* Walks the lines of buf; with apply false only checks them. */
static int walk(struct disp_pool *pool, const char *buf, size_t len, bool apply,
		struct disp_state_result *res, char *err, size_t errlen)
{
	struct raw_cur all;
	unsigned lineno = 0;
	char why[200];

	raw_cur_init(&all, buf, len);
	while (raw_cur_left(&all) > 0) {
		const uint8_t *nl = memchr(raw_cur_ptr(&all), '\n', raw_cur_left(&all));
		size_t ll = nl ? (size_t)(nl - raw_cur_ptr(&all)) : raw_cur_left(&all);
		struct raw_cur line;
		struct state_line sl;

		lineno++;
		if (raw_cur_sub(&all, ll, &line) < 0)
			break; /* cannot happen: ll <= what is left */
		if (nl)
			(void)raw_cur_skip(&all, 1);
		if (ll == 0 || raw_cur_ptr(&line)[0] == '#')
			continue;
		if (parse_line(pool, &line, &sl, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "line %u: %s", lineno, why);
			return -EINVAL;
		}
		if (!apply)
			continue;
		if (sl.deleted) {
			if (sl.be && disp_bset_remove(sl.bs, sl.be) == 0)
				res->applied++;
			else
				res->skipped++;
			continue;
		}
		if (!sl.be && sl.added && sl.bs) {
			struct disp_backend_conf bc = { .addr = sl.addr, .weight = sl.weight };

			if (disp_bset_add(sl.bs, &bc, sl.admin, NULL) == 0)
				res->applied++;
			else
				res->skipped++;
			continue;
		}
		if (!sl.be) {
			res->skipped++;
			continue;
		}
		disp_backend_set_admin(sl.be, sl.admin);
		if (disp_backend_weight(sl.be) != sl.weight)
			(void)disp_bset_set_weight(sl.bs, sl.be, sl.weight);
		res->applied++;
	}
	return 0;
}

int disp_pool_state_apply(struct disp_pool *pool, const char *buf, size_t len,
			  struct disp_state_result *res, char *err, size_t errlen)
{
	int r;

	*res = (struct disp_state_result){ 0 };
	r = walk(pool, buf, len, false, res, err, errlen);
	return r < 0 ? r : walk(pool, buf, len, true, res, err, errlen);
}

int disp_pool_state_load(struct disp_pool *pool, const char *path,
			 struct disp_state_result *res, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	*res = (struct disp_state_result){ 0 };
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	buf = malloc(STATE_MAX + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(buf, 1, STATE_MAX + 1, f);
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	if (r == 0 && len > STATE_MAX) {
		snprintf(err, errlen, "larger than %u bytes", STATE_MAX);
		r = -EFBIG;
	}
	if (r == 0)
		r = disp_pool_state_apply(pool, buf, len, res, err, errlen);
	free(buf);
	return r;
}
