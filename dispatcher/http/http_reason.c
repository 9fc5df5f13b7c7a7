/* Names of the HTTP head parser's rejection reasons (for logs and
 * splicectl). */
#include "http.h"

static const char *const names[HTTP_R_MAX] = {
	[HTTP_R_NONE] = "none",
	[HTTP_R_NOT_HTTP] = "not http/1.x",
	[HTTP_R_TOO_BIG] = "head above the buffer limit",
	[HTTP_R_TRUNCATED] = "stream ended inside the head",
	[HTTP_R_BARE_CR] = "cr not followed by lf",
	[HTTP_R_CONTROL] = "control byte in a line",
	[HTTP_R_REQUEST_LINE] = "malformed request line",
	[HTTP_R_VERSION] = "version is not http/1.0 or http/1.1",
	[HTTP_R_TARGET] = "request-target of no known form",
	[HTTP_R_FIELD_NAME] = "field name empty or not a token",
	[HTTP_R_FIELD_SPACE] = "whitespace before a field's colon",
	[HTTP_R_FOLDING] = "obsolete line folding",
	[HTTP_R_TOO_MANY_FIELDS] = "too many header fields",
	[HTTP_R_HOST_DUPLICATE] = "second host field",
	[HTTP_R_HOST_INVALID] = "malformed host",
};

const char *http_reason_str(enum http_reason r)
{
	if ((unsigned)r >= HTTP_R_MAX || !names[r])
		return "unknown";
	return names[r];
}
