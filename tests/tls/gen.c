/* Real OpenSSL handshakes over memory BIOs; see gen.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "gen.h"

/* SSL_CTX_set_generate_session_id's callback has no user pointer. */
static uint8_t sid_prefix[32];
static size_t sid_prefix_len;

static int gen_sid(SSL *ssl, unsigned char *id, unsigned int *id_len)
{
	if (*id_len < sid_prefix_len)
		return 0;
	memcpy(id, sid_prefix, sid_prefix_len);
	if (RAND_bytes(id + sid_prefix_len, (int)(*id_len - sid_prefix_len)) != 1)
		return 0;
	return 1;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char mine[] = "\x02h2\x08http/1.1";

	if (SSL_select_next_proto((unsigned char **)out, outlen, mine,
				  sizeof(mine) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

static int make_cert(SSL_CTX *ctx)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	int ok = 0;

	if (!key || !x)
		goto cleanup;
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"splicekit-test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto cleanup;
	ok = SSL_CTX_use_certificate(ctx, x) == 1 &&
	     SSL_CTX_use_PrivateKey(ctx, key) == 1;
cleanup:
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

int gen_ctx_init(struct gen_ctx *g, const struct gen_opts *o)
{
	memset(g, 0, sizeof(*g));
	g->sctx = SSL_CTX_new(TLS_server_method());
	g->cctx = SSL_CTX_new(TLS_client_method());
	if (!g->sctx || !g->cctx || make_cert(g->sctx) < 0)
		goto fail;
	SSL_CTX_set_max_proto_version(g->sctx, o->max_version);
	SSL_CTX_set_max_proto_version(g->cctx, o->max_version);
	if (o->client_min_version)
		SSL_CTX_set_min_proto_version(g->cctx, o->client_min_version);
	SSL_CTX_set_session_id_context(g->sctx, (const unsigned char *)"sk", 2);
	SSL_CTX_set_alpn_select_cb(g->sctx, alpn_select, NULL);
	if (o->no_tickets)
		SSL_CTX_set_options(g->sctx, SSL_OP_NO_TICKET);
	if (o->ticket_name) {
		unsigned char keys[80];

		memcpy(keys, o->ticket_name, 16);
		if (RAND_bytes(keys + 16, 64) != 1 ||
		    SSL_CTX_set_tlsext_ticket_keys(g->sctx, keys, sizeof(keys)) != 1)
			goto fail;
	}
	if (o->sid_prefix_len) {
		memcpy(sid_prefix, o->sid_prefix, o->sid_prefix_len);
		sid_prefix_len = o->sid_prefix_len;
		SSL_CTX_set_generate_session_id(g->sctx, gen_sid);
	}
	if (o->server_groups && SSL_CTX_set1_groups_list(g->sctx, o->server_groups) != 1)
		goto fail;
	if (o->client_groups && SSL_CTX_set1_groups_list(g->cctx, o->client_groups) != 1)
		goto fail;
	if (o->client_max_fragment &&
	    SSL_CTX_set_max_send_fragment(g->cctx, (long)o->client_max_fragment) != 1)
		goto fail;
	SSL_CTX_set_verify(g->cctx, SSL_VERIFY_NONE, NULL);
	return 0;
fail:
	ERR_print_errors_fp(stderr);
	gen_ctx_free(g);
	return -1;
}

void gen_ctx_free(struct gen_ctx *g)
{
	SSL_CTX_free(g->sctx);
	SSL_CTX_free(g->cctx);
	g->sctx = g->cctx = NULL;
}

/* Moves everything pending in from to `to`, appending it to the log. */
static int pump(BIO *from, BIO *to, uint8_t **log, size_t *log_len)
{
	uint8_t buf[4096];
	int n;

	while ((n = BIO_read(from, buf, sizeof(buf))) > 0) {
		uint8_t *p = realloc(*log, *log_len + (size_t)n);

		if (!p)
			return -1;
		*log = p;
		memcpy(*log + *log_len, buf, (size_t)n);
		*log_len += (size_t)n;
		if (BIO_write(to, buf, n) != n)
			return -1;
	}
	return 0;
}

int gen_handshake(struct gen_ctx *g, const char *sni, const uint8_t *alpn,
		  size_t alpn_len, SSL_SESSION *resume, struct gen_run *out)
{
	SSL *c = SSL_new(g->cctx), *s = SSL_new(g->sctx);
	BIO *c_in = BIO_new(BIO_s_mem()), *c_out = BIO_new(BIO_s_mem());
	BIO *s_in = BIO_new(BIO_s_mem()), *s_out = BIO_new(BIO_s_mem());
	int rc = 0, rs = 0, ret = -1;

	memset(out, 0, sizeof(*out));
	if (!c || !s || !c_in || !c_out || !s_in || !s_out)
		goto cleanup;
	SSL_set_bio(c, c_in, c_out);
	SSL_set_bio(s, s_in, s_out);
	c_in = c_out = s_in = s_out = NULL;
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	if (sni && SSL_set_tlsext_host_name(c, sni) != 1)
		goto cleanup;
	if (alpn && SSL_set_alpn_protos(c, alpn, (unsigned)alpn_len) != 0)
		goto cleanup;
	if (resume && SSL_set_session(c, resume) != 1)
		goto cleanup;

	/* Bounded: a TLS handshake needs a handful of flights. */
	for (int i = 0; i < 32 && (rc != 1 || rs != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		if (pump(SSL_get_wbio(c), SSL_get_rbio(s), &out->c2s, &out->c2s_len) < 0)
			goto cleanup;
		if (rs != 1)
			rs = SSL_do_handshake(s);
		if (pump(SSL_get_wbio(s), SSL_get_rbio(c), &out->s2c, &out->s2c_len) < 0)
			goto cleanup;
	}
	if (rc != 1 || rs != 1) {
		ERR_print_errors_fp(stderr);
		goto cleanup;
	}
	/* TLS 1.3 tickets arrive after the handshake; reading processes
	 * them (there is no application data, so it wants more). */
	{
		char b;

		(void)SSL_read(c, &b, 1);
	}

	out->session = SSL_get1_session(c);
	out->reused = SSL_session_reused(c) == 1;
	out->version = SSL_version(c);
	SSL_get_client_random(s, out->client_random, 32);
	SSL_get_server_random(s, out->server_random, 32);
	{
		const unsigned char *id = SSL_SESSION_get_id(SSL_get_session(s),
							     &out->server_sid_len);

		memcpy(out->server_sid, id, out->server_sid_len);
	}
	out->cipher = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(s));
	{
		const char *n = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
		const unsigned char *a;
		unsigned alen;

		if (n)
			snprintf(out->sni_seen, sizeof(out->sni_seen), "%s", n);
		SSL_get0_alpn_selected(s, &a, &alen);
		if (alen < sizeof(out->alpn_selected))
			memcpy(out->alpn_selected, a, alen);
	}
	/* Mark both ends as cleanly closed: OpenSSL drops a session from the
	 * cache (and makes it non-resumable) when a live SSL is freed. */
	SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	ret = 0;
cleanup:
	BIO_free(c_in);
	BIO_free(c_out);
	BIO_free(s_in);
	BIO_free(s_out);
	SSL_free(c);
	SSL_free(s);
	if (ret < 0) {
		free(out->c2s);
		free(out->s2c);
		out->c2s = out->s2c = NULL;
	}
	return ret;
}

void gen_run_free(struct gen_run *r)
{
	free(r->c2s);
	free(r->s2c);
	SSL_SESSION_free(r->session);
	memset(r, 0, sizeof(*r));
}
