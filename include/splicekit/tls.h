/* TLS inspection for the dispatcher: incremental ClientHello and
 * server-stream parsers, and routing-key derivation.
 *
 * Both parsers are fed the TCP payload of one direction in whatever pieces
 * the network delivered (1-byte segments included). They reassemble TLS
 * records and handshake messages across segments and records, buffer at
 * most a configured number of bytes per connection (one allocation, made by
 * *_new; nothing is allocated per byte), and either ask for more, report,
 * or reject with a named reason (enum tls_reason).
 *
 * Feed return convention (tls_ch_feed, tls_srv_feed, tls_*_eof):
 *   TLS_MORE (0)        everything consumed, nothing decided yet
 *   TLS_DONE (1)        finished; the result is valid; later bytes are ignored
 *   -EPROTONOSUPPORT    the stream is not TLS (fall back to plain balancing)
 *   -EMSGSIZE           a handshake message is above the buffer limit
 *   -EBADMSG            malformed; tls_*_reason() names what was wrong
 * Once rejected, a parser stays rejected and returns the same error.
 *
 * Lifetimes: every pointer in a result points into storage owned by the
 * parser. It stays valid until the parser is reset or freed; the input
 * buffers passed to *_feed may be reused as soon as the call returns.
 *
 * Threads: a parser belongs to one connection and has no shared state; a
 * struct tls_key_conf is only read by tls_key_derive, so one configured
 * conf may be shared by any number of threads.
 *
 * Policy: SSLv2-compatible hellos are not TLS here (plain balancing).
 * The record length bound is the TLSCiphertext one (2^14 + 2048) in both
 * directions, a little above the 2^14 plaintext limit, to accept
 * implementations that overshoot it.
 */
#ifndef SPLICEKIT_TLS_H
#define SPLICEKIT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_MORE 0
#define TLS_DONE 1

/* Default and bounds for the per-connection buffer (bytes of one handshake
 * message). A post-quantum ClientHello is ~1.8 KB; 16 KiB leaves room. */
#define TLS_LIMIT_DEFAULT 16384u
#define TLS_LIMIT_MIN 512u
#define TLS_LIMIT_MAX (1u << 20)

/* Largest record length accepted (RFC 8446 TLSCiphertext bound). */
#define TLS_RECORD_MAX (16384u + 2048u)

#define TLS_VERSION_SSL3 0x0300
#define TLS_VERSION_1_0 0x0301
#define TLS_VERSION_1_1 0x0302
#define TLS_VERSION_1_2 0x0303
#define TLS_VERSION_1_3 0x0304

enum tls_reason {
	TLS_R_NONE = 0,          /* not rejected */
	TLS_R_NOT_TLS,           /* first record is not a TLS handshake record */
	TLS_R_RECORD_TRUNCATED,  /* stream ended inside a record */
	TLS_R_RECORD_TOO_LONG,   /* record length > TLS_RECORD_MAX */
	TLS_R_RECORD_EMPTY,      /* zero-length handshake record */
	TLS_R_RECORD_TYPE,       /* content type not allowed at this point */
	TLS_R_RECORD_VERSION,    /* record version major is not 3 */
	TLS_R_INTERLEAVED,       /* other record type inside a handshake message */
	TLS_R_HS_TRUNCATED,      /* stream ended inside a handshake message */
	TLS_R_HS_TYPE,           /* unexpected handshake message type */
	TLS_R_HS_OVERRUN,        /* a field runs past the handshake message */
	TLS_R_HS_TRAILING,       /* bytes left after the last field */
	TLS_R_TOO_BIG,           /* handshake message above the buffer limit */
	TLS_R_SESSION_ID_LEN,    /* session_id longer than 32 bytes */
	TLS_R_CIPHER_SUITES,     /* cipher suite list empty or odd length */
	TLS_R_COMPRESSION,       /* compression method list empty */
	TLS_R_EXT_OVERRUN,       /* extension length runs past the block */
	TLS_R_EXT_DUPLICATE,     /* same extension type twice */
	TLS_R_PSK_NOT_LAST,      /* pre_shared_key is not the last extension */
	TLS_R_PSK_MALFORMED,     /* pre_shared_key body does not parse */
	TLS_R_SNI_MALFORMED,     /* server_name body or host name invalid */
	TLS_R_ALPN_MALFORMED,    /* ALPN list empty, empty name, or overrun */
	TLS_R_VERSIONS_MALFORMED,/* supported_versions body does not parse */
	TLS_R_TICKET_MALFORMED,  /* NewSessionTicket body does not parse */
	TLS_R_ALERT,             /* peer sent a plaintext alert */
	TLS_R_MAX
};

/* Returns a static, lower-case, human-readable name for r ("unknown" for
 * values out of range). Never NULL. */
const char *tls_reason_str(enum tls_reason r);

/* ---- ClientHello (client -> server stream) ---------------------------- */

struct tls_ch;

/* What one ClientHello says. Filled by tls_ch_feed when it returns
 * TLS_DONE. Vectors are given as pointer + length in wire form. */
struct tls_client_hello {
	uint16_t record_version;   /* version field of the first record */
	uint16_t client_version;   /* legacy_version in the hello */
	uint16_t max_version;      /* highest offered: supported_versions if
				      present (GREASE ignored), else
				      client_version */
	const uint8_t *random;     /* 32 bytes */
	const uint8_t *session_id; /* session_id_len bytes */
	uint8_t session_id_len;    /* 0..32 */
	const uint8_t *cipher_suites; /* wire list of 16-bit suites */
	size_t cipher_suites_len;

	bool has_versions;         /* supported_versions extension present */
	const uint8_t *versions;   /* wire list of 16-bit versions */
	size_t versions_len;

	bool has_sni;              /* server_name with a host_name entry */
	const char *sni;           /* host name, lower-cased, NUL-terminated */
	size_t sni_len;            /* 1..255, without the NUL */

	bool has_alpn;             /* application_layer_protocol_negotiation */
	const uint8_t *alpn;       /* protocol_name_list without its outer
				      length: (u8 len, name)* */
	size_t alpn_len;
	unsigned alpn_count;

	bool has_ticket_ext;       /* session_ticket extension present */
	const uint8_t *ticket;     /* ticket_len bytes; 0 = asks for a ticket */
	size_t ticket_len;

	bool has_psk;              /* pre_shared_key (always last) present */
	const uint8_t *psk_identities; /* identities list without its outer
					  length: (u16 len, id, u32 age)* */
	size_t psk_identities_len;
	unsigned psk_count;

	unsigned ext_count;        /* extensions in the hello */
	size_t hs_len;             /* handshake body length */
	unsigned records;          /* TLS records the hello spanned */
};

/* Allocates a ClientHello parser buffering at most limit bytes of handshake
 * message (0 means TLS_LIMIT_DEFAULT). Returns NULL with errno EINVAL when
 * limit is outside [TLS_LIMIT_MIN, TLS_LIMIT_MAX], ENOMEM on allocation
 * failure. The caller owns it and frees it with tls_ch_free. */
struct tls_ch *tls_ch_new(size_t limit);

/* Frees p and everything its results point to. NULL is allowed. */
void tls_ch_free(struct tls_ch *p);

/* Forgets all state so p can parse a new stream; old results die. */
void tls_ch_reset(struct tls_ch *p);

/* Feeds the next len bytes of the client->server stream. Returns per the
 * feed convention above. buf is only read during the call. */
int tls_ch_feed(struct tls_ch *p, const void *buf, size_t len);

/* Tells p the stream ended (FIN, or the dispatcher gave up waiting).
 * Returns TLS_DONE if the hello was complete, else -EBADMSG with reason
 * TLS_R_RECORD_TRUNCATED / TLS_R_HS_TRUNCATED (or the earlier error). */
int tls_ch_eof(struct tls_ch *p);

/* Returns the hello once tls_ch_feed returned TLS_DONE, else NULL. Owned
 * by p. */
const struct tls_client_hello *tls_ch_result(const struct tls_ch *p);

/* Returns why p rejected its input, TLS_R_NONE if it did not. */
enum tls_reason tls_ch_reason(const struct tls_ch *p);

/* Returns how many stream bytes p has consumed (for diagnostics: the offset
 * at which a rejection was decided). */
uint64_t tls_ch_offset(const struct tls_ch *p);

/* Gets ALPN protocol i (0-based) of ch: 0 with *name and *len set (pointing
 * into ch's storage), or -ENOENT when i >= alpn_count. */
int tls_ch_alpn(const struct tls_client_hello *ch, unsigned i,
		const uint8_t **name, size_t *len);

/* Gets pre_shared_key identity i of ch: 0 with *id and *len (and *age, the
 * obfuscated ticket age, if age is not NULL) set, or -ENOENT. */
int tls_ch_psk_identity(const struct tls_client_hello *ch, unsigned i,
			const uint8_t **id, size_t *len, uint32_t *age);

/* True when ch offers protocol version v (supported_versions, or
 * client_version when the extension is absent). */
bool tls_ch_offers(const struct tls_client_hello *ch, uint16_t v);

/* ---- Server -> client stream ----------------------------------------- */

struct tls_srv;

/* What the server's plaintext says. Fields are valid when their "seen"
 * flag is set; the struct is updated as bytes arrive. */
struct tls_server_stream {
	bool seen_hello;           /* a (non-HRR) ServerHello was parsed */
	bool seen_hrr;             /* a HelloRetryRequest came first */
	uint16_t record_version;   /* version field of the first record */
	uint16_t legacy_version;   /* ServerHello legacy_version */
	uint16_t version;          /* negotiated: supported_versions if
				      present, else legacy_version */
	uint8_t random[32];
	uint8_t session_id[32];
	uint8_t session_id_len;
	uint16_t cipher_suite;
	bool psk_accepted;         /* TLS 1.3 pre_shared_key in ServerHello */
	uint16_t psk_selected;     /* its selected_identity */
	bool resumed;              /* TLS 1.3: psk_accepted; TLS <= 1.2: the
				      session_id equals the offered one (see
				      tls_srv_set_offered), or the server went
				      straight to NewSessionTicket or
				      ChangeCipherSpec after its hello */

	bool has_ticket;           /* TLS 1.2 plaintext NewSessionTicket */
	uint32_t ticket_lifetime;  /* lifetime hint, seconds */
	const uint8_t *ticket;     /* ticket_len bytes, owned by the parser */
	size_t ticket_len;

	bool encrypted;            /* reached ChangeCipherSpec/application
				      data: nothing more is in clear */
};

/* Allocates a server-stream parser (limit as for tls_ch_new; it bounds the
 * ServerHello and NewSessionTicket; other messages such as Certificate are
 * skipped without buffering). NULL with errno EINVAL/ENOMEM. */
struct tls_srv *tls_srv_new(size_t limit);

/* Frees p. NULL is allowed. */
void tls_srv_free(struct tls_srv *p);

/* Forgets all state (including the offered session ID). */
void tls_srv_reset(struct tls_srv *p);

/* Records the session ID the client offered (copied), so a TLS <= 1.2
 * ServerHello echoing it is reported as resumed. 0, or -EINVAL if
 * len > 32. Optional. */
int tls_srv_set_offered(struct tls_srv *p, const uint8_t *sid, size_t len);

/* Feeds the next len bytes of the server->client stream. Returns TLS_MORE
 * while plaintext handshake may still follow, TLS_DONE once the stream is
 * encrypted (first ChangeCipherSpec or application_data record after the
 * real ServerHello; a TLS 1.3 compatibility CCS after a HelloRetryRequest
 * does not end it), or an error per the feed convention. A plaintext alert
 * is rejected with TLS_R_ALERT. */
int tls_srv_feed(struct tls_srv *p, const void *buf, size_t len);

/* Tells p the stream ended. Returns TLS_DONE if encrypted was reached,
 * else -EBADMSG (truncated record/handshake, or TLS_R_HS_TRUNCATED when
 * the stream ended cleanly between messages before encryption). */
int tls_srv_eof(struct tls_srv *p);

/* Returns what p has learned so far (never NULL; check the flags). Owned
 * by p. */
const struct tls_server_stream *tls_srv_result(const struct tls_srv *p);

/* Returns why p rejected its input, TLS_R_NONE if it did not. */
enum tls_reason tls_srv_reason(const struct tls_srv *p);

/* Returns how many stream bytes p has consumed. */
uint64_t tls_srv_offset(const struct tls_srv *p);

/* ---- Routing keys ---------------------------------------------------- */

#define TLS_KEY_MAX 255          /* key bytes kept (longer ids truncated) */
#define TLS_PREFIX_MAX 32        /* longest configurable prefix */
#define TLS_KEY_CANDIDATES 4     /* most keys tls_key_derive returns */

enum tls_key_kind {
	TLS_KEY_NONE = 0,
	TLS_KEY_PSK,        /* TLS 1.3 pre_shared_key identity (prefix match) */
	TLS_KEY_TICKET,     /* TLS 1.2 session ticket (prefix match) */
	TLS_KEY_SESSION_ID, /* TLS <= 1.2 session_id */
	TLS_KEY_SNI,        /* server name (only if the policy enables it) */
};

/* Which bytes a configured prefix is compared against. */
enum tls_prefix_kind {
	/* A ticket key_name (RFC 5077 §4, first 16 bytes of a ticket):
	 * matches TLS 1.2 tickets and TLS 1.3 PSK identities. */
	TLS_PREFIX_TICKET = 1,
	/* A server-generated session ID prefix (OpenSSL
	 * SSL_CTX_set_generate_session_id): matches TLS <= 1.2 session IDs
	 * and TLS 1.3 stateful PSK identities. */
	TLS_PREFIX_SESSION_ID,
};

struct tls_key {
	enum tls_key_kind kind;
	int backend;        /* backend index of the matching prefix, or -1:
			       look the key up in the mapping table */
	bool truncated;     /* the source was longer than TLS_KEY_MAX */
	uint8_t len;
	uint8_t bytes[TLS_KEY_MAX];
};

struct tls_key_conf;

/* Allocates an empty routing-key configuration (no prefixes, SNI off).
 * NULL with errno ENOMEM. Caller frees with tls_key_conf_free. */
struct tls_key_conf *tls_key_conf_new(void);

/* Frees c. NULL is allowed. */
void tls_key_conf_free(struct tls_key_conf *c);

/* Adds a prefix (copied) that routes to backend (>= 0). 0, or -EINVAL
 * (len 0 or > TLS_PREFIX_MAX, bad kind, backend < 0), -EEXIST (same kind
 * and bytes already configured), -ENOSPC (table full). */
int tls_key_conf_add_prefix(struct tls_key_conf *c, enum tls_prefix_kind kind,
			    const uint8_t *prefix, size_t len, int backend);

/* Parses a prefix written as hex digits (e.g. "5b01c0de", from a config
 * file) into out[0..cap). Returns the byte count (1..TLS_PREFIX_MAX), or
 * -EINVAL for an empty string, an odd number of digits, a non-hex
 * character or more than cap or TLS_PREFIX_MAX bytes. */
int tls_prefix_from_hex(const char *hex, uint8_t *out, size_t cap);

/* Gets the ticket key_name (the 16 bytes every ticket made with this key
 * starts with) from the contents of a session ticket key file as nginx
 * (ssl_session_ticket_key) and OpenSSL (SSL_CTX_set_tlsext_ticket_keys)
 * lay it out: 48 or 80 bytes, key_name first. 0 with name set, or -EINVAL
 * for any other length. Use the result with TLS_PREFIX_TICKET. */
int tls_ticket_key_name(const uint8_t *file, size_t len, uint8_t name[16]);

/* Enables or disables SNI as the last-resort key (off by default). */
void tls_key_conf_set_sni(struct tls_key_conf *c, bool on);

/* Derives the routing keys of ch, best first, into out[0..max): PSK
 * identities and a TLS 1.2 ticket matching a configured prefix (backend
 * set), then a non-empty TLS <= 1.2 session_id (backend set if a
 * session-ID prefix matches, else -1), then SNI if enabled. A session_id
 * is skipped when ch offers only TLS >= 1.3 or carries pre_shared_key:
 * it is then TLS 1.3's random legacy_session_id. Returns the number of
 * keys written (0: route by plain load balancing), or -EINVAL. c may be
 * NULL (no prefixes, SNI off). */
int tls_key_derive(const struct tls_key_conf *c,
		   const struct tls_client_hello *ch,
		   struct tls_key *out, size_t max);

/* Gets the key a mapping table may learn from a server stream: the session
 * ID of a TLS <= 1.2 ServerHello. Never a TLS 1.3 legacy_session_id (an
 * echo of the client's random bytes) nor an HRR. Returns 1 with *out set,
 * or 0 (nothing to learn, out->kind = TLS_KEY_NONE). */
int tls_key_learn(const struct tls_server_stream *s, struct tls_key *out);

/* Returns a static name for k ("psk", "ticket", "session-id", "sni",
 * "none"). Never NULL. */
const char *tls_key_kind_str(enum tls_key_kind k);

#endif
