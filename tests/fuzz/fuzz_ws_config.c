/* libFuzzer harness for withsplice's --config text (preload/ws_args.c):
 * the bytes are a whole config file, any length, NULs and overlong lines
 * included. Checks what must hold after any input: the kept text fields
 * stay NUL-terminated within their arrays. */
#include "ws_args.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ws_opts o;
	char err[256];

	ws_opts_init(&o);
	(void)ws_opts_config(&o, (const char *)data, size, "fuzz", err, sizeof(err));
	if (!memchr(o.rules, '\0', sizeof(o.rules)) || !memchr(o.peers, '\0', sizeof(o.peers)) ||
	    !memchr(o.multihome, '\0', sizeof(o.multihome)) || strlen(o.rules) != o.rlen ||
	    !memchr(err, '\0', sizeof(err)))
		abort();
	return 0;
}
