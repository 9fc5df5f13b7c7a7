/* TCP reassembly for offline decoding; see reasm.h for the policy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reasm.h"

struct sc_pending {
	uint32_t seq;
	size_t len;
	uint8_t *data;
};

/* Signed distance in sequence space: correct across the 2^32 wrap as
 * long as the two numbers are within 2^31 of each other. */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static int append(struct sc_stream *s, const uint8_t *p, size_t n)
{
	size_t room = SC_REASM_MAX_BYTES - s->len;
	size_t take = n < room ? n : room;

	/* The sequence space moves on even when the bytes are not kept, so
	 * later segments still line up. */
	s->next_seq += (uint32_t)n;
	if (take < n)
		s->truncated = true;
	if (take == 0)
		return 0;
	if (s->len + take > s->cap) {
		size_t ncap = s->cap ? s->cap : 4096;
		uint8_t *nb;

		while (ncap < s->len + take)
			ncap *= 2;
		if (ncap > SC_REASM_MAX_BYTES)
			ncap = SC_REASM_MAX_BYTES;
		nb = realloc(s->buf, ncap);
		if (!nb)
			return -ENOMEM;
		s->buf = nb;
		s->cap = ncap;
	}
	memcpy(s->buf + s->len, p, take);
	s->len += take;
	s->had_data = true;
	return 0;
}

/* Delivers data that starts at or before next_seq, trimming what was
 * already delivered. */
static int deliver(struct sc_stream *s, uint32_t seq, const uint8_t *p, size_t n)
{
	size_t skip = (size_t)-(int64_t)seq_diff(seq, s->next_seq);

	if (skip >= n) {
		s->dup_bytes += n;
		return 0;
	}
	s->dup_bytes += skip;
	return append(s, p + skip, n - skip);
}

static int drain(struct sc_stream *s)
{
	while (s->n_pending > 0 && seq_diff(s->pending[0].seq, s->next_seq) <= 0) {
		struct sc_pending first = s->pending[0];
		int r;

		s->n_pending--;
		memmove(&s->pending[0], &s->pending[1],
			s->n_pending * sizeof(s->pending[0]));
		r = deliver(s, first.seq, first.data, first.len);
		free(first.data);
		if (r < 0)
			return r;
	}
	return 0;
}

static int hold(struct sc_stream *s, uint32_t seq, const uint8_t *p, size_t n)
{
	unsigned i;
	uint8_t *copy;

	if (s->n_pending == SC_REASM_MAX_PENDING) {
		s->truncated = true;
		return 0;
	}
	if (!s->pending) {
		s->pending = calloc(SC_REASM_MAX_PENDING, sizeof(*s->pending));
		if (!s->pending)
			return -ENOMEM;
	}
	copy = malloc(n);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, n);
	for (i = s->n_pending; i > 0; i--) {
		if (seq_diff(s->pending[i - 1].seq, seq) <= 0)
			break;
		s->pending[i] = s->pending[i - 1];
	}
	s->pending[i] = (struct sc_pending){ .seq = seq, .len = n, .data = copy };
	s->n_pending++;
	return 0;
}

static void drop_pending(struct sc_stream *s)
{
	for (unsigned i = 0; i < s->n_pending; i++)
		free(s->pending[i].data);
	s->n_pending = 0;
}

static void out_of_window(struct sc_stream *s, uint32_t seq, size_t len)
{
	if (s->oow_segs++ == 0) {
		s->oow_first_seq = seq;
		s->oow_first_want = s->next_seq;
	}
	s->oow_bytes += len;
}

int sc_stream_add(struct sc_stream *s, uint32_t seq, bool syn,
		  const uint8_t *data, size_t len)
{
	int32_t d;
	int r;

	if (syn) {
		if (!s->started) {
			s->started = true;
			s->next_seq = seq + 1;
		} else if (!s->had_data && seq + 1 != s->next_seq && !s->gap) {
			/* Held segments belonged to the abandoned ISN. */
			for (unsigned i = 0; i < s->n_pending; i++)
				out_of_window(s, s->pending[i].seq, s->pending[i].len);
			drop_pending(s);
			s->next_seq = seq + 1;
			s->restarts++;
		}
		seq += 1; /* SYN data (TCP Fast Open) follows the SYN's number */
	}
	if (len == 0 || s->gap)
		return 0;
	if (!s->started) {
		s->started = true;
		s->next_seq = seq;
	}
	d = seq_diff(seq, s->next_seq);
	if (d > (int32_t)SC_REASM_WINDOW || d < -(int32_t)SC_REASM_WINDOW) {
		out_of_window(s, seq, len);
		return 0;
	}
	if (d > 0)
		return hold(s, seq, data, len);
	r = deliver(s, seq, data, len);
	return r < 0 ? r : drain(s);
}

void sc_stream_give_up(struct sc_stream *s)
{
	drop_pending(s);
	s->gap = true;
}

void sc_stream_free(struct sc_stream *s)
{
	sc_stream_give_up(s);
	free(s->pending);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}
