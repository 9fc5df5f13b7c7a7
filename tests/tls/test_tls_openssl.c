/* The parsers against real OpenSSL handshakes (gen.c: libssl client and
 * server joined by memory BIOs, bytes recorded per direction). Every
 * stream is fed whole, in 1-byte pieces and in random splits, and every
 * field is compared with what OpenSSL itself reports. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <splicekit/tls.h>

#include "feed.h"
#include "gen.h"

static const uint8_t alpn_wire[] = "\x02h2\x08http/1.1";
#define ALPN_LEN (sizeof(alpn_wire) - 1)
static const uint8_t tkey_name[16] = {'s', 'p', 'l', 'i', 'c', 'e', 'k', 'i',
				      't', '-', 't', 'k', 'e', 'y', '0', '1'};
static const uint8_t sid_pfx[4] = {0x5b, 0x01, 0xc0, 0xde};

#define NSPLITS 10
static enum split split_mode(int i)
{
	return i == 0 ? SPLIT_WHOLE : i == 1 ? SPLIT_ONE : SPLIT_RANDOM;
}

static int ch_feed(void *p, const void *b, size_t n)
{
	return tls_ch_feed(p, b, n);
}

static int srv_feed(void *p, const void *b, size_t n)
{
	return tls_srv_feed(p, b, n);
}

/* Parses the client stream of r with split i; the caller frees *pp. */
static const struct tls_client_hello *parse_ch(struct tls_ch **pp,
					       const struct gen_run *r, int i)
{
	struct tls_ch *p = tls_ch_new(0);
	int rc;

	cr_assert_not_null(p);
	rc = feed_split(ch_feed, p, r->c2s, r->c2s_len, split_mode(i), (unsigned)i);
	cr_assert_eq(rc, TLS_DONE, "split %d: feed returned %d (%s)", i, rc,
		     tls_reason_str(tls_ch_reason(p)));
	cr_assert_eq(tls_ch_eof(p), TLS_DONE);
	*pp = p;
	return tls_ch_result(p);
}

static const struct tls_server_stream *parse_srv(struct tls_srv **pp,
						 const struct gen_run *r, int i,
						 const struct tls_client_hello *ch)
{
	struct tls_srv *p = tls_srv_new(0);
	int rc;

	cr_assert_not_null(p);
	if (ch)
		cr_assert_eq(tls_srv_set_offered(p, ch->session_id, ch->session_id_len), 0);
	rc = feed_split(srv_feed, p, r->s2c, r->s2c_len, split_mode(i), (unsigned)i + 100);
	cr_assert_eq(rc, TLS_DONE, "split %d: feed returned %d (%s)", i, rc,
		     tls_reason_str(tls_srv_reason(p)));
	cr_assert(tls_srv_result(p)->encrypted);
	/* Stopped at the first record that is not plaintext handshake. */
	cr_assert_lt(tls_srv_offset(p), r->s2c_len);
	*pp = p;
	return tls_srv_result(p);
}

/* Fields every hello from gen_handshake shares. */
static void check_ch_common(const struct tls_client_hello *ch,
			    const struct gen_run *r, const char *sni)
{
	const uint8_t *name;
	size_t len;

	cr_assert_eq(ch->record_version, TLS_VERSION_1_0);
	cr_assert_eq(ch->client_version, TLS_VERSION_1_2);
	cr_assert_arr_eq(ch->random, r->client_random, 32);
	cr_assert_eq(ch->hs_len, (size_t)r->c2s[6] << 16 | (size_t)r->c2s[7] << 8 | r->c2s[8]);
	cr_assert(ch->has_sni);
	cr_assert_str_eq(ch->sni, sni);
	cr_assert_eq(ch->sni_len, strlen(sni));
	/* On a TLS 1.2 resumption OpenSSL's server reports the name stored
	 * in the session, which it keeps empty; compare fresh ones only. */
	if (!(r->reused && r->version == TLS1_2_VERSION))
		cr_assert_str_eq(r->sni_seen, sni);
	cr_assert(ch->has_alpn);
	cr_assert_eq(ch->alpn_count, 2);
	cr_assert_eq(ch->alpn_len, ALPN_LEN);
	cr_assert_eq(tls_ch_alpn(ch, 0, &name, &len), 0);
	cr_assert_eq(len, 2);
	cr_assert_arr_eq(name, "h2", 2);
	cr_assert_eq(tls_ch_alpn(ch, 1, &name, &len), 0);
	cr_assert_eq(len, 8);
	cr_assert_arr_eq(name, "http/1.1", 8);
	cr_assert_eq(tls_ch_alpn(ch, 2, &name, &len), -ENOENT);
	cr_assert_str_eq(r->alpn_selected, "h2");
	cr_assert_gt(ch->cipher_suites_len, 0);
	cr_assert_eq(ch->cipher_suites_len % 2, 0);
}

static void check_srv_common(const struct tls_server_stream *s,
			     const struct gen_run *r, uint16_t version)
{
	cr_assert(s->seen_hello);
	cr_assert_eq(s->version, version);
	cr_assert_eq(s->legacy_version, TLS_VERSION_1_2);
	cr_assert_arr_eq(s->random, r->server_random, 32);
	cr_assert_eq(s->cipher_suite, r->cipher);
}

static void handshake(struct gen_ctx *g, SSL_SESSION *resume, const char *sni,
		      struct gen_run *r)
{
	cr_assert_eq(gen_handshake(g, sni, alpn_wire, ALPN_LEN, resume, r), 0,
		     "OpenSSL handshake failed");
}

Test(openssl, tls12_full)
{
	struct gen_opts o = {.max_version = TLS1_2_VERSION, .no_tickets = true};
	struct gen_ctx g;
	struct gen_run r;
	struct tls_key k;

	cr_assert_eq(gen_ctx_init(&g, &o), 0);
	handshake(&g, NULL, "www.example.com", &r);
	cr_assert_eq(r.version, TLS1_2_VERSION);
	for (int i = 0; i < NSPLITS; i++) {
		struct tls_ch *cp;
		struct tls_srv *sp;
		const struct tls_client_hello *ch = parse_ch(&cp, &r, i);
		const struct tls_server_stream *s;

		check_ch_common(ch, &r, "www.example.com");
		cr_assert_eq(ch->max_version, TLS_VERSION_1_2);
		cr_assert_not(ch->has_versions);
		cr_assert_eq(ch->session_id_len, 0);
		/* The client always asks for a ticket; the server declines. */
		cr_assert(ch->has_ticket_ext);
		cr_assert_eq(ch->ticket_len, 0);
		cr_assert_not(ch->has_psk);
		cr_assert_eq(ch->records, 1);
		cr_assert_eq(tls_key_derive(NULL, ch, &k, 1), 0);

		s = parse_srv(&sp, &r, i, ch);
		check_srv_common(s, &r, TLS_VERSION_1_2);
		cr_assert_not(s->seen_hrr);
		cr_assert_eq(s->session_id_len, r.server_sid_len);
		cr_assert_eq(s->session_id_len, 32);
		cr_assert_arr_eq(s->session_id, r.server_sid, 32);
		cr_assert_not(s->resumed);
		cr_assert_not(s->has_ticket);
		cr_assert_not(s->psk_accepted);
		cr_assert_eq(tls_key_learn(s, &k), 1);
		cr_assert_eq(k.kind, TLS_KEY_SESSION_ID);
		cr_assert_eq(k.len, 32);
		cr_assert_arr_eq(k.bytes, r.server_sid, 32);
		tls_ch_free(cp);
		tls_srv_free(sp);
	}
	gen_run_free(&r);
	gen_ctx_free(&g);
}

Test(openssl, tls12_session_id_resumption)
{
	struct gen_opts o = {.max_version = TLS1_2_VERSION, .no_tickets = true,
			     .sid_prefix = sid_pfx, .sid_prefix_len = sizeof(sid_pfx)};
	struct gen_ctx g;
	struct gen_run r1, r2;
	struct tls_key_conf *kc = tls_key_conf_new();
	struct tls_key k[TLS_KEY_CANDIDATES];

	cr_assert_not_null(kc);
	cr_assert_eq(tls_key_conf_add_prefix(kc, TLS_PREFIX_SESSION_ID, sid_pfx,
					     sizeof(sid_pfx), 3), 0);
	cr_assert_eq(gen_ctx_init(&g, &o), 0);
	handshake(&g, NULL, "a.example", &r1);
	handshake(&g, r1.session, "a.example", &r2);
	cr_assert(r2.reused, "OpenSSL did not resume");
	cr_assert_arr_eq(r1.server_sid, sid_pfx, sizeof(sid_pfx));

	for (int i = 0; i < NSPLITS; i++) {
		struct tls_ch *cp;
		struct tls_srv *sp;
		const struct tls_client_hello *ch = parse_ch(&cp, &r2, i);
		const struct tls_server_stream *s;

		check_ch_common(ch, &r2, "a.example");
		cr_assert_eq(ch->session_id_len, r1.server_sid_len);
		cr_assert_arr_eq(ch->session_id, r1.server_sid, r1.server_sid_len);

		/* Without configuration: a table lookup on the session ID. */
		cr_assert_eq(tls_key_derive(NULL, ch, k, TLS_KEY_CANDIDATES), 1);
		cr_assert_eq(k[0].kind, TLS_KEY_SESSION_ID);
		cr_assert_eq(k[0].backend, -1);
		cr_assert_arr_eq(k[0].bytes, r1.server_sid, 32);
		/* With the backend's prefix: routed straight to it. */
		cr_assert_eq(tls_key_derive(kc, ch, k, TLS_KEY_CANDIDATES), 1);
		cr_assert_eq(k[0].kind, TLS_KEY_SESSION_ID);
		cr_assert_eq(k[0].backend, 3);

		s = parse_srv(&sp, &r2, i, ch);
		check_srv_common(s, &r2, TLS_VERSION_1_2);
		cr_assert_arr_eq(s->session_id, r1.server_sid, 32);
		cr_assert(s->resumed);
		cr_assert_not(s->has_ticket);
		tls_ch_free(cp);
		tls_srv_free(sp);

		/* Abbreviated flow alone (no offered ID given) also says so. */
		sp = tls_srv_new(0);
		cr_assert_eq(tls_srv_feed(sp, r2.s2c, r2.s2c_len), TLS_DONE);
		cr_assert(tls_srv_result(sp)->resumed);
		tls_srv_free(sp);
	}
	/* The full handshake's server stream is not a resumption. */
	{
		struct tls_srv *sp = tls_srv_new(0);

		cr_assert_eq(tls_srv_feed(sp, r1.s2c, r1.s2c_len), TLS_DONE);
		cr_assert_not(tls_srv_result(sp)->resumed);
		tls_srv_free(sp);
	}
	tls_key_conf_free(kc);
	gen_run_free(&r1);
	gen_run_free(&r2);
	gen_ctx_free(&g);
}

Test(openssl, tls12_ticket_resumption)
{
	struct gen_opts o = {.max_version = TLS1_2_VERSION, .ticket_name = tkey_name};
	struct gen_ctx g;
	struct gen_run r1, r2;
	struct tls_key_conf *kc = tls_key_conf_new();
	struct tls_key k[TLS_KEY_CANDIDATES];
	uint8_t ticket[4096];
	size_t ticket_len = 0;

	cr_assert_eq(tls_key_conf_add_prefix(kc, TLS_PREFIX_TICKET, tkey_name, 16, 7), 0);
	cr_assert_eq(gen_ctx_init(&g, &o), 0);
	handshake(&g, NULL, "t.example", &r1);
	handshake(&g, r1.session, "t.example", &r2);
	cr_assert(r2.reused, "OpenSSL did not resume");

	for (int i = 0; i < NSPLITS; i++) {
		struct tls_srv *sp;
		const struct tls_server_stream *s = parse_srv(&sp, &r1, i, NULL);
		const unsigned char *t;
		size_t tl;

		check_srv_common(s, &r1, TLS_VERSION_1_2);
		cr_assert_not(s->resumed);
		cr_assert(s->has_ticket);
		SSL_SESSION_get0_ticket(r1.session, &t, &tl);
		cr_assert_eq(s->ticket_len, tl);
		cr_assert_arr_eq(s->ticket, t, tl);
		cr_assert_eq(s->ticket_lifetime,
			     SSL_SESSION_get_ticket_lifetime_hint(r1.session));
		/* RFC 5077 §4: the ticket starts with the key_name. */
		cr_assert_arr_eq(s->ticket, tkey_name, 16);
		cr_assert_lt(tl, sizeof(ticket));
		memcpy(ticket, t, tl);
		ticket_len = tl;
		tls_srv_free(sp);
	}

	for (int i = 0; i < NSPLITS; i++) {
		struct tls_ch *cp;
		struct tls_srv *sp;
		const struct tls_client_hello *ch = parse_ch(&cp, &r2, i);
		const struct tls_server_stream *s;

		check_ch_common(ch, &r2, "t.example");
		cr_assert(ch->has_ticket_ext);
		cr_assert_eq(ch->ticket_len, ticket_len);
		cr_assert_arr_eq(ch->ticket, ticket, ticket_len);
		/* Ticket first (by key_name), then the session ID OpenSSL
		 * sends along with a ticket. */
		cr_assert_eq(tls_key_derive(kc, ch, k, TLS_KEY_CANDIDATES), 2);
		cr_assert_eq(k[0].kind, TLS_KEY_TICKET);
		cr_assert_eq(k[0].backend, 7);
		cr_assert_eq(k[0].len, ticket_len);
		cr_assert_eq(k[1].kind, TLS_KEY_SESSION_ID);
		cr_assert_eq(k[1].backend, -1);

		s = parse_srv(&sp, &r2, i, ch);
		check_srv_common(s, &r2, TLS_VERSION_1_2);
		cr_assert(s->resumed);
		tls_ch_free(cp);
		tls_srv_free(sp);
	}
	tls_key_conf_free(kc);
	gen_run_free(&r1);
	gen_run_free(&r2);
	gen_ctx_free(&g);
}

Test(openssl, tls13_full)
{
	struct gen_opts o = {.max_version = TLS1_3_VERSION};
	struct gen_ctx g;
	struct gen_run r;
	struct tls_key k[TLS_KEY_CANDIDATES];
	struct tls_key_conf *kc = tls_key_conf_new();

	tls_key_conf_set_sni(kc, true);
	cr_assert_eq(gen_ctx_init(&g, &o), 0);
	handshake(&g, NULL, "WWW.Example.ORG", &r);
	cr_assert_eq(r.version, TLS1_3_VERSION);
	for (int i = 0; i < NSPLITS; i++) {
		struct tls_ch *cp;
		struct tls_srv *sp;
		const struct tls_client_hello *ch = parse_ch(&cp, &r, i);
		const struct tls_server_stream *s;

		/* OpenSSL's server saw the name as sent; keys use lower case. */
		cr_assert_str_eq(r.sni_seen, "WWW.Example.ORG");
		strcpy(r.sni_seen, "www.example.org");
		check_ch_common(ch, &r, "www.example.org");
		strcpy(r.sni_seen, "WWW.Example.ORG");
		cr_assert(ch->has_versions);
		cr_assert_eq(ch->max_version, TLS_VERSION_1_3);
		cr_assert(tls_ch_offers(ch, TLS_VERSION_1_3));
		cr_assert(tls_ch_offers(ch, TLS_VERSION_1_2));
		cr_assert_not(tls_ch_offers(ch, 0x7f1c));
		/* Middlebox compatibility: a random 32-byte legacy ID. */
		cr_assert_eq(ch->session_id_len, 32);
		cr_assert_not(ch->has_psk);

		/* The ID may be looked up (it only misses) but SNI follows. */
		cr_assert_eq(tls_key_derive(kc, ch, k, TLS_KEY_CANDIDATES), 2);
		cr_assert_eq(k[0].kind, TLS_KEY_SESSION_ID);
		cr_assert_eq(k[1].kind, TLS_KEY_SNI);
		cr_assert_eq(k[1].len, strlen("www.example.org"));
		cr_assert_arr_eq(k[1].bytes, "www.example.org", k[1].len);

		s = parse_srv(&sp, &r, i, ch);
		check_srv_common(s, &r, TLS_VERSION_1_3);
		/* The server echoes the client's random ID ... */
		cr_assert_eq(s->session_id_len, 32);
		cr_assert_arr_eq(s->session_id, ch->session_id, 32);
		cr_assert_not(s->resumed);
		cr_assert_not(s->psk_accepted);
		cr_assert_not(s->has_ticket);
		/* ... which must never be learned. */
		cr_assert_eq(tls_key_learn(s, &k[0]), 0);
		cr_assert_eq(k[0].kind, TLS_KEY_NONE);
		tls_ch_free(cp);
		tls_srv_free(sp);
	}
	tls_key_conf_free(kc);
	gen_run_free(&r);
	gen_ctx_free(&g);
}

Test(openssl, tls13_only_client_session_id_is_never_a_key)
{
	struct gen_opts o = {.max_version = TLS1_3_VERSION,
			     .client_min_version = TLS1_3_VERSION};
	struct gen_ctx g;
	struct gen_run r;
	struct tls_key k;
	struct tls_ch *cp;
	const struct tls_client_hello *ch;

	cr_assert_eq(gen_ctx_init(&g, &o), 0);
	handshake(&g, NULL, "only13.example", &r);
	ch = parse_ch(&cp, &r, 0);
	cr_assert_eq(ch->session_id_len, 32);
	cr_assert_not(tls_ch_offers(ch, TLS_VERSION_1_2));
	cr_assert_eq(tls_key_derive(NULL, ch, &k, 1), 0);
	tls_ch_free(cp);
	gen_run_free(&r);
	gen_ctx_free(&g);
}

static void psk_resumption(const struct gen_opts *o, enum tls_prefix_kind kind,
			   const uint8_t *pfx, size_t pfx_len)
{
	struct gen_ctx g;
	struct gen_run r1, r2;
	struct tls_key_conf *kc = tls_key_conf_new();
	struct tls_key k[TLS_KEY_CANDIDATES];

	cr_assert_eq(tls_key_conf_add_prefix(kc, kind, pfx, pfx_len, 5), 0);
	tls_key_conf_set_sni(kc, true);
	cr_assert_eq(gen_ctx_init(&g, o), 0);
	handshake(&g, NULL, "psk.example", &r1);
	cr_assert(SSL_SESSION_is_resumable(r1.session), "no TLS 1.3 ticket");
	handshake(&g, r1.session, "psk.example", &r2);
	cr_assert(r2.reused, "OpenSSL did not resume");

	for (int i = 0; i < NSPLITS; i++) {
		struct tls_ch *cp;
		struct tls_srv *sp;
		const struct tls_client_hello *ch = parse_ch(&cp, &r2, i);
		const struct tls_server_stream *s;
		const uint8_t *id;
		size_t len;
		uint32_t age;

		check_ch_common(ch, &r2, "psk.example");
		cr_assert(ch->has_psk);
		cr_assert_eq(ch->psk_count, 1);
		cr_assert_eq(tls_ch_psk_identity(ch, 0, &id, &len, &age), 0);
		cr_assert_geq(len, pfx_len);
		cr_assert_arr_eq(id, pfx, pfx_len);
		cr_assert_eq(tls_ch_psk_identity(ch, 1, &id, &len, NULL), -ENOENT);
		/* PSK first; the legacy ID is skipped; SNI last. */
		cr_assert_eq(tls_key_derive(kc, ch, k, TLS_KEY_CANDIDATES), 2);
		cr_assert_eq(k[0].kind, TLS_KEY_PSK);
		cr_assert_eq(k[0].backend, 5);
		cr_assert_arr_eq(k[0].bytes, pfx, pfx_len);
		cr_assert_eq(k[1].kind, TLS_KEY_SNI);

		s = parse_srv(&sp, &r2, i, ch);
		check_srv_common(s, &r2, TLS_VERSION_1_3);
		cr_assert(s->psk_accepted);
		cr_assert_eq(s->psk_selected, 0);
		cr_assert(s->resumed);
		cr_assert_eq(tls_key_learn(s, &k[0]), 0);
		tls_ch_free(cp);
		tls_srv_free(sp);
	}
	tls_key_conf_free(kc);
	gen_run_free(&r1);
	gen_run_free(&r2);
	gen_ctx_free(&g);
}

Test(openssl, tls13_psk_resumption_stateless_ticket)
{
	struct gen_opts o = {.max_version = TLS1_3_VERSION, .ticket_name = tkey_name};

	psk_resumption(&o, TLS_PREFIX_TICKET, tkey_name, 16);
}

Test(openssl, tls13_psk_resumption_stateful_session_id_prefix)
{
	/* SSL_OP_NO_TICKET in TLS 1.3 makes OpenSSL issue stateful tickets
	 * whose PSK identity is the (prefixed) session ID. */
	struct gen_opts o = {.max_version = TLS1_3_VERSION, .no_tickets = true,
			     .sid_prefix = sid_pfx, .sid_prefix_len = sizeof(sid_pfx)};

	psk_resumption(&o, TLS_PREFIX_SESSION_ID, sid_pfx, sizeof(sid_pfx));
}

Test(openssl, tls13_hello_retry_request)
{
	struct gen_opts o = {.max_version = TLS1_3_VERSION,
			     .server_groups = "P-256",
			     .client_groups = "X25519:P-256"};
	struct gen_ctx g;
	struct gen_run r;

	cr_assert_eq(gen_ctx_init(&g, &o), 0);
	handshake(&g, NULL, "hrr.example", &r);
	for (int i = 0; i < NSPLITS; i++) {
		struct tls_ch *cp;
		struct tls_srv *sp;
		const struct tls_client_hello *ch = parse_ch(&cp, &r, i);
		const struct tls_server_stream *s;

		/* The first hello is what the dispatcher routes on. */
		cr_assert_eq(ch->max_version, TLS_VERSION_1_3);
		s = parse_srv(&sp, &r, i, ch);
		cr_assert(s->seen_hrr);
		check_srv_common(s, &r, TLS_VERSION_1_3);
		tls_ch_free(cp);
		tls_srv_free(sp);
	}
	gen_run_free(&r);
	gen_ctx_free(&g);
}

Test(openssl, hello_across_records)
{
	/* A long ALPN list makes the hello larger than OpenSSL's smallest
	 * record size, so OpenSSL itself splits it. */
	uint8_t alpn[600];
	size_t n = 0;
	struct gen_opts o = {.max_version = TLS1_3_VERSION,
			     .client_max_fragment = 512};
	struct gen_ctx g;
	struct gen_run r;

	while (n + 21 <= sizeof(alpn)) {
		alpn[n] = 20;
		memset(alpn + n + 1, 'a' + (int)(n % 26), 20);
		n += 21;
	}
	cr_assert_eq(gen_ctx_init(&g, &o), 0);
	/* The server does not select any of these names: fine. */
	cr_assert_eq(gen_handshake(&g, "big.example", alpn, n, NULL, &r), 0);
	for (int i = 0; i < NSPLITS; i++) {
		struct tls_ch *cp;
		const struct tls_client_hello *ch = parse_ch(&cp, &r, i);

		cr_assert_geq(ch->records, 2, "OpenSSL did not split the hello");
		cr_assert_eq(ch->alpn_count, n / 21);
		cr_assert_str_eq(ch->sni, "big.example");
		cr_assert_arr_eq(ch->random, r.client_random, 32);
		tls_ch_free(cp);
	}
	/* Re-framed into records of 1..9 handshake bytes: headers and
	 * fields straddle records. */
	for (size_t frag = 1; frag <= 9; frag++) {
		size_t len;
		uint8_t *b = refragment(r.c2s, r.c2s_len, frag, &len);
		struct tls_ch *cp = tls_ch_new(0);

		cr_assert_not_null(b);
		cr_assert_eq(feed_split(ch_feed, cp, b, len, SPLIT_RANDOM, (unsigned)frag),
			     TLS_DONE, "frag %zu: %s", frag,
			     tls_reason_str(tls_ch_reason(cp)));
		cr_assert_eq(tls_ch_result(cp)->alpn_count, n / 21);
		cr_assert_arr_eq(tls_ch_result(cp)->random, r.client_random, 32);
		cr_assert_eq(tls_ch_offset(cp), len);
		free(b);
		tls_ch_free(cp);
	}
	gen_run_free(&r);
	gen_ctx_free(&g);
}

Test(openssl, hello_above_limit_is_refused_at_its_header)
{
	uint8_t alpn[600];
	size_t n = 0;
	struct gen_opts o = {.max_version = TLS1_3_VERSION};
	struct gen_ctx g;
	struct gen_run r;
	struct tls_ch *cp = tls_ch_new(TLS_LIMIT_MIN);

	while (n + 21 <= sizeof(alpn)) {
		alpn[n] = 20;
		memset(alpn + n + 1, 'x', 20);
		n += 21;
	}
	cr_assert_eq(gen_ctx_init(&g, &o), 0);
	cr_assert_eq(gen_handshake(&g, "big.example", alpn, n, NULL, &r), 0);
	cr_assert_eq(feed_split(ch_feed, cp, r.c2s, r.c2s_len, SPLIT_ONE, 0), -EMSGSIZE);
	cr_assert_eq(tls_ch_reason(cp), TLS_R_TOO_BIG);
	/* Decided on the 4-byte handshake header, nothing buffered. */
	cr_assert_eq(tls_ch_offset(cp), 9);
	cr_assert_null(tls_ch_result(cp));
	tls_ch_free(cp);
	gen_run_free(&r);
	gen_ctx_free(&g);
}

Test(openssl, every_two_piece_split)
{
	/* Cut each stream at every offset: each record and handshake header
	 * field is split somewhere. */
	struct gen_opts o = {.max_version = TLS1_3_VERSION, .ticket_name = tkey_name};
	struct gen_ctx g;
	struct gen_run r1, r2;

	cr_assert_eq(gen_ctx_init(&g, &o), 0);
	handshake(&g, NULL, "cut.example", &r1);
	handshake(&g, r1.session, "cut.example", &r2);
	for (size_t cut = 1; cut < r2.c2s_len; cut++) {
		struct tls_ch *p = tls_ch_new(0);
		int rc = tls_ch_feed(p, r2.c2s, cut);

		if (rc == TLS_MORE)
			rc = tls_ch_feed(p, r2.c2s + cut, r2.c2s_len - cut);
		cr_assert_eq(rc, TLS_DONE, "cut %zu", cut);
		cr_assert(tls_ch_result(p)->has_psk);
		cr_assert_arr_eq(tls_ch_result(p)->random, r2.client_random, 32);
		tls_ch_free(p);
	}
	for (size_t cut = 1; cut < r1.s2c_len; cut++) {
		struct tls_srv *p = tls_srv_new(0);
		int rc = tls_srv_feed(p, r1.s2c, cut);

		if (rc == TLS_MORE)
			rc = tls_srv_feed(p, r1.s2c + cut, r1.s2c_len - cut);
		cr_assert_eq(rc, TLS_DONE, "cut %zu", cut);
		cr_assert_arr_eq(tls_srv_result(p)->random, r1.server_random, 32);
		tls_srv_free(p);
	}
	gen_run_free(&r1);
	gen_run_free(&r2);
	gen_ctx_free(&g);
}
