/* libFuzzer harness for the --multihome and --peer address lists
 * (preload/ws_addrs.c). The first byte picks the parser; the rest is the
 * text, length-bounded and not NUL-terminated, so a read past it is an
 * ASan report. Counts must stay within the tables. */
#include "ws_args.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_addr a[WS_ADDRS_MAX];
	struct ws_peer_group g[WS_PEER_GROUPS];
	char err[160];
	unsigned n = 0;
	char *text;

	if (size < 1)
		return 0;
	/* An exact-size copy: the parsers get no NUL after the text. */
	text = malloc(size - 1 ? size - 1 : 1);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	if (data[0] & 1) {
		if (ws_peers_spec(text, size - 1, g, WS_PEER_GROUPS, &n, err, sizeof(err)) == 0)
			for (unsigned i = 0; i < n; i++)
				if (g[i].n < 2 || g[i].n > WS_ADDRS_MAX)
					abort();
		if (n > WS_PEER_GROUPS)
			abort();
	} else {
		if (ws_addrs_parse(text, size - 1, a, WS_ADDRS_MAX, &n, err, sizeof(err)) == 0)
			for (unsigned i = 0; i < n; i++)
				if (a[i].family != AF_INET && a[i].family != AF_INET6)
					abort();
		if (n > WS_ADDRS_MAX)
			abort();
	}
	free(text);
	return 0;
}
