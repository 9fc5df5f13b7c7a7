/* What a connection's first bytes say, for the content rules: runs the
 * TLS ClientHello parser or the HTTP/1.x head parser, whichever the first
 * byte calls for, and gathers the fields the rules match on.
 *
 * A TLS record starts with 0x16; anything else is read as HTTP/1.x when
 * some rule looks at the Host, the path or a cookie, and is not read at
 * all otherwise. A stream that turns out to be neither, or that a parser
 * rejects, is decided at once with the fields it has (none): its rules do
 * not match and it goes to the default pool, balanced as before.
 *
 * Feed returns CONTENT_MORE (0) until the fields are known, then
 * CONTENT_DONE (1) for good; -ENOMEM if a parser cannot be allocated. The
 * input's pointers point into the parsers' storage and live as long as the
 * struct content. The rule set must outlive it.
 */
#ifndef SPLICEKIT_CONTENT_H
#define SPLICEKIT_CONTENT_H

#include <stddef.h>

#include <splicekit/tls.h>

#include "http/http.h"
#include "rules/rule.h"

#define CONTENT_MORE 0
#define CONTENT_DONE 1

enum content_kind {
	CONTENT_UNKNOWN,  /* no byte yet */
	CONTENT_TLS,      /* a TLS handshake record came first */
	CONTENT_HTTP,     /* read as HTTP/1.x */
	CONTENT_OTHER,    /* neither, or not read (no rule needs it) */
};

struct content;

/* Allocates a reader for one connection (the parsers are allocated on the
 * first byte, only the one needed). Returns NULL with errno ENOMEM. */
struct content *content_new(const struct rule_set *rules);

/* Frees c (NULL allowed). */
void content_free(struct content *c);

/* Feeds the next client bytes; see above. */
int content_feed(struct content *c, const void *buf, size_t len);

/* The client closed or the wait ran out: decides with what is known.
 * Returns CONTENT_DONE. */
int content_eof(struct content *c);

/* Returns what the stream is (CONTENT_OTHER for a rejected one). */
enum content_kind content_kind_of(const struct content *c);

/* Returns the negative errno a parser rejected the stream with, 0 if none
 * did (for counters and logs, with the parser's reason). */
int content_error(const struct content *c);

/* Returns the fields gathered so far (complete after CONTENT_DONE). */
const struct rule_input *content_input(const struct content *c);

/* Returns the ClientHello once parsed, else NULL (session routing reads
 * it too, so it is parsed once). */
const struct tls_client_hello *content_hello(const struct content *c);

#endif
