/* Routing keys: which bytes of a ClientHello the dispatcher routes on,
 * and which bytes of a server stream the mapping table may learn.
 *
 * Order (ARCHITECTURE.md): a TLS 1.3 PSK identity or TLS 1.2 ticket that
 * carries a configured per-backend prefix names its backend outright; a
 * TLS <= 1.2 session ID is looked up in the mapping table; SNI is an
 * optional last resort; otherwise plain load balancing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_int.h"

#define PREFIXES_MAX 256

struct prefix {
	enum tls_prefix_kind kind;
	int backend;
	uint8_t len;
	uint8_t bytes[TLS_PREFIX_MAX];
};

struct tls_key_conf {
	bool sni;
	unsigned n;
	struct prefix p[PREFIXES_MAX];
};

struct tls_key_conf *tls_key_conf_new(void)
{
	return calloc(1, sizeof(struct tls_key_conf));
}

void tls_key_conf_free(struct tls_key_conf *c)
{
	free(c);
}

int tls_key_conf_add_prefix(struct tls_key_conf *c, enum tls_prefix_kind kind,
			    const uint8_t *prefix, size_t len, int backend)
{
	if (len == 0 || len > TLS_PREFIX_MAX || backend < 0 ||
	    (kind != TLS_PREFIX_TICKET && kind != TLS_PREFIX_SESSION_ID))
		return -EINVAL;
	for (unsigned i = 0; i < c->n; i++)
		if (c->p[i].kind == kind && c->p[i].len == len &&
		    memcmp(c->p[i].bytes, prefix, len) == 0)
			return -EEXIST;
	if (c->n == PREFIXES_MAX)
		return -ENOSPC;
	c->p[c->n].kind = kind;
	c->p[c->n].backend = backend;
	c->p[c->n].len = (uint8_t)len;
	memcpy(c->p[c->n].bytes, prefix, len);
	c->n++;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tls_prefix_from_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (!hex || !*hex)
		return -EINVAL;
	for (; hex[0]; hex += 2) {
		int hi = hexval(hex[0]), lo = hex[1] ? hexval(hex[1]) : -1;

		if (hi < 0 || lo < 0 || n == cap || n == TLS_PREFIX_MAX)
			return -EINVAL;
		out[n++] = (uint8_t)(hi << 4 | lo);
	}
	return (int)n;
}

int tls_ticket_key_name(const uint8_t *file, size_t len, uint8_t name[16])
{
	/* 48 bytes: name, HMAC-SHA256 key half, AES-128 key; 80 bytes: name
	 * and two 32-byte secrets (AES-256). The name leads in both. */
	if (!file || (len != 48 && len != 80))
		return -EINVAL;
	memcpy(name, file, 16);
	return 0;
}

void tls_key_conf_set_sni(struct tls_key_conf *c, bool on)
{
	c->sni = on;
}

/* Returns the backend of the longest prefix of a kind in mask that starts
 * b, or -1. Longest wins so a specific prefix can override a general one. */
static int match(const struct tls_key_conf *c, unsigned mask,
		 const uint8_t *b, size_t len)
{
	int best = -1;
	unsigned best_len = 0;

	if (!c)
		return -1;
	for (unsigned i = 0; i < c->n; i++) {
		const struct prefix *p = &c->p[i];

		if (!(mask & (1u << p->kind)) || p->len > len || p->len <= best_len)
			continue;
		if (memcmp(p->bytes, b, p->len) == 0) {
			best = p->backend;
			best_len = p->len;
		}
	}
	return best;
}

static void set_key(struct tls_key *k, enum tls_key_kind kind, int backend,
		    const uint8_t *b, size_t len)
{
	k->kind = kind;
	k->backend = backend;
	k->truncated = len > TLS_KEY_MAX;
	k->len = (uint8_t)(len > TLS_KEY_MAX ? TLS_KEY_MAX : len);
	memcpy(k->bytes, b, k->len);
}

/* A session_id is TLS 1.3's random legacy_session_id when the client can
 * only speak TLS 1.3, or resumes with a PSK. A client offering 1.3 and 1.2
 * may be resuming a 1.2 session, so its ID is still looked up: a random ID
 * only misses, and tls_key_learn never learns 1.3 IDs. */
static bool sid_is_random(const struct tls_client_hello *ch)
{
	if (ch->has_psk)
		return true;
	if (!ch->has_versions)
		return false;
	return !tls_ch_offers(ch, TLS_VERSION_1_2) &&
	       !tls_ch_offers(ch, TLS_VERSION_1_1) &&
	       !tls_ch_offers(ch, TLS_VERSION_1_0);
}

int tls_key_derive(const struct tls_key_conf *c,
		   const struct tls_client_hello *ch,
		   struct tls_key *out, size_t max)
{
	const unsigned any = 1u << TLS_PREFIX_TICKET | 1u << TLS_PREFIX_SESSION_ID;
	size_t n = 0;
	int b;

	if (!ch || (!out && max > 0))
		return -EINVAL;

	for (unsigned i = 0; ch->has_psk && n < max; i++) {
		const uint8_t *id;
		size_t len;

		if (tls_ch_psk_identity(ch, i, &id, &len, NULL) < 0)
			break;
		b = match(c, any, id, len);
		if (b >= 0) {
			set_key(&out[n++], TLS_KEY_PSK, b, id, len);
			break; /* the first routable identity decides */
		}
	}
	if (ch->has_ticket_ext && ch->ticket_len > 0 && n < max) {
		b = match(c, 1u << TLS_PREFIX_TICKET, ch->ticket, ch->ticket_len);
		if (b >= 0)
			set_key(&out[n++], TLS_KEY_TICKET, b, ch->ticket,
				ch->ticket_len);
	}
	if (ch->session_id_len > 0 && !sid_is_random(ch) && n < max) {
		b = match(c, 1u << TLS_PREFIX_SESSION_ID, ch->session_id,
			  ch->session_id_len);
		set_key(&out[n++], TLS_KEY_SESSION_ID, b, ch->session_id,
			ch->session_id_len);
	}
	if (c && c->sni && ch->has_sni && n < max)
		set_key(&out[n++], TLS_KEY_SNI, -1, (const uint8_t *)ch->sni,
			ch->sni_len);
	return (int)n;
}

int tls_key_learn(const struct tls_server_stream *s, struct tls_key *out)
{
	out->kind = TLS_KEY_NONE;
	out->len = 0;
	out->backend = -1;
	out->truncated = false;
	if (!s->seen_hello || s->version >= TLS_VERSION_1_3 ||
	    s->session_id_len == 0)
		return 0;
	set_key(out, TLS_KEY_SESSION_ID, -1, s->session_id, s->session_id_len);
	return 1;
}

const char *tls_key_kind_str(enum tls_key_kind k)
{
	switch (k) {
	case TLS_KEY_PSK: return "psk";
	case TLS_KEY_TICKET: return "ticket";
	case TLS_KEY_SESSION_ID: return "session-id";
	case TLS_KEY_SNI: return "sni";
	case TLS_KEY_NONE: break;
	}
	return "none";
}
