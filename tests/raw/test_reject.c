/* One test per rejection branch of the packet parser, and the accepted
 * edge cases next to them (the policy is in include/splicekit/raw_pkt.h).
 * Packets are built from a valid segment made by raw_tcp_build() and then
 * broken one field at a time, so each test fails for exactly one reason. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "helpers.h"
#include "splicekit/raw_csum.h"
#include "splicekit/raw_pkt.h"
#include "splicekit/raw_rewrite.h"

static const uint8_t A4[4] = { 10, 0, 0, 1 }, B4[4] = { 10, 0, 0, 2 };
static const uint8_t A6[16] = { 0xfd, 0, [15] = 1 }, B6[16] = { 0xfd, 0, [15] = 2 };
static const uint8_t PAY[5] = "hello";

/* Ethernet header + a valid IPv4 or IPv6 TCP segment with 5 payload bytes.
 * Returns the frame length. */
static size_t frame(uint8_t *buf, int family)
{
	struct raw_tcp_spec s = {
		.family = family, .saddr = family == AF_INET ? A4 : A6,
		.daddr = family == AF_INET ? B4 : B6, .sport = 1000, .dport = 80,
		.seq = 1, .ack = 2, .flags = 0x18, .window = 512,
		.payload = PAY, .payload_len = sizeof(PAY),
	};
	int n;

	memset(buf, 0, 14);
	buf[12] = family == AF_INET ? 0x08 : 0x86;
	buf[13] = family == AF_INET ? 0x00 : 0xdd;
	n = raw_tcp_build(buf + 14, 1500, &s, NULL);
	cr_assert_gt(n, 0);
	return 14 + (size_t)n;
}

/* Inserts n bytes at off in a frame of *len bytes. */
static void insert(uint8_t *buf, size_t *len, size_t off, const uint8_t *b,
		   size_t n)
{
	memmove(buf + off + n, buf + off, *len - off);
	memcpy(buf + off, b, n);
	*len += n;
}

static void expect(uint8_t *buf, size_t len, enum raw_link link, int err,
		   enum raw_reason why)
{
	struct raw_pkt p;
	int r = raw_parse(&p, buf, len, link);

	cr_assert_eq(r, err, "returned %d, want %d (reason %s)", r, err,
		     raw_reason_str(p.reason));
	cr_assert_eq(p.reason, why, "reason %s, want %s", raw_reason_str(p.reason),
		     raw_reason_str(why));
	cr_assert_not(p.is_tcp);
	cr_assert_neq(strcmp(raw_reason_str(why), "unknown"), 0);
}

#define REJECT(name, ...) Test(reject, name) { uint8_t b[2048]; size_t n; (void)n; __VA_ARGS__ }

/* --- link layer --- */
REJECT(eth_trunc, {
	n = frame(b, AF_INET);
	expect(b, 13, RAW_LINK_ETH, -EBADMSG, RAW_R_ETH_TRUNC);
	expect(b, 0, RAW_LINK_ETH, -EBADMSG, RAW_R_ETH_TRUNC);
})
REJECT(vlan_trunc, {
	n = frame(b, AF_INET);
	b[12] = 0x81; b[13] = 0x00;
	expect(b, 17, RAW_LINK_ETH, -EBADMSG, RAW_R_VLAN_TRUNC);
})
REJECT(vlan_qinq, {
	n = frame(b, AF_INET);
	b[12] = 0x88; b[13] = 0xa8;
	expect(b, n, RAW_LINK_ETH, -EPROTONOSUPPORT, RAW_R_VLAN_STACKED);
})
REJECT(vlan_double_8021q, {
	static const uint8_t tag[4] = { 0x81, 0x00, 0x00, 0x05 };
	n = frame(b, AF_INET);
	insert(b, &n, 12, tag, 4);
	insert(b, &n, 12, tag, 4);
	expect(b, n, RAW_LINK_ETH, -EPROTONOSUPPORT, RAW_R_VLAN_STACKED);
})
REJECT(ethertype_arp, {
	n = frame(b, AF_INET);
	b[12] = 0x08; b[13] = 0x06;
	expect(b, n, RAW_LINK_ETH, -EPROTONOSUPPORT, RAW_R_ETHERTYPE);
})
REJECT(ethertype_8023_length, {
	n = frame(b, AF_INET);
	b[12] = 0x00; b[13] = 0x40;
	expect(b, n, RAW_LINK_ETH, -EPROTONOSUPPORT, RAW_R_ETHERTYPE);
})
REJECT(ethertype_inside_vlan, {
	static const uint8_t tag[4] = { 0x81, 0x00, 0x00, 0x05 };
	n = frame(b, AF_INET);
	insert(b, &n, 12, tag, 4);
	b[16] = 0x08; b[17] = 0x06;
	expect(b, n, RAW_LINK_ETH, -EPROTONOSUPPORT, RAW_R_ETHERTYPE);
})
REJECT(sll_trunc, {
	n = frame(b, AF_INET);
	expect(b, 15, RAW_LINK_SLL, -EBADMSG, RAW_R_SLL_TRUNC);
})
REJECT(bad_link_value, {
	n = frame(b, AF_INET);
	expect(b, n, (enum raw_link)99, -EINVAL, RAW_R_ETHERTYPE);
})

/* --- IP common --- */
REJECT(ipv4_trunc, {
	n = frame(b, AF_INET);
	expect(b, 14 + 19, RAW_LINK_ETH, -EBADMSG, RAW_R_IP_TRUNC);
})
REJECT(ipv6_trunc, {
	n = frame(b, AF_INET6);
	expect(b, 14 + 39, RAW_LINK_ETH, -EBADMSG, RAW_R_IP_TRUNC);
})
REJECT(raw_ip_empty, {
	n = frame(b, AF_INET);
	expect(b + 14, 0, RAW_LINK_IP, -EBADMSG, RAW_R_IP_TRUNC);
})
REJECT(version_vs_ethertype_v4, {
	n = frame(b, AF_INET6);
	b[12] = 0x08; b[13] = 0x00; /* says IPv4, carries IPv6 */
	expect(b, n, RAW_LINK_ETH, -EBADMSG, RAW_R_IP_VERSION);
})
REJECT(version_vs_ethertype_v6, {
	n = frame(b, AF_INET);
	b[12] = 0x86; b[13] = 0xdd; /* says IPv6, carries IPv4 */
	memset(b + n, 0, 40);       /* long enough for an IPv6 header */
	expect(b, n + 40, RAW_LINK_ETH, -EBADMSG, RAW_R_IP_VERSION);
})
REJECT(raw_ip_version_5, {
	n = frame(b, AF_INET);
	b[14] = 0x55;
	expect(b + 14, n - 14, RAW_LINK_IP, -EBADMSG, RAW_R_IP_VERSION);
})

/* --- IPv4 --- */
REJECT(ipv4_ihl_below_5, {
	n = frame(b, AF_INET);
	b[14] = 0x44;
	expect(b, n, RAW_LINK_ETH, -EBADMSG, RAW_R_IPV4_IHL);
	b[14] = 0x40;
	expect(b, n, RAW_LINK_ETH, -EBADMSG, RAW_R_IPV4_IHL);
})
REJECT(ipv4_ihl_past_capture, {
	n = frame(b, AF_INET);
	b[14] = 0x4f; /* 60-byte header, 20 + 25 bytes captured after it */
	expect(b, 14 + 40, RAW_LINK_ETH, -EBADMSG, RAW_R_IPV4_OPT_TRUNC);
})
REJECT(ipv4_totlen_below_ihl, {
	n = frame(b, AF_INET);
	b[16] = 0; b[17] = 19;
	expect(b, n, RAW_LINK_ETH, -EBADMSG, RAW_R_IPV4_TOTLEN_SHORT);
})
REJECT(ipv4_totlen_past_capture, {
	n = frame(b, AF_INET);
	expect(b, n - 1, RAW_LINK_ETH, -EBADMSG, RAW_R_IP_LEN_PAST);
})
REJECT(ipv4_first_fragment, {
	n = frame(b, AF_INET);
	b[20] = 0x20; b[21] = 0; /* MF, offset 0 */
	expect(b, n, RAW_LINK_ETH, -EOPNOTSUPP, RAW_R_FRAGMENT);
})
REJECT(ipv4_later_fragment, {
	n = frame(b, AF_INET);
	b[20] = 0x00; b[21] = 0x03; /* no MF, offset 24 bytes: the last one */
	expect(b, n, RAW_LINK_ETH, -EOPNOTSUPP, RAW_R_FRAGMENT);
	b[20] = 0x20; /* MF and an offset: a middle one */
	expect(b, n, RAW_LINK_ETH, -EOPNOTSUPP, RAW_R_FRAGMENT);
})

/* --- IPv6 extension headers --- */
/* Inserts an 8-byte extension header of type ext after the fixed header
 * and chains it in front of what was there. */
static void ext6(uint8_t *b, size_t *n, uint8_t ext, uint8_t body_units)
{
	uint8_t h[24] = { 0 };
	size_t hl = 8 + (size_t)body_units * 8;
	unsigned plen = (unsigned)(b[18] << 8 | b[19]) + (unsigned)hl;

	h[0] = b[20];
	h[1] = body_units;
	insert(b, n, 54, h, hl);
	b[20] = ext;
	b[18] = (uint8_t)(plen >> 8);
	b[19] = (uint8_t)plen;
}

REJECT(ipv6_payload_past_capture, {
	n = frame(b, AF_INET6);
	expect(b, n - 1, RAW_LINK_ETH, -EBADMSG, RAW_R_IP_LEN_PAST);
})
REJECT(ipv6_fragment_header, {
	n = frame(b, AF_INET6);
	ext6(b, &n, 44, 0);
	expect(b, n, RAW_LINK_ETH, -EOPNOTSUPP, RAW_R_FRAGMENT);
})
REJECT(ipv6_fragment_after_dstopts, {
	n = frame(b, AF_INET6);
	ext6(b, &n, 44, 0);
	ext6(b, &n, 60, 0);
	expect(b, n, RAW_LINK_ETH, -EOPNOTSUPP, RAW_R_FRAGMENT);
})
REJECT(ipv6_esp, {
	n = frame(b, AF_INET6);
	b[20] = 50;
	expect(b, n, RAW_LINK_ETH, -EPROTONOSUPPORT, RAW_R_IPV6_ESP);
})
REJECT(ipv6_ah, {
	n = frame(b, AF_INET6);
	ext6(b, &n, 51, 1);
	expect(b, n, RAW_LINK_ETH, -EPROTONOSUPPORT, RAW_R_IPV6_AH);
})
REJECT(ipv6_ext_unknown, {
	static const uint8_t kinds[] = { 135, 139, 140, 253, 254 };
	for (size_t i = 0; i < sizeof(kinds); i++) {
		n = frame(b, AF_INET6);
		ext6(b, &n, kinds[i], 0);
		expect(b, n, RAW_LINK_ETH, -EPROTONOSUPPORT, RAW_R_IPV6_EXT_UNKNOWN);
	}
})
REJECT(ipv6_ext_chain_limit, {
	n = frame(b, AF_INET6);
	for (int i = 0; i <= RAW_IPV6_EXT_MAX; i++)
		ext6(b, &n, 60, 0);
	expect(b, n, RAW_LINK_ETH, -ELOOP, RAW_R_IPV6_EXT_LIMIT);
})
REJECT(ipv6_ext_trunc_header, {
	n = frame(b, AF_INET6);
	b[20] = 0; /* hop-by-hop, but only one byte of payload */
	b[18] = 0; b[19] = 1;
	expect(b, 14 + 41, RAW_LINK_ETH, -EBADMSG, RAW_R_IPV6_EXT_TRUNC);
})
REJECT(ipv6_ext_len_past_payload, {
	n = frame(b, AF_INET6);
	ext6(b, &n, 0, 0);
	b[55] = 30; /* claims 248 bytes */
	expect(b, n, RAW_LINK_ETH, -EBADMSG, RAW_R_IPV6_EXT_TRUNC);
})
REJECT(ipv6_hbh_not_first, {
	n = frame(b, AF_INET6);
	ext6(b, &n, 0, 0);
	ext6(b, &n, 60, 0);
	expect(b, n, RAW_LINK_ETH, -EBADMSG, RAW_R_IPV6_HBH_POS);
})

/* --- TCP --- */
REJECT(tcp_trunc_v4, {
	n = frame(b, AF_INET);
	b[16] = 0; b[17] = 20 + 19; /* 19 bytes of TCP */
	expect(b, 14 + 39, RAW_LINK_ETH, -EBADMSG, RAW_R_TCP_TRUNC);
})
REJECT(tcp_trunc_v6, {
	n = frame(b, AF_INET6);
	b[18] = 0; b[19] = 19;
	expect(b, 14 + 40 + 19, RAW_LINK_ETH, -EBADMSG, RAW_R_TCP_TRUNC);
})
REJECT(tcp_doff_short, {
	n = frame(b, AF_INET);
	for (uint8_t d = 0; d < 5; d++) {
		b[14 + 20 + 12] = (uint8_t)(d << 4);
		expect(b, n, RAW_LINK_ETH, -EBADMSG, RAW_R_TCP_DOFF_SHORT);
	}
})
REJECT(tcp_doff_past_end, {
	n = frame(b, AF_INET);
	b[14 + 20 + 12] = 0x70; /* 28 bytes of header, 25 bytes of segment */
	expect(b, n, RAW_LINK_ETH, -EBADMSG, RAW_R_TCP_DOFF_PAST);
	/* Bytes past the IP total length do not count as TCP header. */
	b[16] = 0; b[17] = 40;
	b[14 + 20 + 12] = 0x60;
	memset(b + 14 + 40, 1, 16);
	expect(b, 14 + 56, RAW_LINK_ETH, -EBADMSG, RAW_R_TCP_DOFF_PAST);
})

/* --- accepted edge cases --- */
Test(accept, ipv4_options_skipped)
{
	static const uint8_t opt[4] = { 0x94, 0x04, 0x00, 0x00 }; /* router alert */
	uint8_t b[2048];
	size_t n = frame(b, AF_INET);
	struct raw_pkt p;

	insert(b, &n, 34, opt, 4);
	b[14] = 0x46;
	b[17] += 4;
	cr_assert_eq(raw_parse_eth(&p, b, n), 0, "%s", raw_reason_str(p.reason));
	cr_assert_eq(p.l3_hlen, 24);
	cr_assert_eq(p.l4_off, 14 + 24);
	cr_assert_eq(p.sport, 1000);
	cr_assert_eq(p.payload_len, 5);
	/* The checksum helpers cover the options. */
	raw_ipv4_csum_set(&p);
	cr_assert(raw_ipv4_csum_ok(&p));
	cr_assert(raw_tcp_csum_ok(&p));
}

Test(accept, ipv4_df_is_not_a_fragment)
{
	uint8_t b[2048];
	size_t n = frame(b, AF_INET);
	struct raw_pkt p;

	cr_assert_eq(b[20], 0x40);
	cr_assert_eq(raw_parse_eth(&p, b, n), 0);
	cr_assert(p.is_tcp);
}

Test(accept, ipv6_ext_chain_walked)
{
	uint8_t b[2048];
	size_t n = frame(b, AF_INET6);
	struct raw_pkt p;

	ext6(b, &n, 60, 1); /* destination options, 16 bytes */
	ext6(b, &n, 43, 0); /* routing */
	ext6(b, &n, 0, 2);  /* hop-by-hop first, 24 bytes */
	memset(b + n, 0, 7); /* link padding */
	cr_assert_eq(raw_parse_eth(&p, b, n + 7), 0, "%s", raw_reason_str(p.reason));
	cr_assert_eq(p.l3_hlen, 40 + 16 + 8 + 24);
	cr_assert_eq(p.l4_proto, 6);
	cr_assert_eq(p.len, n);
	cr_assert_eq(p.dport, 80);
	cr_assert_eq(p.payload_len, 5);
	/* The pseudo-header length is the upper-layer length, not the
	 * payload length: the checksum made before the headers went in still
	 * holds. */
	cr_assert(raw_tcp_csum_ok(&p));
}

Test(accept, ipv6_ext_chain_at_limit)
{
	uint8_t b[2048];
	size_t n = frame(b, AF_INET6);
	struct raw_pkt p;

	for (int i = 0; i < RAW_IPV6_EXT_MAX; i++)
		ext6(b, &n, 60, 0);
	cr_assert_eq(raw_parse_eth(&p, b, n), 0, "%s", raw_reason_str(p.reason));
	cr_assert(p.is_tcp);
}

static void not_tcp(uint8_t *b, size_t n, uint8_t proto)
{
	struct raw_pkt p;

	cr_assert_eq(raw_parse_eth(&p, b, n), 0, "%s", raw_reason_str(p.reason));
	cr_assert_eq(p.reason, RAW_R_OK);
	cr_assert_not(p.is_tcp);
	cr_assert_eq(p.l4_proto, proto);
	cr_assert_eq(p.l4_len, 25);
}

Test(accept, other_protocols_reported)
{
	uint8_t b[2048];
	size_t n = frame(b, AF_INET);
	struct raw_pkt p;
	struct raw_tcpopts o;
	static const uint8_t a[4] = { 1, 2, 3, 4 };

	b[14 + 9] = 17;
	not_tcp(b, n, 17);
	b[14 + 9] = 132;
	not_tcp(b, n, 132);
	n = frame(b, AF_INET6);
	b[20] = 58;
	not_tcp(b, n, 58);
	b[20] = 59; /* no next header */
	not_tcp(b, n, 59);
	/* TCP-only helpers refuse the view and leave the bytes alone. */
	n = frame(b, AF_INET);
	b[14 + 9] = 17;
	cr_assert_eq(raw_parse_eth(&p, b, n), 0);
	cr_assert_eq(raw_rw_daddr(&p, a), -EINVAL);
	cr_assert_eq(raw_rw_seq(&p, 5), -EINVAL);
	cr_assert_eq(raw_pkt_tcpopts(&p, &o), -EINVAL);
	cr_assert_eq(p.reason, RAW_R_NOT_TCP);
	cr_assert_eq(b[30], 10);
}

Test(accept, reason_names_unique)
{
	for (int i = 0; i < RAW_R_MAX; i++) {
		cr_assert_neq(strcmp(raw_reason_str((enum raw_reason)i), "unknown"), 0,
			      "reason %d has no name", i);
		for (int j = 0; j < i; j++)
			cr_assert_neq(strcmp(raw_reason_str((enum raw_reason)i),
					     raw_reason_str((enum raw_reason)j)), 0);
	}
	cr_assert_str_eq(raw_reason_str(RAW_R_FRAGMENT), "fragment");
	cr_assert_str_eq(raw_reason_str(RAW_R_MAX), "unknown");
	cr_assert_str_eq(raw_reason_str((enum raw_reason)-1), "unknown");
}
