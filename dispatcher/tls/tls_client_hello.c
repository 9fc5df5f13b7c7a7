/* ClientHello body parser (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2).
 *
 * Only the fields routing needs are interpreted; every extension is framed
 * and checked for overrun and duplicates, but the bodies of extensions we
 * do not use are not validated (a backend will judge them).
 */
#include <string.h>

#include <splicekit/cursor.h>

#include "tls/tls_int.h"

enum {
	EXT_SERVER_NAME = 0,
	EXT_ALPN = 16,
	EXT_SESSION_TICKET = 35,
	EXT_PRE_SHARED_KEY = 41,
	EXT_SUPPORTED_VERSIONS = 43,
};

bool tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* RFC 6066 §3: a list of (type, name) with exactly one host_name. Host
 * names are ASCII (IDNs travel as A-labels); control bytes, spaces, NUL
 * and a trailing dot are refused so keys and logs stay printable. */
static int parse_sni(struct raw_cur *c, struct tls_client_hello *ch, char *sni_buf)
{
	struct raw_cur list, name;
	uint8_t type;

	if (raw_cur_vec(c, 2, &list) < 0 || raw_cur_left(c) != 0 ||
	    raw_cur_left(&list) == 0)
		return -TLS_R_SNI_MALFORMED;
	while (raw_cur_left(&list) > 0) {
		if (raw_cur_u8(&list, &type) < 0 || raw_cur_vec(&list, 2, &name) < 0)
			return -TLS_R_SNI_MALFORMED;
		if (type != 0)
			continue;
		size_t n = raw_cur_left(&name);

		if (ch->has_sni || n == 0 || n > 255)
			return -TLS_R_SNI_MALFORMED;
		for (size_t i = 0; i < n; i++) {
			uint8_t b;

			if (raw_cur_u8(&name, &b) < 0 || b <= 0x20 || b >= 0x7f)
				return -TLS_R_SNI_MALFORMED;
			sni_buf[i] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
		}
		if (sni_buf[n - 1] == '.')
			return -TLS_R_SNI_MALFORMED;
		sni_buf[n] = '\0';
		ch->has_sni = true;
		ch->sni = sni_buf;
		ch->sni_len = n;
	}
	return 0;
}

/* RFC 7301 §3.1: a non-empty list of non-empty names. */
static int parse_alpn(struct raw_cur *c, struct tls_client_hello *ch)
{
	struct raw_cur list, name;

	if (raw_cur_vec(c, 2, &list) < 0 || raw_cur_left(c) != 0 ||
	    raw_cur_left(&list) == 0)
		return -TLS_R_ALPN_MALFORMED;
	ch->alpn = raw_cur_ptr(&list);
	ch->alpn_len = raw_cur_left(&list);
	while (raw_cur_left(&list) > 0) {
		if (raw_cur_vec(&list, 1, &name) < 0 || raw_cur_left(&name) == 0)
			return -TLS_R_ALPN_MALFORMED;
		ch->alpn_count++;
	}
	ch->has_alpn = true;
	return 0;
}

/* RFC 8446 §4.2.1: 2..254 bytes of 16-bit versions. */
static int parse_versions(struct raw_cur *c, struct tls_client_hello *ch)
{
	struct raw_cur list;
	uint16_t v;

	if (raw_cur_vec(c, 1, &list) < 0 || raw_cur_left(c) != 0 ||
	    raw_cur_left(&list) < 2 || raw_cur_left(&list) % 2 != 0)
		return -TLS_R_VERSIONS_MALFORMED;
	ch->has_versions = true;
	ch->versions = raw_cur_ptr(&list);
	ch->versions_len = raw_cur_left(&list);
	ch->max_version = 0;
	while (raw_cur_u16(&list, &v) == 0)
		if (!tls_is_grease(v) && v > ch->max_version)
			ch->max_version = v;
	if (ch->max_version == 0)
		ch->max_version = ch->client_version;
	return 0;
}

/* RFC 8446 §4.2.11: identities (id<1..>, age) then one binder (32..255
 * bytes) per identity. */
static int parse_psk(struct raw_cur *c, struct tls_client_hello *ch)
{
	struct raw_cur ids, binders, v;
	unsigned nbind = 0;
	uint32_t age;

	if (raw_cur_vec(c, 2, &ids) < 0 || raw_cur_vec(c, 2, &binders) < 0 ||
	    raw_cur_left(c) != 0 || raw_cur_left(&ids) == 0)
		return -TLS_R_PSK_MALFORMED;
	ch->psk_identities = raw_cur_ptr(&ids);
	ch->psk_identities_len = raw_cur_left(&ids);
	while (raw_cur_left(&ids) > 0) {
		if (raw_cur_vec(&ids, 2, &v) < 0 || raw_cur_left(&v) == 0 ||
		    raw_cur_u32(&ids, &age) < 0)
			return -TLS_R_PSK_MALFORMED;
		ch->psk_count++;
	}
	while (raw_cur_left(&binders) > 0) {
		if (raw_cur_vec(&binders, 1, &v) < 0 || raw_cur_left(&v) < 32)
			return -TLS_R_PSK_MALFORMED;
		nbind++;
	}
	if (nbind != ch->psk_count)
		return -TLS_R_PSK_MALFORMED;
	ch->has_psk = true;
	return 0;
}

static int parse_extensions(struct raw_cur *exts, struct tls_client_hello *ch,
			    char *sni_buf)
{
	/* One bit per extension type: 8 KiB on the stack, once per hello,
	 * keeps duplicate detection linear for any number of extensions. */
	uint64_t seen[65536 / 64];
	int r = 0;

	memset(seen, 0, sizeof(seen));
	while (raw_cur_left(exts) > 0) {
		struct raw_cur body;
		uint16_t type;

		r = tls_ext_next(exts, seen, &type, &body);
		if (r < 0)
			return r;
		ch->ext_count++;

		switch (type) {
		case EXT_SERVER_NAME:
			r = parse_sni(&body, ch, sni_buf);
			break;
		case EXT_ALPN:
			r = parse_alpn(&body, ch);
			break;
		case EXT_SUPPORTED_VERSIONS:
			r = parse_versions(&body, ch);
			break;
		case EXT_SESSION_TICKET:
			ch->has_ticket_ext = true;
			ch->ticket = raw_cur_ptr(&body);
			ch->ticket_len = raw_cur_left(&body);
			break;
		case EXT_PRE_SHARED_KEY:
			/* RFC 8446 §4.2.11: binders cover everything before
			 * them, so the extension must be the last one. */
			if (raw_cur_left(exts) != 0)
				return -TLS_R_PSK_NOT_LAST;
			r = parse_psk(&body, ch);
			break;
		default:
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int tls_parse_client_hello(const uint8_t *body, size_t len,
			   struct tls_client_hello *ch, char *sni_buf)
{
	struct raw_cur c, v;
	uint8_t sid_len;

	raw_cur_init(&c, body, len);
	ch->hs_len = len;
	if (raw_cur_u16(&c, &ch->client_version) < 0 ||
	    raw_cur_bytes(&c, 32, &ch->random) < 0 ||
	    raw_cur_u8(&c, &sid_len) < 0)
		return -TLS_R_HS_OVERRUN;
	ch->max_version = ch->client_version;
	if (sid_len > 32)
		return -TLS_R_SESSION_ID_LEN;
	if (raw_cur_bytes(&c, sid_len, &ch->session_id) < 0)
		return -TLS_R_HS_OVERRUN;
	ch->session_id_len = sid_len;

	if (raw_cur_vec(&c, 2, &v) < 0)
		return -TLS_R_HS_OVERRUN;
	if (raw_cur_left(&v) == 0 || raw_cur_left(&v) % 2 != 0)
		return -TLS_R_CIPHER_SUITES;
	ch->cipher_suites = raw_cur_ptr(&v);
	ch->cipher_suites_len = raw_cur_left(&v);

	if (raw_cur_vec(&c, 1, &v) < 0)
		return -TLS_R_HS_OVERRUN;
	if (raw_cur_left(&v) == 0)
		return -TLS_R_COMPRESSION;

	/* Extensions are optional in TLS <= 1.2 (RFC 5246 §7.4.1.2). */
	if (raw_cur_left(&c) == 0)
		return 0;
	if (raw_cur_vec(&c, 2, &v) < 0)
		return -TLS_R_HS_OVERRUN;
	if (raw_cur_left(&c) != 0)
		return -TLS_R_HS_TRAILING;
	return parse_extensions(&v, ch, sni_buf);
}
