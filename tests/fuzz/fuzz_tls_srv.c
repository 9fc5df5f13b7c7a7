/* libFuzzer: the server->client stream parser. Same whole-versus-pieces
 * oracle as fuzz_tls_ch.c; every byte the result points to is read. */
#include <stdlib.h>
#include <string.h>

#include <splicekit/tls.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(const uint8_t *p, size_t n)
{
	volatile uint8_t sink = 0;

	for (size_t i = 0; i < n; i++)
		sink ^= p[i];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t limit = size & 1 ? TLS_LIMIT_MIN : TLS_LIMIT_DEFAULT;
	struct tls_srv *whole = tls_srv_new(limit), *split = tls_srv_new(limit);
	unsigned seed = size ? data[0] : 0;
	const struct tls_server_stream *a, *b;
	struct tls_key k;
	int rw, rs = 0;

	if (!whole || !split)
		abort();
	/* Offer a session ID taken from the input, as the dispatcher would
	 * from the client's hello. */
	if (size >= 33 && data[0] <= 32) {
		tls_srv_set_offered(whole, data + 1, data[0]);
		tls_srv_set_offered(split, data + 1, data[0]);
	}
	rw = tls_srv_feed(whole, data, size);
	if (rw == TLS_MORE)
		rw = tls_srv_eof(whole);
	for (size_t off = 0; off < size && rs == 0;) {
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 48;
		if (n > size - off)
			n = size - off;
		rs = tls_srv_feed(split, data + off, n);
		off += n;
	}
	if (rs == TLS_MORE)
		rs = tls_srv_eof(split);
	if (rw != rs || tls_srv_reason(whole) != tls_srv_reason(split))
		abort();

	a = tls_srv_result(whole);
	b = tls_srv_result(split);
	if (a->seen_hello != b->seen_hello || a->seen_hrr != b->seen_hrr ||
	    a->version != b->version || a->resumed != b->resumed ||
	    a->has_ticket != b->has_ticket || a->ticket_len != b->ticket_len ||
	    a->encrypted != b->encrypted || a->session_id_len > 32 ||
	    memcmp(a->session_id, b->session_id, a->session_id_len) != 0)
		abort();
	if (a->has_ticket)
		touch(a->ticket, a->ticket_len);
	if (tls_key_learn(a, &k) == 1 && (k.len == 0 || a->version >= TLS_VERSION_1_3))
		abort();
	if (rw == TLS_DONE && !a->encrypted)
		abort();
	tls_srv_free(whole);
	tls_srv_free(split);
	return 0;
}
