/* libFuzzer harness for splicectl inspect's capture front end
 * (tools/splicectl/inspect.c): libpcap's pcap/pcapng reader, the link
 * types inspect maps, per-frame length checks, raw_parse and the flow
 * table, then the flow decoding fuzz_inspect covers on its own.
 *
 * Input: one option byte, then the capture file. The file goes through
 * sc_cmd_inspect as a user's would (a path: /proc/self/fd of a memfd), so
 * nothing of inspect.c is bypassed. Option bits: 0 --json, 1 --sni-key,
 * 2 a --ticket-prefix and a --sid-prefix. Output goes to /dev/null.
 * Seeds (seeds/inspect_pcap, made by make_inspect_pcap_seeds.py from the
 * real handshakes in seeds/inspect): Ethernet, raw IP, SLL, SLL2 and
 * loopback captures, pcap and pcapng, IPv4 and IPv6. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../tools/splicectl/splicectl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	char *argv[10];
	int argc = 0;
	struct sc_global g = { 0 };

	if (fd < 0) {
		FILE *null = fopen("/dev/null", "w");

		fd = memfd_create("fuzz_inspect_pcap", 0);
		if (fd < 0 || !null)
			abort();
		/* inspect prints to stdout and its errors to stderr; swap the
		 * streams, not the descriptors, so libFuzzer's and the
		 * sanitizers' reports (fd 2) still show. */
		stdout = null;
		stderr = null;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (size < 1)
		return 0;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
		abort();
	argv[argc++] = "inspect";
	if (data[0] & 1)
		argv[argc++] = "--json";
	if (data[0] & 2)
		argv[argc++] = "--sni-key";
	if (data[0] & 4) {
		argv[argc++] = "--ticket-prefix";
		argv[argc++] = "aabb=1";
		argv[argc++] = "--sid-prefix";
		argv[argc++] = "01=2";
	}
	argv[argc++] = path;
	argv[argc] = NULL;
	(void)sc_cmd_inspect(argc, argv, &g);
	fflush(stdout);
	return 0;
}
