/* Open addressing with linear probing at most half full, and backward-shift
 * deletion (no tombstones), so a probe stops at the first empty slot. */
#include "cluster/cl_tab.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/siphash.h"

struct slot {
	bool used;
	uint8_t klen;
	uint8_t key[CL_TAB_KEY_MAX];
	uint64_t expires;
	uint64_t hash;
	size_t val;  /* offset into vals */
};

struct cl_tab {
	uint32_t cap, count;
	uint64_t mask;
	size_t val_size;
	uint64_t secret[2];
	struct slot *slots;
	unsigned char *vals;  /* one value per slot */
};

int cl_tab_new(uint32_t cap, size_t val_size, struct cl_tab **out)
{
	struct cl_tab *t;
	uint64_t nslots = 2;

	if (cap == 0 || cap > (1u << 24) || val_size == 0)
		return -EINVAL;
	while (nslots < 2 * (uint64_t)cap)
		nslots <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->slots = calloc(nslots, sizeof(*t->slots));
	t->vals = calloc(nslots, val_size);
	if (!t->slots || !t->vals) {
		cl_tab_free(t);
		return -ENOMEM;
	}
	if (getrandom(t->secret, sizeof(t->secret), 0) != sizeof(t->secret)) {
		cl_tab_free(t);
		return -EIO;
	}
	t->cap = cap;
	t->mask = nslots - 1;
	t->val_size = val_size;
	for (uint64_t i = 0; i < nslots; i++)
		t->slots[i].val = i * val_size;
	*out = t;
	return 0;
}

void cl_tab_free(struct cl_tab *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->vals);
	free(t);
}

static bool same(const struct slot *s, const void *key, size_t klen)
{
	return s->klen == klen && memcmp(s->key, key, klen) == 0;
}

/* Returns the slot holding key, or the empty slot where it would go. */
static uint64_t find(const struct cl_tab *t, const void *key, size_t klen,
		     uint64_t h)
{
	uint64_t i = h & t->mask;

	while (t->slots[i].used && !same(&t->slots[i], key, klen))
		i = (i + 1) & t->mask;
	return i;
}

static void remove_at(struct cl_tab *t, uint64_t i)
{
	uint64_t j = i;

	/* Shift back every later entry of the run whose home slot is not in
	 * (i, j], so no probe meets a hole before its key. */
	for (;;) {
		j = (j + 1) & t->mask;
		if (!t->slots[j].used)
			break;
		uint64_t home = t->slots[j].hash & t->mask;
		bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);

		if (stays)
			continue;
		size_t vi = t->slots[i].val, vj = t->slots[j].val;

		memcpy(t->vals + vi, t->vals + vj, t->val_size);
		t->slots[i] = t->slots[j];
		t->slots[i].val = vi;
		i = j;
	}
	t->slots[i].used = false;
	t->count--;
}

void *cl_tab_get(struct cl_tab *t, const void *key, size_t klen, uint64_t now)
{
	if (klen == 0 || klen > CL_TAB_KEY_MAX)
		return NULL;
	uint64_t i = find(t, key, klen, disp_siphash(t->secret, key, klen));
	struct slot *s = &t->slots[i];

	return s->used && s->expires > now ? t->vals + s->val : NULL;
}

void *cl_tab_put(struct cl_tab *t, const void *key, size_t klen,
		 uint64_t expires, uint64_t now)
{
	if (klen == 0 || klen > CL_TAB_KEY_MAX)
		return NULL;
	uint64_t h = disp_siphash(t->secret, key, klen);
	uint64_t i = find(t, key, klen, h);
	struct slot *s = &t->slots[i];

	if (s->used && s->expires <= now) {
		memset(t->vals + s->val, 0, t->val_size);  /* expired: start afresh */
	} else if (!s->used) {
		if (t->count >= t->cap) {
			cl_tab_sweep(t, now, NULL, NULL);
			if (t->count >= t->cap)
				return NULL;
			i = find(t, key, klen, h);
			s = &t->slots[i];
		}
		s->used = true;
		s->klen = (uint8_t)klen;
		memcpy(s->key, key, klen);
		s->hash = h;
		memset(t->vals + s->val, 0, t->val_size);
		t->count++;
	}
	s->expires = expires;
	return t->vals + s->val;
}

int cl_tab_del(struct cl_tab *t, const void *key, size_t klen)
{
	if (klen == 0 || klen > CL_TAB_KEY_MAX)
		return -ENOENT;
	uint64_t i = find(t, key, klen, disp_siphash(t->secret, key, klen));

	if (!t->slots[i].used)
		return -ENOENT;
	remove_at(t, i);
	return 0;
}

uint32_t cl_tab_sweep(struct cl_tab *t, uint64_t now,
		      void (*fn)(const uint8_t *, size_t, void *, uint64_t *, void *),
		      void *arg)
{
	uint32_t live = 0;
	uint64_t start = 0, n = t->mask + 1;

	/* Start after an empty slot (one exists: at most half full), so no
	 * run wraps past the start and a backward shift only ever moves an
	 * entry not yet visited into the slot being looked at. */
	while (t->slots[start].used)
		start++;
	for (uint64_t k = 1; k <= n;) {
		uint64_t i = (start + k) & t->mask;
		struct slot *s = &t->slots[i];

		if (s->used && s->expires <= now) {
			remove_at(t, i);  /* a later entry may now sit at i */
			continue;
		}
		if (s->used) {
			if (fn)
				fn(s->key, s->klen, t->vals + s->val, &s->expires, arg);
			live++;
		}
		k++;
	}
	return live;
}

uint32_t cl_tab_count(const struct cl_tab *t)
{
	return t->count;
}
