/* Server-stream rejections and edge cases, and routing-key configuration,
 * on hand-built bytes (OpenSSL will not emit the malformed ones; the valid
 * flows are covered against OpenSSL in test_tls_openssl.c). */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include <splicekit/tls.h>

#include "build.h"

static struct bb S, B, E, X;

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void reset(void)
{
	S.n = B.n = E.n = X.n = 0;
}

/* Appends a ServerHello record (random r or 0x22s, sid_len x 0x33). */
static void sh(const uint8_t *r, unsigned sid_len, const struct bb *exts)
{
	uint8_t rnd[32];
	size_t at;

	memset(rnd, 0x22, sizeof(rnd));
	B.n = 0;
	bb_u16(&B, 0x0303);
	bb_put(&B, r ? r : rnd, 32);
	bb_u8(&B, sid_len);
	for (unsigned i = 0; i < sid_len; i++)
		bb_u8(&B, 0x33);
	bb_u16(&B, 0x1301);
	bb_u8(&B, 0);
	if (exts) {
		at = bb_open(&B, 2);
		bb_put(&B, exts->b, exts->n);
		bb_close(&B, at, 2);
	}
	X.n = 0;
	bb_hs(&X, 2, &B);
	bb_records(&S, 22, 0x0303, X.b, X.n, 16384);
}

static void hs_record(unsigned type, const void *body, size_t len)
{
	B.n = 0;
	bb_put(&B, body, len);
	X.n = 0;
	bb_hs(&X, type, &B);
	bb_records(&S, 22, 0x0303, X.b, X.n, 16384);
}

static void expect_srv(int err, enum tls_reason why)
{
	for (int mode = 0; mode < 2; mode++) {
		struct tls_srv *p = tls_srv_new(0);
		int rc = 0;

		if (mode == 0)
			rc = tls_srv_feed(p, S.b, S.n);
		else
			for (size_t i = 0; i < S.n && rc == 0; i++)
				rc = tls_srv_feed(p, S.b + i, 1);
		if (rc == 0)
			rc = tls_srv_eof(p);
		cr_assert_eq(rc, err, "mode %d: rc %d want %d (%s)", mode, rc, err,
			     tls_reason_str(tls_srv_reason(p)));
		cr_assert_eq(tls_srv_reason(p), why, "mode %d: '%s' want '%s'", mode,
			     tls_reason_str(tls_srv_reason(p)), tls_reason_str(why));
		tls_srv_free(p);
	}
}

#define CCS "\x14\x03\x03\x00\x01\x01"

Test(server, tls12_flow_with_ticket)
{
	struct tls_srv *p = tls_srv_new(0);
	const struct tls_server_stream *s;

	reset();
	sh(NULL, 32, NULL);
	hs_record(11, "\x00\x00\x00", 3); /* Certificate: skipped */
	hs_record(14, "", 0);             /* ServerHelloDone */
	hs_record(4, "\x00\x00\x1c\x20\x00\x03\xaa\xbb\xcc", 9);
	bb_put(&S, CCS, 6);
	cr_assert_eq(tls_srv_feed(p, S.b, S.n), TLS_DONE);
	s = tls_srv_result(p);
	cr_assert(s->seen_hello && s->encrypted && s->has_ticket);
	cr_assert_not(s->resumed);
	cr_assert_eq(s->ticket_lifetime, 7200);
	cr_assert_eq(s->ticket_len, 3);
	cr_assert_arr_eq(s->ticket, "\xaa\xbb\xcc", 3);
	cr_assert_eq(s->version, 0x0303);
	cr_assert_eq(s->session_id_len, 32);
	/* Decided on the CCS record header; its payload is not consumed. */
	cr_assert_eq(tls_srv_offset(p), S.n - 1);
	tls_srv_free(p);
}

Test(server, skipped_certificate_is_not_buffered)
{
	/* A 100 KB Certificate passes a 512-byte parser. */
	struct tls_srv *p = tls_srv_new(TLS_LIMIT_MIN);
	static uint8_t cert[100000];

	reset();
	sh(NULL, 0, NULL);
	B.n = 0;
	bb_put(&B, cert, sizeof(cert));
	X.n = 0;
	bb_hs(&X, 11, &B);
	bb_records(&S, 22, 0x0303, X.b, X.n, 16384);
	bb_put(&S, CCS, 6);
	cr_assert_eq(tls_srv_feed(p, S.b, S.n), TLS_DONE);
	tls_srv_free(p);
}

Test(server, not_tls)
{
	reset();
	bb_put(&S, "HTTP/1.1 200 OK\r\n", 17);
	expect_srv(-EPROTONOSUPPORT, TLS_R_NOT_TLS);
}

Test(server, alert)
{
	reset();
	bb_put(&S, "\x15\x03\x03\x00\x02\x02\x46", 7); /* protocol_version */
	expect_srv(-EBADMSG, TLS_R_ALERT);
}

Test(server, record_type_before_hello)
{
	/* As the first record, data or a CCS means the stream is not TLS. */
	reset();
	bb_put(&S, "\x17\x03\x03\x00\x01\x00", 6);
	expect_srv(-EPROTONOSUPPORT, TLS_R_NOT_TLS);
	reset();
	bb_put(&S, CCS, 6);
	expect_srv(-EPROTONOSUPPORT, TLS_R_NOT_TLS);
	/* After an HRR a CCS may come, but not application data. */
	reset();
	bb_ext(&E, 43, "\x03\x04", 2);
	sh(hrr_random, 0, &E);
	bb_put(&S, CCS, 6);
	bb_put(&S, "\x17\x03\x03\x00\x01\x00", 6);
	expect_srv(-EBADMSG, TLS_R_RECORD_TYPE);
	/* An unknown content type. */
	reset();
	sh(NULL, 0, NULL);
	bb_put(&S, "\x19\x03\x03\x00\x01\x00", 6);
	expect_srv(-EBADMSG, TLS_R_RECORD_TYPE);
}

Test(server, plaintext_handshake_after_tls13_hello)
{
	reset();
	bb_ext(&E, 43, "\x03\x04", 2);
	sh(NULL, 32, &E);
	hs_record(8, "\x00\x00", 2); /* EncryptedExtensions in clear */
	expect_srv(-EBADMSG, TLS_R_RECORD_TYPE);
}

Test(server, hs_type)
{
	reset();
	hs_record(11, "\x00\x00\x00", 3); /* Certificate before hello */
	expect_srv(-EBADMSG, TLS_R_HS_TYPE);
	reset();
	sh(NULL, 0, NULL);
	sh(NULL, 0, NULL); /* a second hello */
	expect_srv(-EBADMSG, TLS_R_HS_TYPE);
	reset();
	sh(NULL, 0, NULL);
	hs_record(4, "\x00\x00\x00\x01\x00\x00", 6);
	hs_record(4, "\x00\x00\x00\x01\x00\x00", 6); /* two tickets */
	expect_srv(-EBADMSG, TLS_R_HS_TYPE);
	reset();
	bb_ext(&E, 43, "\x03\x04", 2);
	sh(hrr_random, 0, &E);
	sh(hrr_random, 0, &E); /* two HRRs */
	expect_srv(-EBADMSG, TLS_R_HS_TYPE);
}

Test(server, hrr_then_ccs_then_hello)
{
	struct tls_srv *p = tls_srv_new(0);
	const struct tls_server_stream *s;

	reset();
	bb_ext(&E, 43, "\x03\x04", 2);
	sh(hrr_random, 32, &E);
	bb_put(&S, CCS, 6);
	E.n = 0;
	bb_ext(&E, 43, "\x03\x04", 2);
	bb_ext(&E, 41, "\x00\x00", 2);
	sh(NULL, 32, &E);
	bb_put(&S, "\x17\x03\x03\x00\x02\xde\xad", 7);
	cr_assert_eq(tls_srv_feed(p, S.b, S.n), TLS_DONE);
	s = tls_srv_result(p);
	cr_assert(s->seen_hrr && s->seen_hello && s->psk_accepted && s->resumed);
	cr_assert_eq(s->version, TLS_VERSION_1_3);
	cr_assert_eq(s->random[0], 0x22);
	tls_srv_free(p);
}

Test(server, hs_truncated_before_encryption)
{
	reset();
	sh(NULL, 0, NULL);
	expect_srv(-EBADMSG, TLS_R_HS_TRUNCATED);
}

Test(server, session_id_len)
{
	reset();
	sh(NULL, 33, NULL);
	expect_srv(-EBADMSG, TLS_R_SESSION_ID_LEN);
}

Test(server, hello_overrun_and_trailing)
{
	reset();
	hs_record(2, "\x03\x03\x00", 3);
	expect_srv(-EBADMSG, TLS_R_HS_OVERRUN);
	reset();
	sh(NULL, 0, &E);
	/* Append one byte inside the message: rebuild by hand. */
	S.n = 0;
	B.b[B.n++] = 0x99;
	X.n = 0;
	bb_hs(&X, 2, &B);
	bb_records(&S, 22, 0x0303, X.b, X.n, 16384);
	expect_srv(-EBADMSG, TLS_R_HS_TRAILING);
}

Test(server, ext_duplicate_overrun_versions_psk)
{
	reset();
	bb_ext(&E, 43, "\x03\x04", 2);
	bb_ext(&E, 43, "\x03\x04", 2);
	sh(NULL, 0, &E);
	expect_srv(-EBADMSG, TLS_R_EXT_DUPLICATE);
	reset();
	bb_put(&E, "\x00\x2b\x00\x09\x03", 5);
	sh(NULL, 0, &E);
	expect_srv(-EBADMSG, TLS_R_EXT_OVERRUN);
	reset();
	bb_ext(&E, 43, "\x03\x04\x03", 3);
	sh(NULL, 0, &E);
	expect_srv(-EBADMSG, TLS_R_VERSIONS_MALFORMED);
	reset();
	bb_ext(&E, 41, "\x00", 1);
	sh(NULL, 0, &E);
	expect_srv(-EBADMSG, TLS_R_PSK_MALFORMED);
}

Test(server, ticket_malformed)
{
	reset();
	sh(NULL, 0, NULL);
	hs_record(4, "\x00\x00\x00\x01\x00\x05\xaa", 7);
	expect_srv(-EBADMSG, TLS_R_TICKET_MALFORMED);
}

Test(server, ticket_above_limit)
{
	static uint8_t big[1000];

	reset();
	sh(NULL, 0, NULL);
	hs_record(4, big, sizeof(big));
	for (int mode = 0; mode < 1; mode++) {
		struct tls_srv *p = tls_srv_new(TLS_LIMIT_MIN);

		cr_assert_eq(tls_srv_feed(p, S.b, S.n), -EMSGSIZE);
		cr_assert_eq(tls_srv_reason(p), TLS_R_TOO_BIG);
		/* What was learned before the refusal is still there. */
		cr_assert(tls_srv_result(p)->seen_hello);
		tls_srv_free(p);
	}
}

/* ---- routing keys ---- */

Test(key, conf_validation)
{
	struct tls_key_conf *c = tls_key_conf_new();
	uint8_t p[TLS_PREFIX_MAX + 1] = {1};

	cr_assert_eq(tls_key_conf_add_prefix(c, TLS_PREFIX_TICKET, p, 0, 0), -EINVAL);
	cr_assert_eq(tls_key_conf_add_prefix(c, TLS_PREFIX_TICKET, p, sizeof(p), 0), -EINVAL);
	cr_assert_eq(tls_key_conf_add_prefix(c, TLS_PREFIX_TICKET, p, 4, -1), -EINVAL);
	cr_assert_eq(tls_key_conf_add_prefix(c, (enum tls_prefix_kind)9, p, 4, 0), -EINVAL);
	cr_assert_eq(tls_key_conf_add_prefix(c, TLS_PREFIX_TICKET, p, 4, 0), 0);
	cr_assert_eq(tls_key_conf_add_prefix(c, TLS_PREFIX_TICKET, p, 4, 1), -EEXIST);
	cr_assert_eq(tls_key_conf_add_prefix(c, TLS_PREFIX_SESSION_ID, p, 4, 1), 0);
	for (int i = 0; ; i++) {
		uint8_t q[4] = {2, (uint8_t)i, (uint8_t)(i >> 8), 0};
		int r = tls_key_conf_add_prefix(c, TLS_PREFIX_TICKET, q, 4, 0);

		if (r == -ENOSPC)
			break;
		cr_assert_eq(r, 0);
		cr_assert_lt(i, 100000);
	}
	tls_key_conf_free(c);
	tls_key_conf_free(NULL);
	cr_assert_str_eq(tls_key_kind_str(TLS_KEY_TICKET), "ticket");
	cr_assert_str_eq(tls_key_kind_str((enum tls_key_kind)42), "none");
}

Test(key, longest_prefix_wins_and_kinds_are_respected)
{
	struct tls_key_conf *c = tls_key_conf_new();
	struct tls_client_hello ch;
	struct tls_key k[TLS_KEY_CANDIDATES];
	uint8_t ticket[300];

	memset(ticket, 0xab, sizeof(ticket));
	memset(&ch, 0, sizeof(ch));
	ch.has_ticket_ext = true;
	ch.ticket = ticket;
	ch.ticket_len = sizeof(ticket);
	cr_assert_eq(tls_key_conf_add_prefix(c, TLS_PREFIX_TICKET, ticket, 2, 1), 0);
	cr_assert_eq(tls_key_conf_add_prefix(c, TLS_PREFIX_TICKET, ticket, 16, 2), 0);
	cr_assert_eq(tls_key_conf_add_prefix(c, TLS_PREFIX_SESSION_ID, ticket, 20, 3), 0);
	cr_assert_eq(tls_key_derive(c, &ch, k, TLS_KEY_CANDIDATES), 1);
	cr_assert_eq(k[0].kind, TLS_KEY_TICKET);
	cr_assert_eq(k[0].backend, 2);
	cr_assert(k[0].truncated);
	cr_assert_eq(k[0].len, TLS_KEY_MAX);
	/* max bounds the output; max 0 writes nothing. */
	cr_assert_eq(tls_key_derive(c, &ch, NULL, 0), 0);
	cr_assert_eq(tls_key_derive(c, NULL, k, 1), -EINVAL);
	/* An unmatched ticket is no key. */
	ticket[0] = 0;
	cr_assert_eq(tls_key_derive(c, &ch, k, TLS_KEY_CANDIDATES), 0);
	tls_key_conf_free(c);
}

Test(key, learn_only_tls12_session_ids)
{
	struct tls_server_stream s;
	struct tls_key k;

	memset(&s, 0, sizeof(s));
	cr_assert_eq(tls_key_learn(&s, &k), 0);
	s.seen_hello = true;
	s.version = TLS_VERSION_1_2;
	cr_assert_eq(tls_key_learn(&s, &k), 0); /* empty ID */
	s.session_id_len = 8;
	memset(s.session_id, 7, 8);
	cr_assert_eq(tls_key_learn(&s, &k), 1);
	cr_assert_eq(k.kind, TLS_KEY_SESSION_ID);
	cr_assert_eq(k.len, 8);
	s.version = TLS_VERSION_1_3;
	cr_assert_eq(tls_key_learn(&s, &k), 0);
	cr_assert_eq(k.kind, TLS_KEY_NONE);
}

Test(server, reset_reuses_parsers)
{
	struct tls_srv *sp = tls_srv_new(0);
	struct tls_ch *cp = tls_ch_new(0);

	/* A rejected stream, then a good one on the same objects. */
	cr_assert_eq(tls_srv_feed(sp, "\x15\x03\x03\x00\x02\x02\x28", 7), -EBADMSG);
	cr_assert_eq(tls_ch_feed(cp, "SSH-2.0-x\r\n", 11), -EPROTONOSUPPORT);
	tls_srv_reset(sp);
	tls_ch_reset(cp);
	cr_assert_eq(tls_srv_reason(sp), TLS_R_NONE);
	cr_assert_eq(tls_ch_reason(cp), TLS_R_NONE);
	cr_assert_eq(tls_srv_offset(sp), 0);

	reset();
	sh(NULL, 4, NULL);
	bb_put(&S, CCS, 6);
	cr_assert_eq(tls_srv_set_offered(sp, (const uint8_t *)"\x33\x33\x33\x33", 4), 0);
	cr_assert_eq(tls_srv_set_offered(sp, S.b, 33), -EINVAL);
	cr_assert_eq(tls_srv_feed(sp, S.b, S.n), TLS_DONE);
	cr_assert(tls_srv_result(sp)->resumed);
	cr_assert_eq(tls_srv_eof(sp), TLS_DONE);
	/* After DONE more bytes are ignored, not parsed. */
	cr_assert_eq(tls_srv_feed(sp, "\xff\xff", 2), TLS_DONE);

	reset();
	bb_hello_body(&B, 0, NULL);
	bb_hs(&X, 1, &B);
	bb_records(&S, 22, 0x0301, X.b, X.n, 16384);
	cr_assert_eq(tls_ch_feed(cp, S.b, S.n), TLS_DONE);
	cr_assert_not_null(tls_ch_result(cp));
	tls_ch_reset(cp);
	cr_assert_null(tls_ch_result(cp));
	tls_srv_free(sp);
	tls_ch_free(cp);
	tls_srv_free(NULL);
	tls_ch_free(NULL);
}

Test(key, prefix_from_hex)
{
	uint8_t b[TLS_PREFIX_MAX + 4];
	char hex[2 * (TLS_PREFIX_MAX + 1) + 1];

	cr_assert_eq(tls_prefix_from_hex("5b01C0de", b, sizeof(b)), 4);
	cr_assert_arr_eq(b, "\x5b\x01\xc0\xde", 4);
	cr_assert_eq(tls_prefix_from_hex("", b, sizeof(b)), -EINVAL);
	cr_assert_eq(tls_prefix_from_hex(NULL, b, sizeof(b)), -EINVAL);
	cr_assert_eq(tls_prefix_from_hex("abc", b, sizeof(b)), -EINVAL);
	cr_assert_eq(tls_prefix_from_hex("zz", b, sizeof(b)), -EINVAL);
	cr_assert_eq(tls_prefix_from_hex("0g", b, sizeof(b)), -EINVAL);
	cr_assert_eq(tls_prefix_from_hex("aabb", b, 1), -EINVAL);
	memset(hex, 'a', sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = '\0';
	cr_assert_eq(tls_prefix_from_hex(hex, b, sizeof(b)), -EINVAL);
	hex[2 * TLS_PREFIX_MAX] = '\0';
	cr_assert_eq(tls_prefix_from_hex(hex, b, sizeof(b)), TLS_PREFIX_MAX);
}

Test(key, ticket_key_name_lengths)
{
	uint8_t f[80], name[16];

	for (size_t i = 0; i < sizeof(f); i++)
		f[i] = (uint8_t)i;
	cr_assert_eq(tls_ticket_key_name(f, 80, name), 0);
	cr_assert_arr_eq(name, f, 16);
	cr_assert_eq(tls_ticket_key_name(f, 48, name), 0);
	cr_assert_eq(tls_ticket_key_name(f, 47, name), -EINVAL);
	cr_assert_eq(tls_ticket_key_name(f, 81, name), -EINVAL);
	cr_assert_eq(tls_ticket_key_name(NULL, 80, name), -EINVAL);
}
