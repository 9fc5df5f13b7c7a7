/* Test helper: real TLS handshakes between two OpenSSL endpoints joined by
 * memory BIOs, recording each direction's bytes exactly as they would
 * cross the network. No sockets, so it runs in the unit suite. */
#ifndef SPLICEKIT_TEST_TLS_GEN_H
#define SPLICEKIT_TEST_TLS_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct gen_opts {
	int max_version;            /* TLS1_2_VERSION or TLS1_3_VERSION */
	int client_min_version;     /* 0: OpenSSL default */
	bool no_tickets;            /* SSL_OP_NO_TICKET on the server */
	const uint8_t *ticket_name; /* 16 bytes: server ticket key_name */
	const uint8_t *sid_prefix;  /* server session IDs start with it */
	size_t sid_prefix_len;
	const char *server_groups;  /* e.g. "P-256" to force an HRR */
	const char *client_groups;
	size_t client_max_fragment; /* 0 or 512..16384: split the hello */
};

struct gen_ctx {
	SSL_CTX *sctx, *cctx;
};

struct gen_run {
	uint8_t *c2s, *s2c;         /* malloc'd byte streams */
	size_t c2s_len, s2c_len;
	SSL_SESSION *session;       /* client session after the handshake */
	bool reused;                /* SSL_session_reused on the client */
	uint8_t client_random[32], server_random[32];
	uint8_t server_sid[32];     /* server's view of the session ID */
	unsigned server_sid_len;
	uint16_t cipher;            /* negotiated suite, wire value */
	int version;                /* SSL_version of the client */
	char sni_seen[256];         /* SNI as the server saw it */
	char alpn_selected[64];
};

/* Builds both contexts with a fresh self-signed P-256 certificate. 0 or -1. */
int gen_ctx_init(struct gen_ctx *g, const struct gen_opts *o);
void gen_ctx_free(struct gen_ctx *g);

/* Runs one handshake (and lets the client read TLS 1.3 tickets). sni and
 * alpn (wire format) may be NULL; resume is a session to offer or NULL.
 * 0 on a completed handshake, -1 otherwise. */
int gen_handshake(struct gen_ctx *g, const char *sni, const uint8_t *alpn,
		  size_t alpn_len, SSL_SESSION *resume, struct gen_run *out);
void gen_run_free(struct gen_run *r);

#endif
