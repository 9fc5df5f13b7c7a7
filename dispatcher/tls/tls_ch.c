/* The ClientHello parser object: reassembly engine plus hello parser. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splicekit/cursor.h>

#include "tls/tls_int.h"

struct tls_ch {
	struct tls_stream st;
	bool done;
	struct tls_client_hello ch;
	char sni[256];
	uint8_t buf[]; /* st.cap bytes: the hello body */
};

static int ch_record(void *ctx, uint8_t type, uint16_t version, uint32_t len)
{
	/* Alerts, CCS or data before the hello is complete: the engine has
	 * already refused them inside a message; before the first message
	 * the first-byte screen refused them. */
	return type == CT_HANDSHAKE ? 0 : -TLS_R_RECORD_TYPE;
}

static int ch_hs_start(void *ctx, uint8_t type, uint32_t len)
{
	return type == HT_CLIENT_HELLO ? 1 : -TLS_R_HS_TYPE;
}

static int ch_hs_msg(void *ctx, uint8_t type, const uint8_t *body, uint32_t len)
{
	struct tls_ch *p = ctx;
	int r;

	memset(&p->ch, 0, sizeof(p->ch));
	r = tls_parse_client_hello(body, len, &p->ch, p->sni);
	if (r < 0)
		return r;
	p->ch.record_version = p->st.first_version;
	p->ch.records = p->st.records;
	p->done = true;
	return TLS_DONE;
}

static const struct tls_stream_ops ch_ops = {
	.record = ch_record,
	.hs_start = ch_hs_start,
	.hs_msg = ch_hs_msg,
	.first_types = 1u << CT_HANDSHAKE,
};

struct tls_ch *tls_ch_new(size_t limit)
{
	return tls_stream_new(sizeof(struct tls_ch), offsetof(struct tls_ch, buf), limit);
}

void tls_ch_free(struct tls_ch *p)
{
	free(p);
}

void tls_ch_reset(struct tls_ch *p)
{
	tls_stream_reset(&p->st);
	p->done = false;
	memset(&p->ch, 0, sizeof(p->ch));
}

int tls_ch_feed(struct tls_ch *p, const void *buf, size_t len)
{
	return tls_result_errno(tls_stream_feed(&p->st, &ch_ops, p, buf, len));
}

int tls_ch_eof(struct tls_ch *p)
{
	int r = tls_stream_eof(&p->st);

	/* Cut cleanly between records before the hello completed. */
	if (r == 0)
		r = -TLS_R_HS_TRUNCATED;
	p->st.state = r;
	return tls_result_errno(r);
}

const struct tls_client_hello *tls_ch_result(const struct tls_ch *p)
{
	return p->done ? &p->ch : NULL;
}

enum tls_reason tls_ch_reason(const struct tls_ch *p)
{
	return p->st.state < 0 ? (enum tls_reason)-p->st.state : TLS_R_NONE;
}

uint64_t tls_ch_offset(const struct tls_ch *p)
{
	return p->st.off;
}

int tls_ch_alpn(const struct tls_client_hello *ch, unsigned i,
		const uint8_t **name, size_t *len)
{
	struct raw_cur c, v;

	raw_cur_init(&c, ch->alpn, ch->alpn_len);
	for (unsigned k = 0; raw_cur_vec(&c, 1, &v) == 0; k++) {
		if (k == i) {
			*name = raw_cur_ptr(&v);
			*len = raw_cur_left(&v);
			return 0;
		}
	}
	return -ENOENT;
}

int tls_ch_psk_identity(const struct tls_client_hello *ch, unsigned i,
			const uint8_t **id, size_t *len, uint32_t *age)
{
	struct raw_cur c, v;
	uint32_t a;

	raw_cur_init(&c, ch->psk_identities, ch->psk_identities_len);
	for (unsigned k = 0; raw_cur_vec(&c, 2, &v) == 0 &&
			     raw_cur_u32(&c, &a) == 0; k++) {
		if (k == i) {
			*id = raw_cur_ptr(&v);
			*len = raw_cur_left(&v);
			if (age)
				*age = a;
			return 0;
		}
	}
	return -ENOENT;
}

bool tls_ch_offers(const struct tls_client_hello *ch, uint16_t v)
{
	struct raw_cur c;
	uint16_t x;

	/* Without the extension a client offers every version from SSL 3.0
	 * up to client_version (RFC 5246 Appendix E.1). */
	if (!ch->has_versions)
		return v >= TLS_VERSION_SSL3 && v <= ch->client_version;
	raw_cur_init(&c, ch->versions, ch->versions_len);
	while (raw_cur_u16(&c, &x) == 0)
		if (x == v)
			return true;
	return false;
}
