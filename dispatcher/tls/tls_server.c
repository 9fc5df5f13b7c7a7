/* The server->client stream: ServerHello (and HelloRetryRequest, a
 * ServerHello with a fixed random), then in TLS <= 1.2 the plaintext
 * NewSessionTicket, until the first ChangeCipherSpec or application_data
 * record after which nothing is in clear.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splicekit/cursor.h>

#include "tls/tls_int.h"

enum {
	EXT_PRE_SHARED_KEY = 41,
	EXT_SUPPORTED_VERSIONS = 43,
};

/* RFC 8446 §4.1.3: SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

enum phase {
	WAIT_HELLO,   /* before the (final) ServerHello */
	TLS12_FLIGHT, /* TLS <= 1.2 after ServerHello, before CCS */
	TLS13_AFTER,  /* TLS 1.3 after ServerHello: only ciphertext follows */
};

struct tls_srv {
	struct tls_stream st;
	enum phase phase;
	unsigned msgs_after_hello;
	uint8_t offered[32];
	uint8_t offered_len;
	bool offered_set;
	struct tls_server_stream res;
	uint8_t buf[];
};

static int srv_record(void *ctx, uint8_t type, uint16_t version, uint32_t len)
{
	struct tls_srv *p = ctx;

	switch (type) {
	case CT_HANDSHAKE:
		return p->phase == TLS13_AFTER ? -TLS_R_RECORD_TYPE : 0;
	case CT_ALERT:
		return -TLS_R_ALERT;
	case CT_CCS:
		/* RFC 8446 Appendix D.4: a compatibility CCS may follow a
		 * HelloRetryRequest; the real ServerHello is still to come. */
		if (p->phase == WAIT_HELLO)
			return p->res.seen_hrr ? 0 : -TLS_R_RECORD_TYPE;
		break;
	case CT_APPDATA:
		if (p->phase == WAIT_HELLO)
			return -TLS_R_RECORD_TYPE;
		break;
	default:
		return -TLS_R_RECORD_TYPE;
	}
	if (p->phase == TLS12_FLIGHT && p->msgs_after_hello == 0)
		p->res.resumed = true; /* abbreviated handshake */
	p->res.encrypted = true;
	return TLS_DONE;
}

static int srv_hs_start(void *ctx, uint8_t type, uint32_t len)
{
	struct tls_srv *p = ctx;

	if (p->phase == WAIT_HELLO)
		return type == HT_SERVER_HELLO ? 1 : -TLS_R_HS_TYPE;
	/* TLS12_FLIGHT (TLS13_AFTER never gets here: records refused). */
	if (type == HT_SERVER_HELLO || type == HT_CLIENT_HELLO)
		return -TLS_R_HS_TYPE;
	if (type == HT_NEW_SESSION_TICKET) {
		if (p->res.has_ticket)
			return -TLS_R_HS_TYPE; /* one per TLS 1.2 handshake */
		if (p->msgs_after_hello == 0)
			p->res.resumed = true; /* abbreviated handshake */
		p->msgs_after_hello++;
		return 1;
	}
	p->msgs_after_hello++;
	return 0;
}

static int parse_sh_ext(struct raw_cur *exts, struct tls_server_stream *r)
{
	uint64_t seen[65536 / 64];

	memset(seen, 0, sizeof(seen));
	while (raw_cur_left(exts) > 0) {
		struct raw_cur body;
		uint16_t type;

		int e = tls_ext_next(exts, seen, &type, &body);

		if (e < 0)
			return e;
		if (type == EXT_SUPPORTED_VERSIONS) {
			if (raw_cur_u16(&body, &r->version) < 0 ||
			    raw_cur_left(&body) != 0)
				return -TLS_R_VERSIONS_MALFORMED;
		} else if (type == EXT_PRE_SHARED_KEY) {
			if (raw_cur_u16(&body, &r->psk_selected) < 0 ||
			    raw_cur_left(&body) != 0)
				return -TLS_R_PSK_MALFORMED;
			r->psk_accepted = true;
		}
	}
	return 0;
}

static int parse_server_hello(struct tls_srv *p, const uint8_t *body, uint32_t len)
{
	struct tls_server_stream *r = &p->res;
	struct raw_cur c, exts;
	const uint8_t *rnd, *sid;
	uint8_t sid_len, comp;
	int e;

	raw_cur_init(&c, body, len);
	r->psk_accepted = false;
	r->psk_selected = 0;
	if (raw_cur_u16(&c, &r->legacy_version) < 0 ||
	    raw_cur_bytes(&c, 32, &rnd) < 0 || raw_cur_u8(&c, &sid_len) < 0)
		return -TLS_R_HS_OVERRUN;
	if (sid_len > 32)
		return -TLS_R_SESSION_ID_LEN;
	if (raw_cur_bytes(&c, sid_len, &sid) < 0 ||
	    raw_cur_u16(&c, &r->cipher_suite) < 0 || raw_cur_u8(&c, &comp) < 0)
		return -TLS_R_HS_OVERRUN;
	memcpy(r->random, rnd, 32);
	memcpy(r->session_id, sid, sid_len);
	r->session_id_len = sid_len;
	r->version = r->legacy_version;
	if (raw_cur_left(&c) > 0) {
		if (raw_cur_vec(&c, 2, &exts) < 0)
			return -TLS_R_HS_OVERRUN;
		if (raw_cur_left(&c) != 0)
			return -TLS_R_HS_TRAILING;
		e = parse_sh_ext(&exts, r);
		if (e < 0)
			return e;
	}
	return 0;
}

static int parse_ticket(struct tls_srv *p, const uint8_t *body, uint32_t len)
{
	struct raw_cur c, t;

	/* RFC 5077 §3.3: lifetime hint, then ticket<0..2^16-1>. */
	raw_cur_init(&c, body, len);
	if (raw_cur_u32(&c, &p->res.ticket_lifetime) < 0 ||
	    raw_cur_vec(&c, 2, &t) < 0 || raw_cur_left(&c) != 0)
		return -TLS_R_TICKET_MALFORMED;
	/* Points into the engine buffer: no later message is kept in TLS
	 * 1.2 (a second ticket or hello is refused), so it stays valid. */
	p->res.ticket = raw_cur_ptr(&t);
	p->res.ticket_len = raw_cur_left(&t);
	p->res.has_ticket = true;
	return 0;
}

static int srv_hs_msg(void *ctx, uint8_t type, const uint8_t *body, uint32_t len)
{
	struct tls_srv *p = ctx;
	struct tls_server_stream *r = &p->res;
	int e;

	if (type == HT_NEW_SESSION_TICKET)
		return parse_ticket(p, body, len);

	e = parse_server_hello(p, body, len);
	if (e < 0)
		return e;
	r->record_version = p->st.first_version;
	if (memcmp(r->random, hrr_random, 32) == 0) {
		/* A second HRR in one handshake is forbidden (RFC 8446
		 * §4.1.4). */
		if (r->seen_hrr)
			return -TLS_R_HS_TYPE;
		r->seen_hrr = true;
		return 0;
	}
	r->seen_hello = true;
	if (r->version >= TLS_VERSION_1_3) {
		p->phase = TLS13_AFTER;
		r->resumed = r->psk_accepted;
	} else {
		p->phase = TLS12_FLIGHT;
		r->resumed = p->offered_set && r->session_id_len > 0 &&
			     r->session_id_len == p->offered_len &&
			     memcmp(r->session_id, p->offered, p->offered_len) == 0;
	}
	return 0;
}

static const struct tls_stream_ops srv_ops = {
	.record = srv_record,
	.hs_start = srv_hs_start,
	.hs_msg = srv_hs_msg,
	.first_types = 1u << CT_HANDSHAKE | 1u << CT_ALERT,
};

struct tls_srv *tls_srv_new(size_t limit)
{
	return tls_stream_new(sizeof(struct tls_srv), offsetof(struct tls_srv, buf), limit);
}

void tls_srv_free(struct tls_srv *p)
{
	free(p);
}

void tls_srv_reset(struct tls_srv *p)
{
	tls_stream_reset(&p->st);
	p->phase = WAIT_HELLO;
	p->msgs_after_hello = 0;
	p->offered_len = 0;
	p->offered_set = false;
	memset(&p->res, 0, sizeof(p->res));
}

int tls_srv_set_offered(struct tls_srv *p, const uint8_t *sid, size_t len)
{
	if (len > 32)
		return -EINVAL;
	if (len > 0)
		memcpy(p->offered, sid, len);
	p->offered_len = (uint8_t)len;
	p->offered_set = true;
	return 0;
}

int tls_srv_feed(struct tls_srv *p, const void *buf, size_t len)
{
	return tls_result_errno(tls_stream_feed(&p->st, &srv_ops, p, buf, len));
}

int tls_srv_eof(struct tls_srv *p)
{
	int r = tls_stream_eof(&p->st);

	if (r == 0)
		r = -TLS_R_HS_TRUNCATED;
	p->st.state = r;
	return tls_result_errno(r);
}

const struct tls_server_stream *tls_srv_result(const struct tls_srv *p)
{
	return &p->res;
}

enum tls_reason tls_srv_reason(const struct tls_srv *p)
{
	return p->st.state < 0 ? (enum tls_reason)-p->st.state : TLS_R_NONE;
}

uint64_t tls_srv_offset(const struct tls_srv *p)
{
	return p->st.off;
}
