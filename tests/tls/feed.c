#include <stdlib.h>
#include <string.h>

#include "feed.h"

int feed_split(feed_fn fn, void *parser, const uint8_t *b, size_t n,
	       enum split mode, unsigned seed)
{
	size_t off = 0;
	int r = 0;

	while (off < n) {
		size_t k = n - off;

		if (mode == SPLIT_ONE)
			k = 1;
		else if (mode == SPLIT_RANDOM) {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 64;
			if (k > n - off)
				k = n - off;
		}
		r = fn(parser, b + off, k);
		if (r != 0)
			return r;
		off += k;
	}
	return r;
}

uint8_t *refragment(const uint8_t *stream, size_t len, size_t frag,
		    size_t *out_len)
{
	/* Collect the first handshake message from however many records it
	 * already spans, then wrap it again. Test input is trusted. */
	uint8_t *msg = NULL, *out = NULL;
	size_t have = 0, want = 0, off = 0, o = 0;

	while (off + 5 <= len) {
		size_t rl = (size_t)stream[off + 3] << 8 | stream[off + 4];

		if (off + 5 + rl > len)
			break;
		msg = realloc(msg, have + rl);
		memcpy(msg + have, stream + off + 5, rl);
		have += rl;
		off += 5 + rl;
		if (have >= 4) {
			want = 4 + ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3]);
			if (have >= want)
				break;
		}
	}
	if (want == 0 || have < want) {
		free(msg);
		return NULL;
	}
	out = malloc(want + 5 * (want / frag + 1));
	for (size_t p = 0; p < want; p += frag) {
		size_t k = want - p < frag ? want - p : frag;

		memcpy(out + o, stream, 3);
		out[o + 3] = (uint8_t)(k >> 8);
		out[o + 4] = (uint8_t)k;
		memcpy(out + o + 5, msg + p, k);
		o += 5 + k;
	}
	free(msg);
	*out_len = o;
	return out;
}
