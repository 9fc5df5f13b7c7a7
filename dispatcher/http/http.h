/* HTTP/1.x request heads for content routing: an incremental parser of the
 * request line and header fields, fed the client->server TCP payload in
 * whatever pieces the network delivered (1-byte segments included).
 *
 * It buffers the head (request line and fields, up to the empty line) in
 * one allocation made by http_req_new, parses each line once as soon as it
 * is complete, reads every line through a bounds-checked cursor, and
 * extracts what a routing rule needs: the Host, the path, and the values
 * of up to HTTP_COOKIES_MAX named cookies. Nothing is allocated per byte.
 *
 * Feed return convention (http_req_feed, http_req_eof):
 *   HTTP_MORE (0)       everything consumed, the head is not complete yet
 *   HTTP_DONE (1)       the head is complete; the result is valid; later
 *                       bytes (a body, the next pipelined request) are not
 *                       read and not counted
 *   -EPROTONOSUPPORT    the stream is not HTTP/1.x (fall back to plain
 *                       balancing); decided on the first byte that cannot
 *                       start a request line, so other protocols are not
 *                       kept waiting for a timeout
 *   -EMSGSIZE           the head is larger than the buffer limit
 *   -EBADMSG            malformed; http_req_reason() names what was wrong
 * Once rejected, a parser stays rejected and returns the same error.
 *
 * Policy (RFC 9112; what must hold so that the dispatcher and the backend
 * read the same request):
 *  - a line ends with CRLF or a bare LF (RFC 9112 §2.2 allows both); a CR
 *    anywhere else is rejected, as is any other control byte but HTAB;
 *  - up to HTTP_LEADING_EMPTY_MAX empty lines before the request line are
 *    skipped (§2.2);
 *  - the version must be HTTP/1.0 or HTTP/1.1 (the HTTP/2 preface is not
 *    HTTP/1.x);
 *  - obsolete line folding, whitespace between a field name and its colon,
 *    and a second Host field are rejected (§5.1, §5.2, §3.2: request
 *    smuggling vectors);
 *  - an absolute-form target (http://host/path) gives the host and the path
 *    and takes precedence over the Host field (§3.2.2);
 *  - the host is lower-cased, its port and one trailing dot are removed;
 *  - the path is the target up to '?' or '#', not percent-decoded and not
 *    normalised: rules route, they do not grant access;
 *  - a cookie's value is that of the first pair with its name in any Cookie
 *    field, surrounding double quotes removed.
 * On a keep-alive connection only the first request is read: it decides the
 * backend for the whole connection.
 *
 * Lifetimes: the pointers in a result point into the parser's buffer and
 * stay valid until the parser is reset or freed. The cookie names passed to
 * http_req_new must outlive the parser.
 */
#ifndef SPLICEKIT_HTTP_H
#define SPLICEKIT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MORE 0
#define HTTP_DONE 1

/* Head buffer bounds (bytes). Browsers' heads are 0.3-2 KB; nginx's
 * default large_client_header_buffers is 4 x 8 KB. */
#define HTTP_LIMIT_DEFAULT 8192u
#define HTTP_LIMIT_MIN 256u
#define HTTP_LIMIT_MAX (64u * 1024u)

#define HTTP_COOKIES_MAX 4        /* named cookies one parser extracts */
#define HTTP_FIELDS_MAX 128       /* header fields in one head */
#define HTTP_LEADING_EMPTY_MAX 4  /* empty lines skipped before the request */
#define HTTP_METHOD_MAX 32        /* longest method token accepted */

enum http_reason {
	HTTP_R_NONE = 0,       /* not rejected */
	HTTP_R_NOT_HTTP,       /* bytes that cannot start an HTTP/1.x request */
	HTTP_R_TOO_BIG,        /* head above the buffer limit */
	HTTP_R_TRUNCATED,      /* stream ended inside the head */
	HTTP_R_BARE_CR,        /* CR not followed by LF */
	HTTP_R_CONTROL,        /* control byte (other than HTAB) in a line */
	HTTP_R_REQUEST_LINE,   /* request line is not "method SP target SP version" */
	HTTP_R_VERSION,        /* version other than HTTP/1.0 and HTTP/1.1 */
	HTTP_R_TARGET,         /* request-target has no recognised form */
	HTTP_R_FIELD_NAME,     /* field name empty or not a token */
	HTTP_R_FIELD_SPACE,    /* whitespace between field name and colon */
	HTTP_R_FOLDING,        /* obsolete line folding */
	HTTP_R_TOO_MANY_FIELDS,/* more than HTTP_FIELDS_MAX fields */
	HTTP_R_HOST_DUPLICATE, /* second Host field */
	HTTP_R_HOST_INVALID,   /* Host (field or target authority) malformed */
	HTTP_R_MAX
};

/* Returns a static, lower-case name for r ("unknown" when out of range). */
const char *http_reason_str(enum http_reason r);

/* What one request head says. Strings are not NUL-terminated. */
struct http_request {
	const char *method;   /* method token */
	size_t method_len;
	const char *target;   /* request-target as sent */
	size_t target_len;
	const char *path;     /* target up to '?' or '#'; "*" for OPTIONS *;
				 empty for CONNECT's authority form */
	size_t path_len;
	uint8_t version_minor;/* 0 or 1 */

	bool has_host;        /* from an absolute-form target, else the field */
	const char *host;     /* lower-cased, no port, no trailing dot; an IPv6
				 literal keeps its brackets */
	size_t host_len;
	int32_t host_port;    /* port given with the host, -1 if none */

	bool has_cookie[HTTP_COOKIES_MAX]; /* per name given to http_req_new */
	const char *cookie[HTTP_COOKIES_MAX];
	size_t cookie_len[HTTP_COOKIES_MAX];

	unsigned fields;      /* header fields in the head */
	size_t head_len;      /* bytes of the head, empty line included */
};

struct http_req;

/* Allocates a parser buffering at most limit bytes of head (0 means
 * HTTP_LIMIT_DEFAULT) and extracting the ncookies cookies named in
 * cookies[] (names compared exactly, as browsers send them). Returns NULL
 * with errno EINVAL when limit is outside [HTTP_LIMIT_MIN, HTTP_LIMIT_MAX],
 * ncookies > HTTP_COOKIES_MAX or a name is empty, ENOMEM on allocation
 * failure. The caller frees it with http_req_free. */
struct http_req *http_req_new(size_t limit, const char *const *cookies,
			      unsigned ncookies);

/* Frees p. NULL is allowed. */
void http_req_free(struct http_req *p);

/* Forgets all state so p can read a new stream; old results die. */
void http_req_reset(struct http_req *p);

/* Feeds the next len bytes of the client->server stream; returns per the
 * convention above. buf is only read during the call. */
int http_req_feed(struct http_req *p, const void *buf, size_t len);

/* Tells p the stream ended. Returns HTTP_DONE if the head was complete,
 * else -EBADMSG with HTTP_R_TRUNCATED (or the earlier error). */
int http_req_eof(struct http_req *p);

/* Returns the head once http_req_feed returned HTTP_DONE, else NULL. */
const struct http_request *http_req_result(const struct http_req *p);

/* Returns why p rejected its input, HTTP_R_NONE if it did not. */
enum http_reason http_req_reason(const struct http_req *p);

/* Returns how many stream bytes p has consumed (on a rejection: the offset
 * at which it was decided). */
uint64_t http_req_offset(const struct http_req *p);

#endif
