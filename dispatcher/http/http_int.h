/* Inside the HTTP/1.x head parser: the parser's state and the line parsers
 * that http_req.c calls once per complete line. */
#ifndef SPLICEKIT_HTTP_INT_H
#define SPLICEKIT_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splicekit/cursor.h>

#include "http.h"

struct http_req {
	uint8_t *buf;           /* the head so far; results point into it */
	size_t limit;           /* capacity of buf */
	size_t len;             /* bytes in buf */
	size_t line;            /* start of the line being received */
	uint64_t offset;        /* stream bytes consumed */
	int state;              /* HTTP_MORE, HTTP_DONE or a negative errno */
	enum http_reason reason;
	bool cr;                /* the last byte was a CR */
	bool have_reqline;      /* the request line has been parsed */
	bool in_method;         /* still inside the request line's method */
	unsigned method_len;    /* method bytes seen so far */
	unsigned empties;       /* empty lines skipped before the request */
	unsigned host_fields;   /* Host fields seen */
	bool host_from_target;  /* absolute or authority form gave the host */
	const char *const *cookies;
	unsigned ncookies;
	struct http_request res;
};

/* True for the bytes of an RFC 9110 token (tchar). */
bool http_tchar(uint8_t c);

/* Parses the request line in *line (line ending removed) into p->res:
 * HTTP_R_NONE, or the reason it is rejected. */
enum http_reason http_line_request(struct http_req *p, struct raw_cur *line);

/* Parses one header field line into p->res (Host and the named cookies;
 * other fields are only checked): HTTP_R_NONE or the reason. */
enum http_reason http_line_field(struct http_req *p, struct raw_cur *line);

/* Parses an authority (host[:port], no userinfo) in *a, lower-casing the
 * host in place, and stores it as the request's host: HTTP_R_NONE or
 * HTTP_R_HOST_INVALID. An empty authority leaves has_host false. */
enum http_reason http_authority(struct http_req *p, struct raw_cur *a);

#endif
