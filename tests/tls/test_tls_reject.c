/* One test per rejection reason (and the edge cases next to it), on
 * hand-built handshakes that differ from a valid one in one field. Every
 * case is fed whole and in 1-byte pieces and must give the same verdict.
 * Hand-built because OpenSSL will not emit malformed hellos. */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include <splicekit/tls.h>

#include "build.h"

static struct bb S, B, E, X; /* stream, body, extensions, scratch */

static void reset(void)
{
	S.n = B.n = E.n = X.n = 0;
}

/* S = one record holding a ClientHello with extensions E (or none). */
static void ch_stream(unsigned sid_len, bool with_exts)
{
	struct bb *hs = &X;

	B.n = 0;
	bb_hello_body(&B, sid_len, with_exts ? &E : NULL);
	hs->n = 0;
	bb_hs(hs, 1, &B);
	S.n = 0;
	bb_records(&S, 22, 0x0301, hs->b, hs->n, 16384);
}

/* Runs S through a fresh parser whole and byte by byte (then eof if it
 * still wants more) and checks both verdicts. */
static void expect_ch(int err, enum tls_reason why)
{
	for (int mode = 0; mode < 2; mode++) {
		struct tls_ch *p = tls_ch_new(0);
		int rc = 0;

		cr_assert_not_null(p);
		if (mode == 0)
			rc = tls_ch_feed(p, S.b, S.n);
		else
			for (size_t i = 0; i < S.n && rc == 0; i++)
				rc = tls_ch_feed(p, S.b + i, 1);
		if (rc == 0)
			rc = tls_ch_eof(p);
		cr_assert_eq(rc, err, "mode %d: rc %d, want %d (%s)", mode, rc,
			     err, tls_reason_str(tls_ch_reason(p)));
		cr_assert_eq(tls_ch_reason(p), why, "mode %d: reason '%s', want '%s'",
			     mode, tls_reason_str(tls_ch_reason(p)),
			     tls_reason_str(why));
		if (err < 0) {
			/* Rejection is final. */
			cr_assert_null(tls_ch_result(p));
			cr_assert_eq(tls_ch_feed(p, S.b, S.n), err);
		}
		tls_ch_free(p);
	}
}

static void expect_bad(enum tls_reason why)
{
	expect_ch(-EBADMSG, why);
}

/* ---- baseline: the valid hellos the malformed ones are made from ---- */

Test(reject, valid_baseline_hello_is_accepted)
{
	static const uint8_t sni[] = {0, 14, 0, 0, 11, 'E', 'x', 'a', 'm', 'p',
				      'l', 'e', '.', 'O', 'r', 'g'};
	struct tls_ch *p = tls_ch_new(0);
	const struct tls_client_hello *ch;

	reset();
	bb_ext(&E, 0, sni, sizeof(sni));
	bb_ext(&E, 0x0a0a, NULL, 0); /* GREASE extension, empty */
	ch_stream(0, true);
	cr_assert_eq(tls_ch_feed(p, S.b, S.n), TLS_DONE);
	ch = tls_ch_result(p);
	cr_assert_str_eq(ch->sni, "example.org");
	cr_assert_eq(ch->ext_count, 2);
	cr_assert_eq(ch->records, 1);
	cr_assert_eq(ch->record_version, 0x0301);
	tls_ch_free(p);
}

Test(reject, hello_without_extensions_is_accepted)
{
	struct tls_ch *p = tls_ch_new(0);

	reset();
	ch_stream(32, false);
	cr_assert_eq(tls_ch_feed(p, S.b, S.n), TLS_DONE);
	cr_assert_eq(tls_ch_result(p)->ext_count, 0);
	cr_assert_eq(tls_ch_result(p)->session_id_len, 32);
	cr_assert_eq(tls_ch_result(p)->max_version, 0x0303);
	cr_assert(tls_ch_offers(tls_ch_result(p), TLS_VERSION_1_0));
	cr_assert_not(tls_ch_offers(tls_ch_result(p), TLS_VERSION_1_3));
	tls_ch_free(p);
}

Test(reject, bytes_after_the_hello_are_ignored)
{
	struct tls_ch *p = tls_ch_new(0);
	size_t n;

	reset();
	ch_stream(0, false);
	n = S.n;
	bb_put(&S, "\x14\x03\x03\x00\x01\x01garbage", 13);
	cr_assert_eq(tls_ch_feed(p, S.b, S.n), TLS_DONE);
	cr_assert_eq(tls_ch_offset(p), n);
	cr_assert_eq(tls_ch_feed(p, "x", 1), TLS_DONE);
	tls_ch_free(p);
}

/* ---- record layer ---- */

Test(reject, not_tls_http)
{
	struct tls_ch *p = tls_ch_new(0);

	cr_assert_eq(tls_ch_feed(p, "GET / HTTP/1.1\r\n", 16), -EPROTONOSUPPORT);
	cr_assert_eq(tls_ch_reason(p), TLS_R_NOT_TLS);
	/* Decided on the first byte: nothing is held back from plain
	 * balancing. */
	cr_assert_eq(tls_ch_offset(p), 1);
	tls_ch_free(p);
}

Test(reject, not_tls_bad_major_version)
{
	reset();
	bb_put(&S, "\x16\x02\x00\x00\x10", 5);
	expect_ch(-EPROTONOSUPPORT, TLS_R_NOT_TLS);
	/* SSLv2-compatible hello (high bit length form) is not TLS either. */
	reset();
	bb_put(&S, "\x80\x2e\x01\x03\x01", 5);
	expect_ch(-EPROTONOSUPPORT, TLS_R_NOT_TLS);
}

Test(reject, record_truncated)
{
	reset();
	ch_stream(0, false);
	S.n -= 3; /* cut inside the record */
	expect_bad(TLS_R_RECORD_TRUNCATED);
	reset();
	bb_put(&S, "\x16\x03\x01", 3); /* cut inside the header */
	expect_bad(TLS_R_RECORD_TRUNCATED);
	reset(); /* nothing at all */
	expect_bad(TLS_R_RECORD_TRUNCATED);
}

Test(reject, record_too_long)
{
	reset();
	bb_put(&S, "\x16\x03\x01", 3);
	bb_u16(&S, TLS_RECORD_MAX + 1);
	expect_bad(TLS_R_RECORD_TOO_LONG);
}

Test(reject, record_at_the_limit_is_accepted_framing)
{
	/* A hello of exactly TLS_RECORD_MAX record bytes in one record. */
	struct bb *hs = &X;
	struct tls_ch *p = tls_ch_new(TLS_LIMIT_DEFAULT * 2);
	uint8_t pad[TLS_RECORD_MAX];

	reset();
	memset(pad, 0, sizeof(pad));
	bb_ext(&E, 21, pad, TLS_RECORD_MAX - 4 - 45 - 4);
	B.n = 0;
	bb_hello_body(&B, 0, &E);
	bb_hs(hs, 1, &B);
	cr_assert_eq(hs->n, TLS_RECORD_MAX);
	bb_records(&S, 22, 0x0301, hs->b, hs->n, TLS_RECORD_MAX);
	cr_assert_eq(tls_ch_feed(p, S.b, S.n), TLS_DONE);
	tls_ch_free(p);
}

Test(reject, record_empty)
{
	reset();
	bb_put(&S, "\x16\x03\x01\x00\x00", 5);
	expect_bad(TLS_R_RECORD_EMPTY);
}

Test(reject, record_type_unknown)
{
	reset();
	ch_stream(0, false);
	/* First 10 handshake bytes in one record, then a record of type 99. */
	memcpy(X.b, S.b + 5, S.n - 5);
	X.n = S.n - 5;
	S.n = 0;
	bb_records(&S, 22, 0x0301, X.b, 10, 10);
	bb_put(&S, "\x63\x03\x01\x00\x01\x00", 6);
	expect_bad(TLS_R_RECORD_TYPE);
}

Test(reject, record_version)
{
	reset();
	ch_stream(0, false);
	memcpy(X.b, S.b + 5, S.n - 5);
	X.n = S.n - 5;
	S.n = 0;
	bb_records(&S, 22, 0x0301, X.b, 10, 10);
	bb_records(&S, 22, 0x0401, X.b + 10, X.n - 10, 16384);
	expect_bad(TLS_R_RECORD_VERSION);
}

Test(reject, interleaved_alert)
{
	reset();
	ch_stream(0, false);
	memcpy(X.b, S.b + 5, S.n - 5);
	X.n = S.n - 5;
	S.n = 0;
	bb_records(&S, 22, 0x0301, X.b, 2, 2); /* half a handshake header */
	bb_put(&S, "\x15\x03\x01\x00\x02\x02\x28", 7);
	expect_bad(TLS_R_INTERLEAVED);
}

/* ---- handshake layer ---- */

Test(reject, hs_truncated)
{
	reset();
	ch_stream(0, false);
	/* The record ends cleanly but the message announced more. */
	memcpy(X.b, S.b + 5, S.n - 5);
	X.n = S.n - 5;
	S.n = 0;
	bb_records(&S, 22, 0x0301, X.b, X.n - 1, 16384);
	expect_bad(TLS_R_HS_TRUNCATED);
}

Test(reject, hs_type)
{
	reset();
	bb_hello_body(&B, 0, NULL);
	bb_hs(&X, 2, &B); /* a ServerHello sent by the client */
	bb_records(&S, 22, 0x0301, X.b, X.n, 16384);
	expect_bad(TLS_R_HS_TYPE);
}

Test(reject, hs_overrun)
{
	/* Handshake length says 20: the random alone does not fit. */
	reset();
	bb_put(&S, "\x16\x03\x01\x00\x18\x01\x00\x00\x14\x03\x03", 11);
	for (int i = 0; i < 18; i++)
		bb_u8(&S, 0);
	expect_bad(TLS_R_HS_OVERRUN);
	/* Extension block length beyond the message. */
	reset();
	bb_hello_body(&B, 0, NULL);
	bb_u16(&B, 10);
	bb_u16(&B, 0xff01);
	bb_hs(&X, 1, &B);
	bb_records(&S, 22, 0x0301, X.b, X.n, 16384);
	expect_bad(TLS_R_HS_OVERRUN);
	/* Cipher suite vector beyond the message. */
	reset();
	bb_u16(&B, 0x0303);
	bb_put(&B, X.b, 32);
	bb_u8(&B, 0);
	bb_u16(&B, 200);
	bb_u16(&B, 0x1301);
	X.n = 0;
	bb_hs(&X, 1, &B);
	bb_records(&S, 22, 0x0301, X.b, X.n, 16384);
	expect_bad(TLS_R_HS_OVERRUN);
}

Test(reject, hs_trailing)
{
	reset();
	bb_hello_body(&B, 0, &E); /* empty extension block */
	bb_u8(&B, 0xaa);
	bb_hs(&X, 1, &B);
	bb_records(&S, 22, 0x0301, X.b, X.n, 16384);
	expect_bad(TLS_R_HS_TRAILING);
}

Test(reject, too_big_synthetic)
{
	/* 64 KiB announced, 16 KiB limit: refused on the header. */
	reset();
	bb_put(&S, "\x16\x03\x01\x40\x00\x01\x01\x00\x00", 9);
	expect_ch(-EMSGSIZE, TLS_R_TOO_BIG);
}

Test(reject, limit_bounds)
{
	cr_assert_null(tls_ch_new(TLS_LIMIT_MIN - 1));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(tls_ch_new(TLS_LIMIT_MAX + 1));
	cr_assert_null(tls_srv_new(1));
}

/* ---- ClientHello fields ---- */

Test(reject, session_id_len)
{
	reset();
	ch_stream(33, false);
	expect_bad(TLS_R_SESSION_ID_LEN);
}

Test(reject, cipher_suites)
{
	for (int variant = 0; variant < 2; variant++) {
		reset();
		bb_u16(&B, 0x0303);
		bb_put(&B, S.b, 32);
		bb_u8(&B, 0);
		if (variant == 0) {
			bb_u16(&B, 0);
		} else {
			bb_u16(&B, 3);
			bb_put(&B, "\x13\x01\x13", 3);
		}
		bb_u8(&B, 1);
		bb_u8(&B, 0);
		bb_hs(&X, 1, &B);
		bb_records(&S, 22, 0x0301, X.b, X.n, 16384);
		expect_bad(TLS_R_CIPHER_SUITES);
	}
}

Test(reject, compression)
{
	reset();
	bb_u16(&B, 0x0303);
	bb_put(&B, S.b, 32);
	bb_u8(&B, 0);
	bb_u16(&B, 2);
	bb_u16(&B, 0x1301);
	bb_u8(&B, 0);
	bb_hs(&X, 1, &B);
	bb_records(&S, 22, 0x0301, X.b, X.n, 16384);
	expect_bad(TLS_R_COMPRESSION);
}

Test(reject, ext_overrun)
{
	reset();
	bb_u16(&E, 0xff01);
	bb_u16(&E, 5); /* says 5, has 2 */
	bb_u16(&E, 0);
	ch_stream(0, true);
	expect_bad(TLS_R_EXT_OVERRUN);
	reset();
	bb_ext(&E, 0xff01, NULL, 0);
	bb_put(&E, "\x00\x17\x00", 3); /* half an extension header */
	ch_stream(0, true);
	expect_bad(TLS_R_EXT_OVERRUN);
}

Test(reject, ext_duplicate)
{
	reset();
	bb_ext(&E, 0xff01, "\x00", 1);
	bb_ext(&E, 23, NULL, 0);
	bb_ext(&E, 0xff01, "\x00", 1);
	ch_stream(0, true);
	expect_bad(TLS_R_EXT_DUPLICATE);
}

static void psk_ext(struct bb *o, unsigned id_len, unsigned nbinders,
		    unsigned binder_len)
{
	size_t ext = bb_open(o, 0), l;
	uint8_t z[256];

	(void)ext;
	memset(z, 0x42, sizeof(z));
	bb_u16(o, 41);
	size_t el = bb_open(o, 2);
	l = bb_open(o, 2);
	bb_u16(o, id_len);
	bb_put(o, z, id_len);
	bb_u32(o, 1234);
	bb_close(o, l, 2);
	l = bb_open(o, 2);
	for (unsigned i = 0; i < nbinders; i++) {
		bb_u8(o, binder_len);
		bb_put(o, z, binder_len);
	}
	bb_close(o, l, 2);
	bb_close(o, el, 2);
}

Test(reject, psk_valid_is_parsed)
{
	struct tls_ch *p = tls_ch_new(0);
	const uint8_t *id;
	size_t len;
	uint32_t age;

	reset();
	bb_ext(&E, 43, "\x04\x03\x04\x03\x03", 5);
	psk_ext(&E, 20, 1, 32);
	ch_stream(32, true);
	cr_assert_eq(tls_ch_feed(p, S.b, S.n), TLS_DONE);
	cr_assert(tls_ch_result(p)->has_psk);
	cr_assert_eq(tls_ch_psk_identity(tls_ch_result(p), 0, &id, &len, &age), 0);
	cr_assert_eq(len, 20);
	cr_assert_eq(age, 1234);
	cr_assert_eq(id[0], 0x42);
	tls_ch_free(p);
}

Test(reject, psk_not_last)
{
	reset();
	psk_ext(&E, 20, 1, 32);
	bb_ext(&E, 0xff01, "\x00", 1);
	ch_stream(0, true);
	expect_bad(TLS_R_PSK_NOT_LAST);
}

Test(reject, psk_malformed)
{
	static const unsigned cases[][3] = {
		{0, 1, 32},  /* empty identity */
		{20, 0, 32}, /* no binder */
		{20, 2, 32}, /* more binders than identities */
		{20, 1, 31}, /* binder shorter than any hash */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reset();
		psk_ext(&E, cases[i][0], cases[i][1], cases[i][2]);
		ch_stream(0, true);
		expect_bad(TLS_R_PSK_MALFORMED);
	}
}

static void sni_case(const void *body, size_t len)
{
	reset();
	bb_ext(&E, 0, body, len);
	ch_stream(0, true);
	expect_bad(TLS_R_SNI_MALFORMED);
}

Test(reject, sni_malformed)
{
	sni_case("", 0);                                   /* no list */
	sni_case("\x00\x00", 2);                           /* empty list */
	sni_case("\x00\x03\x00\x00\x00", 5);               /* empty name */
	sni_case("\x00\x05\x00\x00\x02\x61\x00", 7);       /* NUL in name */
	sni_case("\x00\x05\x00\x00\x02\x61\x20", 7);       /* space */
	sni_case("\x00\x05\x00\x00\x02\x61\x2e", 7);       /* trailing dot */
	sni_case("\x00\x09\x00\x00\x01\x61\x00\x00\x01\x62", 10); /* two */
	sni_case("\x00\x05\x00\x00\x09\x61\x62", 7);       /* name overrun */
	sni_case("\x00\x04\x00\x00\x01\x61\xff", 7);       /* bytes after list */
}

Test(reject, sni_lower_cased_and_other_types_skipped)
{
	struct tls_ch *p = tls_ch_new(0);

	reset();
	/* An unknown name type (7) before the host name is skipped. */
	bb_ext(&E, 0, "\x00\x0b\x07\x00\x01\x7a\x00\x00\x04\x41\x2d\x5a\x39", 13);
	ch_stream(0, true);
	cr_assert_eq(tls_ch_feed(p, S.b, S.n), TLS_DONE);
	cr_assert_str_eq(tls_ch_result(p)->sni, "a-z9");
	tls_ch_free(p);
}

static void alpn_case(const void *body, size_t len)
{
	reset();
	bb_ext(&E, 16, body, len);
	ch_stream(0, true);
	expect_bad(TLS_R_ALPN_MALFORMED);
}

Test(reject, alpn_malformed)
{
	alpn_case("", 0);                         /* no list */
	alpn_case("\x00\x00", 2);                 /* empty list */
	alpn_case("\x00\x01\x00", 3);             /* empty name */
	alpn_case("\x00\x03\x05h2", 5);           /* name overrun */
	alpn_case("\x00\x03\x02h2\x00", 6);       /* bytes after list */
}

static void versions_case(const void *body, size_t len)
{
	reset();
	bb_ext(&E, 43, body, len);
	ch_stream(0, true);
	expect_bad(TLS_R_VERSIONS_MALFORMED);
}

Test(reject, versions_malformed)
{
	versions_case("", 0);
	versions_case("\x00", 1);                 /* empty list */
	versions_case("\x03\x03\x04\x03", 4);     /* odd length */
	versions_case("\x04\x03\x04", 3);         /* overrun */
	versions_case("\x02\x03\x04\x00", 4);     /* bytes after */
}

Test(reject, versions_grease_ignored)
{
	struct tls_ch *p = tls_ch_new(0);

	reset();
	bb_ext(&E, 43, "\x06\x7a\x7a\x03\x04\x03\x03", 7);
	ch_stream(0, true);
	cr_assert_eq(tls_ch_feed(p, S.b, S.n), TLS_DONE);
	cr_assert_eq(tls_ch_result(p)->max_version, TLS_VERSION_1_3);
	tls_ch_free(p);
}

Test(reject, reason_names_are_distinct)
{
	for (int i = 0; i < TLS_R_MAX; i++) {
		cr_assert_str_neq(tls_reason_str((enum tls_reason)i), "unknown");
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(tls_reason_str((enum tls_reason)i),
					  tls_reason_str((enum tls_reason)j));
	}
	cr_assert_str_eq(tls_reason_str(TLS_R_MAX), "unknown");
	cr_assert_str_eq(tls_reason_str((enum tls_reason)-1), "unknown");
}
