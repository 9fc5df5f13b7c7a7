/* Internal to the TLS inspection module: the record and handshake
 * reassembly engine shared by the ClientHello and server-stream parsers,
 * and the message body parsers. Not installed. */
#ifndef SPLICEKIT_TLS_INT_H
#define SPLICEKIT_TLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splicekit/cursor.h>
#include <splicekit/tls.h>

enum {
	CT_CCS = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APPDATA = 23,
	CT_HEARTBEAT = 24,
};

enum {
	HT_CLIENT_HELLO = 1,
	HT_SERVER_HELLO = 2,
	HT_NEW_SESSION_TICKET = 4,
};

/* Callbacks deciding what the engine does with what it has framed. Each
 * returns 0 to go on, TLS_DONE to stop successfully, or -reason. */
struct tls_stream_ops {
	/* A record header is complete (type, version and length already
	 * passed the generic checks). Payload of a non-handshake record is
	 * skipped when this returns 0. */
	int (*record)(void *ctx, uint8_t type, uint16_t version, uint32_t len);
	/* A handshake header is complete: return 1 to buffer the body and
	 * get hs_msg, 0 to skip it unbuffered, or -reason. */
	int (*hs_start)(void *ctx, uint8_t type, uint32_t len);
	/* A buffered handshake message is complete. body is owned by the
	 * engine and stays valid until the next kept message starts. */
	int (*hs_msg)(void *ctx, uint8_t type, const uint8_t *body, uint32_t len);
	/* Content types allowed as the very first byte of the stream. */
	uint32_t first_types; /* bit mask of 1u << content type */
};

/* Record and handshake reassembly state for one direction. Holds no more
 * than 5 + 4 header bytes plus buf[0..cap). */
struct tls_stream {
	uint8_t rh[5];      /* record header being collected */
	uint8_t rh_have;
	uint8_t rtype;
	uint32_t rleft;     /* payload bytes left in the current record */
	unsigned records;   /* record headers completed */
	uint16_t first_version;

	uint8_t hh[4];      /* handshake header being collected */
	uint8_t hh_have;
	bool in_body;       /* hh complete, body bytes pending */
	bool keep;          /* body is being buffered */
	uint8_t htype;
	uint32_t hlen, hgot;

	int state;          /* 0 running, TLS_DONE, or -reason */
	uint64_t off;       /* stream bytes consumed */
	size_t cap;
	uint8_t *buf;       /* cap bytes, owned by the enclosing parser */
};

/* Allocates a zeroed parser object of obj_size bytes whose first member is
 * its struct tls_stream and which ends in a flexible array at buf_off, with
 * room for limit buffered bytes (0 = TLS_LIMIT_DEFAULT) there. Returns the
 * object (free with free()), or NULL with errno EINVAL for a limit out of
 * range or ENOMEM. */
void *tls_stream_new(size_t obj_size, size_t buf_off, size_t limit);

/* Resets s to the start of a stream, keeping buf/cap. */
void tls_stream_reset(struct tls_stream *s);

/* Reads the next extension of a hello's extension block into *type and
 * *body, refusing a second extension of the same type; seen is the caller's
 * zeroed bitmap of types met so far. Returns 0, -TLS_R_EXT_OVERRUN or
 * -TLS_R_EXT_DUPLICATE. */
int tls_ext_next(struct raw_cur *exts, uint64_t seen[65536 / 64],
		 uint16_t *type, struct raw_cur *body);

/* Runs buf[0..len) through s. Returns s->state afterwards. */
int tls_stream_feed(struct tls_stream *s, const struct tls_stream_ops *ops,
		    void *ctx, const uint8_t *buf, size_t len);

/* The stream ended: returns s->state if decided, else -reason for what was
 * cut (record, then handshake message), or 0 if cut cleanly between
 * messages. */
int tls_stream_eof(struct tls_stream *s);

/* Maps an internal result (0, TLS_DONE, -reason) to the public feed
 * convention. */
int tls_result_errno(int state);

/* Parses a ClientHello body into *ch (pointers into body). sni_buf gets
 * the lower-cased host name (256 bytes). 0 or -reason. */
int tls_parse_client_hello(const uint8_t *body, size_t len,
			   struct tls_client_hello *ch, char *sni_buf);

/* True for the GREASE values of RFC 8701 (0x0a0a, 0x1a1a, ... 0xfafa). */
bool tls_is_grease(uint16_t v);

#endif
