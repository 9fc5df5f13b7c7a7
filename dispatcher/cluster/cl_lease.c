/* Worker-side BUSY leases (see cl_lease.h). The table key is the session
 * key followed by the backend's family, address and port. */
#include "cluster/cl_lease.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cl_tab.h"

struct holder {
	uint8_t olen;
	char origin[CL_ORIGIN_MAX];
	uint64_t until;
};

struct pair {
	struct holder h[CL_LEASE_HOLDERS];
};

struct cl_leases {
	struct cl_tab *tab;
};

/* Builds the table key; returns its length. */
static size_t lease_key(uint8_t *out, const void *key, size_t klen,
			const struct cl_cand *b)
{
	memcpy(out, key, klen);
	cl_cand_key(b, out + klen);
	return klen + CL_CAND_KEY;
}

int cl_leases_new(uint32_t cap, struct cl_leases **out)
{
	struct cl_leases *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	rc = cl_tab_new(cap, sizeof(struct pair), &l->tab);
	if (rc) {
		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void cl_leases_free(struct cl_leases *l)
{
	if (!l)
		return;
	cl_tab_free(l->tab);
	free(l);
}

int cl_leases_apply(struct cl_leases *l, const struct cl_rec *r, uint64_t now)
{
	uint8_t k[CL_TAB_KEY_MAX];
	size_t kl;
	struct pair *p;
	uint64_t until = r->sent_us / 1000 + r->ttl_ms, last = 0;
	int free_slot = -1;

	if (r->type != CL_REC_BUSY && r->type != CL_REC_IDLE)
		return 0;
	kl = lease_key(k, r->key, r->key_len, &r->cands[0]);
	p = cl_tab_get(l->tab, k, kl, now);
	if (!p && r->type == CL_REC_IDLE)
		return 0;
	if (!p && !(p = cl_tab_put(l->tab, k, kl, until, now)))
		return -ENOSPC;
	for (int i = 0; i < CL_LEASE_HOLDERS; i++) {
		struct holder *h = &p->h[i];

		if (h->olen == r->origin_len && memcmp(h->origin, r->origin, h->olen) == 0) {
			h->until = r->type == CL_REC_BUSY ? until : 0;
			free_slot = -2;
		} else if (h->until <= now && free_slot == -1) {
			free_slot = i;
		}
	}
	if (free_slot >= 0 && r->type == CL_REC_BUSY) {
		struct holder *h = &p->h[free_slot];

		h->olen = r->origin_len;
		memcpy(h->origin, r->origin, r->origin_len);
		h->until = until;
	} else if (free_slot == -1 && r->type == CL_REC_BUSY) {
		return -ENOSPC;
	}
	for (int i = 0; i < CL_LEASE_HOLDERS; i++)
		if (p->h[i].until > last)
			last = p->h[i].until;
	/* The pair lives as long as its longest lease. */
	if (last <= now)
		cl_tab_del(l->tab, k, kl);
	else
		cl_tab_put(l->tab, k, kl, last, now);
	return 0;
}

unsigned cl_leases_holders(struct cl_leases *l, const void *key, size_t klen,
			   const struct cl_cand *backend, uint64_t now)
{
	uint8_t k[CL_TAB_KEY_MAX];
	struct pair *p;
	unsigned n = 0;

	if (klen == 0 || klen > CL_KEY_MAX)
		return 0;
	p = cl_tab_get(l->tab, k, lease_key(k, key, klen, backend), now);
	if (!p)
		return 0;
	for (int i = 0; i < CL_LEASE_HOLDERS; i++)
		n += p->h[i].until > now;
	return n;
}
