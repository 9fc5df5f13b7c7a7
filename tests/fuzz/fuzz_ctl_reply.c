/* libFuzzer harness for splicectl's reader of spliced's replies
 * (tools/splicectl/ctl_client.c, sc_ctl_request): the "ok|error LEN\n"
 * header through its cursor, the length bound, and the body read. The
 * input is what the daemon (or whatever the -s path reached) sends back,
 * over a real socketpair, so the reader's recv loop runs as it does live.
 *
 * Besides not crashing: a reply counts only if it starts "ok " or
 * "error ", and then the body is NUL-terminated where the header said.
 * Seeds: seeds/ctl_reply, real replies of a running spliced (show stats,
 * backends, table, conns, with and without --json, and an error),
 * recorded by make_ctl_reply_seeds.py. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../tools/splicectl/splicectl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const words[] = { "show", "stats" };
	static FILE *null;
	char *body = NULL;
	int sv[2], r;

	if (!null) {
		/* The reader explains each refusal on stderr: keep the stream
		 * quiet, not fd 2, where libFuzzer and the sanitizers report. */
		null = fopen("/dev/null", "w");
		if (!null)
			abort();
		stderr = null;
	}
	/* Larger than a socket buffer would block the single thread. */
	if (size > 65536)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (size && write(sv[1], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	r = sc_ctl_request(sv[0], words, 2, &body);
	if (r < -1 || r > 1)
		abort();
	if (r >= 0) {
		size_t hl = r ? 3 : 6;

		if (!body || size < hl || memcmp(data, r ? "ok " : "error ", hl) != 0)
			abort(); /* accepted a header that is neither */
	} else if (body) {
		abort(); /* a failure must not hand out a body */
	}
	free(body);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
