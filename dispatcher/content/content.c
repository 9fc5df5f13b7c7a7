/* Choosing and running the parser for a connection's first bytes; see
 * content.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"

#define TLS_HANDSHAKE_RECORD 0x16

struct content {
	const struct rule_set *rules;
	enum content_kind kind;
	int state;
	int error;
	struct tls_ch *ch;
	struct http_req *http;
	const char *cookies[RULE_COOKIES_MAX];
	struct rule_input in;
};

struct content *content_new(const struct rule_set *rules)
{
	struct content *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->rules = rules;
	for (unsigned i = 0; i < rules->ncookies && i < RULE_COOKIES_MAX; i++)
		c->cookies[i] = rules->cookies[i];
	return c;
}

void content_free(struct content *c)
{
	if (!c)
		return;
	tls_ch_free(c->ch);
	http_req_free(c->http);
	free(c);
}

static bool wants_http(const struct rule_set *r)
{
	return rule_set_uses(r, RULE_HOST) || rule_set_uses(r, RULE_PATH) ||
	       rule_set_uses(r, RULE_COOKIE);
}

/* The first byte decides which parser runs. */
static int start(struct content *c, uint8_t first)
{
	if (first == TLS_HANDSHAKE_RECORD) {
		c->ch = tls_ch_new(0);
		if (!c->ch)
			return -ENOMEM;
		c->kind = CONTENT_TLS;
		return CONTENT_MORE;
	}
	if (!wants_http(c->rules)) {
		c->kind = CONTENT_OTHER;
		return c->state = CONTENT_DONE;
	}
	c->http = http_req_new(0, c->cookies, c->rules->ncookies);
	if (!c->http)
		return -ENOMEM;
	c->kind = CONTENT_HTTP;
	return CONTENT_MORE;
}

static void take_hello(struct content *c)
{
	const struct tls_client_hello *h = tls_ch_result(c->ch);

	if (h->has_sni) {
		c->in.sni = h->sni;
		c->in.sni_len = h->sni_len;
	}
	if (h->has_alpn) {
		c->in.alpn = h->alpn;
		c->in.alpn_len = h->alpn_len;
	}
}

static void take_head(struct content *c)
{
	const struct http_request *r = http_req_result(c->http);

	if (r->has_host) {
		c->in.host = r->host;
		c->in.host_len = r->host_len;
	}
	c->in.path = r->path;
	c->in.path_len = r->path_len;
	for (unsigned i = 0; i < c->rules->ncookies && i < RULE_COOKIES_MAX; i++) {
		if (!r->has_cookie[i])
			continue;
		c->in.cookie[i] = r->cookie[i];
		c->in.cookie_len[i] = r->cookie_len[i];
	}
}

/* A parser's verdict r: DONE takes the fields, an error decides with none. */
static int verdict(struct content *c, int r)
{
	if (r == 0)
		return CONTENT_MORE;
	if (r < 0) {
		c->error = r;
		c->kind = CONTENT_OTHER;
	} else if (c->ch) {
		take_hello(c);
	} else {
		take_head(c);
	}
	return c->state = CONTENT_DONE;
}

int content_feed(struct content *c, const void *buf, size_t len)
{
	int r;

	if (c->state == CONTENT_DONE || len == 0)
		return c->state;
	if (c->kind == CONTENT_UNKNOWN) {
		r = start(c, *(const uint8_t *)buf);
		if (r != CONTENT_MORE)
			return r;
	}
	if (c->ch)
		return verdict(c, tls_ch_feed(c->ch, buf, len));
	return verdict(c, http_req_feed(c->http, buf, len));
}

int content_eof(struct content *c)
{
	if (c->state == CONTENT_DONE)
		return c->state;
	if (c->ch)
		return verdict(c, tls_ch_eof(c->ch));
	if (c->http)
		return verdict(c, http_req_eof(c->http));
	c->kind = CONTENT_OTHER;
	return c->state = CONTENT_DONE;
}

enum content_kind content_kind_of(const struct content *c)
{
	return c->kind;
}

int content_error(const struct content *c)
{
	return c->error;
}

const struct rule_input *content_input(const struct content *c)
{
	return &c->in;
}

const struct tls_client_hello *content_hello(const struct content *c)
{
	return c->ch ? tls_ch_result(c->ch) : NULL;
}
