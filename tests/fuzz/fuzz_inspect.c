/* libFuzzer harness for splicectl inspect's flow decoding: TCP reassembly,
 * TLS record/handshake framing, the dispatcher's TLS parsers behind it,
 * and the text and JSON printers.
 *
 * Input: a list of segments, each
 *   u8 flags (bit 0: from the client, bit 1: SYN, bit 2: JSON output)
 *   u16 seq delta (big-endian, signed, from the direction's running offset)
 *   u8 length, then that many payload bytes.
 * Seeds are real openssl handshakes in this form (seeds/inspect/).
 */
#include <stdio.h>
#include <string.h>

#include "../../tools/splicectl/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct sc_flow fl;
	struct sc_out out = { 0 };
	uint32_t next[2] = { 1000, 500000 };
	uint64_t frame = 0;
	size_t i = 0;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	memset(&fl, 0, sizeof(fl));
	fl.family = 2; /* AF_INET */
	fl.caddr[0] = 127;
	fl.saddr[0] = 127;
	fl.cport = 40000;
	fl.sport = 443;
	out.f = devnull;
	out.json = size > 0 && (data[0] & 4);
	sc_out_begin(&out, "fuzz");
	while (i + 4 <= size) {
		uint8_t flags = data[i];
		int16_t delta = (int16_t)(data[i + 1] << 8 | data[i + 2]);
		size_t len = data[i + 3];
		int d = flags & 1;

		i += 4;
		if (len > size - i)
			len = size - i;
		frame++;
		if (sc_dir_segment(&fl, d, next[d] + (uint32_t)(int32_t)delta,
				   flags & 2, data + i, len, frame, &out) < 0)
			break;
		next[d] += (uint32_t)len;
		i += len;
	}
	for (int d = 0; d < 2; d++)
		(void)sc_walk_eof(d ? &fl.s2c.w : &fl.c2s.w);
	sc_dir_release(&fl, true);
	sc_dir_release(&fl, false);
	sc_out_end(&out, frame, 1, fl.is_tls, 0, NULL);
	return 0;
}
