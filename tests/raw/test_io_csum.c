/* raw_io_csum_fix: the checksum half of the offload policy. Packets are
 * built with raw_tcp_build (both checksums right), then damaged the way
 * offloads or the wire damage them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_io.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_rewrite.h>

static uint8_t buf[256];
static struct raw_pkt pkt;

static void build(int family)
{
	static const uint8_t c4[4] = { 10, 0, 1, 2 }, v4[4] = { 10, 0, 100, 1 };
	static const uint8_t c6[16] = { 0xfd, 0, 0, 1, [15] = 2 };
	static const uint8_t v6[16] = { 0xfd, 0, 1, 0, [15] = 1 };
	struct raw_tcp_spec s = {
		.family = family,
		.saddr = family == AF_INET ? c4 : c6,
		.daddr = family == AF_INET ? v4 : v6,
		.sport = 40000, .dport = 80, .seq = 1000, .ack = 2000,
		.flags = RAW_TCP_ACK | RAW_TCP_PSH, .window = 512,
		.payload = "GET / HTTP/1.0\r\n\r\n", .payload_len = 18,
	};
	int n = raw_tcp_build(buf, sizeof(buf), &s, NULL);

	cr_assert_gt(n, 0);
	cr_assert_eq(raw_parse_ip(&pkt, buf, (size_t)n), 0);
	cr_assert(pkt.is_tcp);
	cr_assert(raw_tcp_csum_ok(&pkt));
}

static void set_field(uint16_t v)
{
	buf[pkt.l4_off + 16] = (uint8_t)(v >> 8);
	buf[pkt.l4_off + 17] = (uint8_t)v;
}

/* The pseudo-header sum, folded, not complemented: what Linux leaves in
 * the field of a CHECKSUM_PARTIAL segment. */
static uint16_t pseudo_field(void)
{
	uint32_t sum = pkt.family == AF_INET ?
		raw_csum_pseudo4(pkt.saddr, pkt.daddr, 6, pkt.l4_len) :
		raw_csum_pseudo6(pkt.saddr, pkt.daddr, 6, pkt.l4_len);

	return (uint16_t)~raw_csum_fold(sum);
}

Test(io_csum, right_checksum_passes_untouched)
{
	uint8_t before[256];

	build(AF_INET);
	memcpy(before, buf, sizeof(buf));
	cr_assert_eq(raw_io_csum_fix(&pkt, 0), 0);
	cr_assert_eq(raw_io_csum_fix(&pkt, RAW_FRAME_CSUM_UNKNOWN), 0);
	cr_assert_eq(memcmp(before, buf, sizeof(buf)), 0);
}

Test(io_csum, partial_flag_completes)
{
	build(AF_INET);
	set_field(pseudo_field());
	cr_assert_not(raw_tcp_csum_ok(&pkt));
	cr_assert_eq(raw_io_csum_fix(&pkt, RAW_FRAME_CSUM_PARTIAL), 1);
	cr_assert(raw_tcp_csum_ok(&pkt));
}

Test(io_csum, partial_signature_completed_only_when_state_unknown)
{
	build(AF_INET6);
	set_field(pseudo_field());
	/* afpacket saw no CSUMNOTREADY: this came off a wire like that. */
	cr_assert_eq(raw_io_csum_fix(&pkt, 0), -EBADMSG);
	/* pcap cannot tell: the signature identifies a partial checksum. */
	cr_assert_eq(raw_io_csum_fix(&pkt, RAW_FRAME_CSUM_UNKNOWN), 1);
	cr_assert(raw_tcp_csum_ok(&pkt));
}

Test(io_csum, corrupt_payload_is_refused)
{
	build(AF_INET);
	buf[pkt.payload_off + 3] ^= 0x20;
	cr_assert_eq(raw_io_csum_fix(&pkt, 0), -EBADMSG);
	cr_assert_eq(raw_io_csum_fix(&pkt, RAW_FRAME_CSUM_UNKNOWN), -EBADMSG);
	cr_assert_not(raw_tcp_csum_ok(&pkt), "refusing must not repair it");
}

Test(io_csum, kernel_verified_is_trusted)
{
	build(AF_INET);
	/* CSUM_VALID means hardware checked the bytes it received; the test
	 * damages them only to show no second check runs. */
	buf[pkt.payload_off] ^= 1;
	cr_assert_eq(raw_io_csum_fix(&pkt, RAW_FRAME_CSUM_VALID), 0);
}

Test(io_csum, bad_ipv4_header_checksum_is_refused)
{
	build(AF_INET);
	buf[pkt.l3_off + 10] ^= 0xff;
	cr_assert_eq(raw_io_csum_fix(&pkt, RAW_FRAME_CSUM_PARTIAL), -EBADMSG);
}

Test(io_csum, partial_then_incremental_rewrite_stays_right)
{
	static const uint8_t backend[4] = { 10, 0, 11, 2 };

	build(AF_INET);
	set_field(pseudo_field());
	cr_assert_eq(raw_io_csum_fix(&pkt, RAW_FRAME_CSUM_PARTIAL), 1);
	cr_assert_eq(raw_rw_daddr(&pkt, backend), 0);
	cr_assert_eq(raw_rw_dport(&pkt, 8080), 0);
	cr_assert(raw_tcp_csum_ok(&pkt));
	cr_assert(raw_ipv4_csum_ok(&pkt));
}

Test(io_csum, non_tcp_is_einval)
{
	/* IPv4 + UDP 10.0.1.2:53 -> 10.0.1.1:53, no payload, header csum right. */
	uint8_t udp[28] = { 0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0,
			    10, 0, 1, 2, 10, 0, 1, 1, 0, 53, 0, 53, 0, 8, 0, 0 };
	uint16_t c = raw_csum(udp, 20);

	udp[10] = (uint8_t)(c >> 8);
	udp[11] = (uint8_t)c;
	cr_assert_eq(raw_parse_ip(&pkt, udp, sizeof(udp)), 0);
	cr_assert_not(pkt.is_tcp);
	cr_assert_eq(raw_io_csum_fix(&pkt, RAW_FRAME_CSUM_PARTIAL), -EINVAL);
}
