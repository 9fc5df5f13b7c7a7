/* Event bus: inline and batched delivery of built-in and custom flow
 * events. See dispatcher/flow/event.h. */
#include "flow/event.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUBS 16

struct sub {
	uint64_t mask;
	disp_ev_inline_fn inline_fn;
	disp_ev_batch_fn batch_fn;
	void *arg;
};

struct custom {
	disp_ev_pred_fn pred;
	void *arg;
};

struct disp_ev_bus {
	struct sub subs[MAX_SUBS];
	unsigned nsubs;
	struct custom custom[DISP_EV_CUSTOM_MAX];
	unsigned ncustom;
	uint64_t inline_mask; /* union of inline subscribers' masks */
	uint64_t batch_mask;  /* union of batched subscribers' masks */
	struct disp_event *queue;
	struct disp_event *scratch; /* one subscriber's share of a flush */
	unsigned qlen, qcap;
	bool flushing;
	uint64_t overflow;
};

int disp_ev_bus_create(struct disp_ev_bus **out, unsigned batch_cap)
{
	struct disp_ev_bus *b;

	if (!out || batch_cap == 0 || batch_cap > (1u << 20))
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->queue = calloc(batch_cap, sizeof(*b->queue));
	b->scratch = calloc(batch_cap, sizeof(*b->scratch));
	if (!b->queue || !b->scratch) {
		free(b->queue);
		free(b->scratch);
		free(b);
		return -ENOMEM;
	}
	b->qcap = batch_cap;
	*out = b;
	return 0;
}

void disp_ev_bus_destroy(struct disp_ev_bus *b)
{
	if (!b)
		return;
	disp_ev_flush(b);
	free(b->queue);
	free(b->scratch);
	free(b);
}

int disp_ev_register(struct disp_ev_bus *b, disp_ev_pred_fn pred, void *arg,
		     uint64_t *ev)
{
	if (!pred || !ev)
		return -EINVAL;
	if (b->ncustom == DISP_EV_CUSTOM_MAX)
		return -ENOSPC;
	b->custom[b->ncustom].pred = pred;
	b->custom[b->ncustom].arg = arg;
	*ev = 1ull << (DISP_EV_CUSTOM_FIRST + b->ncustom);
	b->ncustom++;
	return 0;
}

static int add_sub(struct disp_ev_bus *b, uint64_t mask, disp_ev_inline_fn ifn,
		   disp_ev_batch_fn bfn, void *arg)
{
	if (mask == 0 || (!ifn && !bfn))
		return -EINVAL;
	if (b->nsubs == MAX_SUBS)
		return -ENOSPC;
	b->subs[b->nsubs++] = (struct sub){ mask, ifn, bfn, arg };
	if (ifn)
		b->inline_mask |= mask;
	else
		b->batch_mask |= mask;
	return 0;
}

int disp_ev_subscribe(struct disp_ev_bus *b, uint64_t mask,
		      disp_ev_inline_fn fn, void *arg)
{
	return fn ? add_sub(b, mask, fn, NULL, arg) : -EINVAL;
}

int disp_ev_subscribe_batch(struct disp_ev_bus *b, uint64_t mask,
			    disp_ev_batch_fn fn, void *arg)
{
	return fn ? add_sub(b, mask, NULL, fn, arg) : -EINVAL;
}

bool disp_ev_wanted(const struct disp_ev_bus *b, uint64_t mask)
{
	return ((b->inline_mask | b->batch_mask) & mask) != 0;
}

static void deliver(struct disp_ev_bus *b, const struct disp_event *e)
{
	if (b->inline_mask & e->ev)
		for (unsigned i = 0; i < b->nsubs; i++)
			if (b->subs[i].inline_fn && (b->subs[i].mask & e->ev))
				b->subs[i].inline_fn(e, b->subs[i].arg);
	if (b->batch_mask & e->ev) {
		if (b->qlen == b->qcap)
			disp_ev_flush(b);
		/* Still full: a batched handler is raising events while being
		 * flushed. Count the loss rather than grow on the fast path. */
		if (b->qlen == b->qcap) {
			b->overflow++;
			return;
		}
		b->queue[b->qlen] = *e;
		/* A queued event outlives the packet it came from. */
		b->queue[b->qlen].pkt.payload = NULL;
		b->qlen++;
	}
}

void disp_ev_raise(struct disp_ev_bus *b, struct disp_flow *f,
		   const struct disp_flow_key *key,
		   const struct disp_pkt_meta *p, uint64_t mask)
{
	struct disp_event e;

	memset(&e, 0, sizeof(e));
	e.flow = f;
	if (key)
		e.key = *key;
	else if (f)
		e.key = f->key[DISP_DIR_ORIG];
	e.state = f ? f->state : 0;
	if (p)
		e.pkt = *p;
	for (uint64_t m = mask & (b->inline_mask | b->batch_mask); m; m &= m - 1) {
		e.ev = m & -m;
		deliver(b, &e);
	}
	if (!p || !f)
		return;
	for (unsigned i = 0; i < b->ncustom; i++) {
		uint64_t bit = 1ull << (DISP_EV_CUSTOM_FIRST + i);

		if (!((b->inline_mask | b->batch_mask) & bit))
			continue;
		if (b->custom[i].pred(f, p, b->custom[i].arg)) {
			e.ev = bit;
			deliver(b, &e);
		}
	}
}

unsigned disp_ev_flush(struct disp_ev_bus *b)
{
	unsigned n = b->qlen;

	/* A batched handler that raises events must not re-enter: those land
	 * in the queue and wait for the next flush. */
	if (b->flushing || n == 0)
		return 0;
	b->flushing = true;
	for (unsigned s = 0; s < b->nsubs; s++) {
		unsigned k = 0;

		if (!b->subs[s].batch_fn)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (b->queue[i].ev & b->subs[s].mask)
				b->scratch[k++] = b->queue[i];
		if (k)
			b->subs[s].batch_fn(b->scratch, k, b->subs[s].arg);
	}
	/* Keep anything queued during the handlers. */
	memmove(b->queue, b->queue + n, (b->qlen - n) * sizeof(*b->queue));
	b->qlen -= n;
	b->flushing = false;
	return n;
}

uint64_t disp_ev_overflow(const struct disp_ev_bus *b)
{
	return b->overflow;
}

const char *disp_ev_name(uint64_t ev)
{
	switch (ev) {
	case DISP_EV_SYN: return "syn";
	case DISP_EV_SYNACK: return "synack";
	case DISP_EV_ESTABLISHED: return "established";
	case DISP_EV_DATA: return "data";
	case DISP_EV_RETRANSMIT: return "retransmit";
	case DISP_EV_FIN: return "fin";
	case DISP_EV_RST: return "rst";
	case DISP_EV_CLOSED: return "closed";
	case DISP_EV_TIMEOUT: return "timeout";
	case DISP_EV_REFUSED: return "refused";
	default: return "custom";
	}
}
