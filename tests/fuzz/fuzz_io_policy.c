/* libFuzzer harness for the offload policy: raw_io_csum_fix and
 * raw_io_tcp_split on whatever raw_parse accepts. Invariants: a packet the
 * policy lets through has right checksums (unless the kernel vouched for
 * it), a refused one is left unrepaired, and splitting yields pieces no
 * larger than the MTU, each a valid TCP packet with right checksums, whose
 * payloads put together are the original payload, with seq advancing by
 * exactly the bytes before it.
 * Input: byte 0 = RAW_FRAME_* flags, byte 1 picks the MTU (68 + 8*b),
 * the rest is an Ethernet frame. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct acc {
	const struct raw_pkt *orig;
	unsigned mtu;
	uint32_t done;
};

static int piece(void *ctx, uint8_t *pkt, size_t len)
{
	struct acc *a = ctx;
	const struct raw_pkt *o = a->orig;
	struct raw_pkt v;

	CHECK(len <= a->mtu || o->l3_len <= a->mtu);
	CHECK(raw_parse_ip(&v, pkt, len) == 0);
	CHECK(v.is_tcp);
	CHECK(raw_tcp_csum_ok(&v));
	CHECK(v.family != AF_INET || raw_ipv4_csum_ok(&v));
	CHECK(v.seq == o->seq + a->done);
	CHECK(v.sport == o->sport && v.dport == o->dport && v.ack == o->ack);
	CHECK(a->done + v.payload_len <= o->payload_len);
	CHECK(memcmp(pkt + v.payload_off, o->buf + o->payload_off + a->done,
		     v.payload_len) == 0);
	a->done += v.payload_len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[70000], out[4096];
	struct raw_pkt p;
	uint32_t flags;
	unsigned mtu;
	int r, n;

	if (size < 2 || size - 2 > sizeof(buf))
		return 0;
	flags = data[0] & (RAW_FRAME_CSUM_PARTIAL | RAW_FRAME_CSUM_VALID |
			   RAW_FRAME_CSUM_UNKNOWN);
	mtu = 68 + 8u * data[1];
	memcpy(buf, data + 2, size - 2);
	if (raw_parse_eth(&p, buf, size - 2) < 0 || !p.is_tcp)
		return 0;
	r = raw_io_csum_fix(&p, flags);
	if (r < 0) {
		CHECK(!(flags & RAW_FRAME_CSUM_VALID) || (p.family == AF_INET &&
							    !raw_ipv4_csum_ok(&p)));
		if (!(flags & RAW_FRAME_CSUM_PARTIAL) && p.family == AF_INET6)
			CHECK(!raw_tcp_csum_ok(&p));
		return 0;
	}
	if (!(flags & RAW_FRAME_CSUM_VALID))
		CHECK(raw_tcp_csum_ok(&p));
	else
		raw_tcp_csum_set(&p); /* as if the kernel's word were true */
	struct acc a = { &p, mtu, 0 };
	n = raw_io_tcp_split(&p, mtu, out, sizeof(out), piece, &a);
	if (p.payload_off - p.l3_off >= mtu) {
		CHECK(n == -EMSGSIZE);
		return 0;
	}
	CHECK(n >= 1);
	CHECK(a.done == p.payload_len);
	return 0;
}
