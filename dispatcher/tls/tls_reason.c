/* Names of TLS rejection reasons, for logs and splicectl inspect. */
#include "tls/tls_int.h"

static const char *const names[TLS_R_MAX] = {
	[TLS_R_NONE] = "none",
	[TLS_R_NOT_TLS] = "not a TLS handshake",
	[TLS_R_RECORD_TRUNCATED] = "truncated record",
	[TLS_R_RECORD_TOO_LONG] = "record length above 2^14+2048",
	[TLS_R_RECORD_EMPTY] = "empty handshake record",
	[TLS_R_RECORD_TYPE] = "unexpected record content type",
	[TLS_R_RECORD_VERSION] = "record version is not 3.x",
	[TLS_R_INTERLEAVED] = "record interleaved with a handshake message",
	[TLS_R_HS_TRUNCATED] = "truncated handshake message",
	[TLS_R_HS_TYPE] = "unexpected handshake message type",
	[TLS_R_HS_OVERRUN] = "field runs past the handshake message",
	[TLS_R_HS_TRAILING] = "trailing bytes after the handshake fields",
	[TLS_R_TOO_BIG] = "handshake message above the buffer limit",
	[TLS_R_SESSION_ID_LEN] = "session_id longer than 32 bytes",
	[TLS_R_CIPHER_SUITES] = "cipher suite list empty or odd",
	[TLS_R_COMPRESSION] = "compression method list empty",
	[TLS_R_EXT_OVERRUN] = "extension runs past the extension block",
	[TLS_R_EXT_DUPLICATE] = "duplicate extension",
	[TLS_R_PSK_NOT_LAST] = "pre_shared_key is not the last extension",
	[TLS_R_PSK_MALFORMED] = "malformed pre_shared_key",
	[TLS_R_SNI_MALFORMED] = "malformed server_name",
	[TLS_R_ALPN_MALFORMED] = "malformed ALPN list",
	[TLS_R_VERSIONS_MALFORMED] = "malformed supported_versions",
	[TLS_R_TICKET_MALFORMED] = "malformed NewSessionTicket",
	[TLS_R_ALERT] = "peer sent an alert",
};

const char *tls_reason_str(enum tls_reason r)
{
	if ((unsigned)r >= TLS_R_MAX || !names[r])
		return "unknown";
	return names[r];
}
