/* libFuzzer: the ClientHello stream parser and routing keys.
 *
 * Oracle beyond "no crash": the input is parsed once whole and once in
 * pieces whose sizes come from the input; both must reach the same
 * verdict and the same hello. Odd-sized inputs use the smallest buffer
 * limit so the refusal path is exercised too. */
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

static struct tls_key_conf *conf(void)
{
	static struct tls_key_conf *c;

	if (!c) {
		c = tls_key_conf_new();
		tls_key_conf_add_prefix(c, TLS_PREFIX_TICKET, (const uint8_t *)"\x00\x01", 2, 1);
		tls_key_conf_add_prefix(c, TLS_PREFIX_SESSION_ID, (const uint8_t *)"\x11", 1, 2);
		tls_key_conf_set_sni(c, true);
	}
	return c;
}

static void check(const struct tls_client_hello *ch)
{
	struct tls_key k[TLS_KEY_CANDIDATES];
	const uint8_t *p;
	size_t len;
	int n;

	touch(ch->random, 32);
	touch(ch->session_id, ch->session_id_len);
	touch(ch->cipher_suites, ch->cipher_suites_len);
	touch(ch->versions, ch->versions_len);
	touch(ch->ticket, ch->ticket_len);
	if (ch->has_sni && strlen(ch->sni) != ch->sni_len)
		abort();
	for (unsigned i = 0; tls_ch_alpn(ch, i, &p, &len) == 0; i++)
		touch(p, len);
	for (unsigned i = 0; tls_ch_psk_identity(ch, i, &p, &len, NULL) == 0; i++)
		touch(p, len);
	n = tls_key_derive(conf(), ch, k, TLS_KEY_CANDIDATES);
	if (n < 0 || n > TLS_KEY_CANDIDATES)
		abort();
	for (int i = 0; i < n; i++)
		if (k[i].kind == TLS_KEY_NONE || k[i].len == 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t limit = size & 1 ? TLS_LIMIT_MIN : TLS_LIMIT_DEFAULT;
	struct tls_ch *whole = tls_ch_new(limit), *split = tls_ch_new(limit);
	unsigned seed = size ? data[size - 1] : 0;
	int rw, rs = 0;

	if (!whole || !split)
		abort();
	rw = tls_ch_feed(whole, data, size);
	if (rw == TLS_MORE)
		rw = tls_ch_eof(whole);
	for (size_t off = 0; off < size && rs == 0;) {
		size_t k;

		seed = seed * 1103515245u + 12345u;
		k = 1 + (seed >> 16) % 48;
		if (k > size - off)
			k = size - off;
		rs = tls_ch_feed(split, data + off, k);
		off += k;
	}
	if (rs == TLS_MORE)
		rs = tls_ch_eof(split);

	if (rw != rs || tls_ch_reason(whole) != tls_ch_reason(split))
		abort();
	if (rw == TLS_DONE) {
		const struct tls_client_hello *a = tls_ch_result(whole);
		const struct tls_client_hello *b = tls_ch_result(split);

		if (!a || !b || a->hs_len != b->hs_len || a->ext_count != b->ext_count ||
		    a->records != b->records || a->session_id_len != b->session_id_len ||
		    memcmp(a->random, b->random, 32) != 0 ||
		    a->has_sni != b->has_sni || a->has_psk != b->has_psk ||
		    a->alpn_count != b->alpn_count || a->ticket_len != b->ticket_len)
			abort();
		check(a);
	} else if (tls_ch_result(whole) || rw >= 0) {
		abort();
	}
	tls_ch_free(whole);
	tls_ch_free(split);
	return 0;
}
