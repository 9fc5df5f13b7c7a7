/* What the engine fuzzers (fuzz_nat, fuzz_splice) demand of every packet
 * a detached engine sends: it fits the MTU (super-packets were cut), parses
 * as TCP of the right family, and carries right checksums unless the
 * input frame lied that its checksum was already verified. Aborts
 * otherwise; returns the parsed view for harness-specific checks. */
#ifndef SPLICEKIT_FUZZ_TX_CHECK_H
#define SPLICEKIT_FUZZ_TX_CHECK_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_pkt.h>

static bool tx_lied; /* the current input frame claimed a verified checksum */

static struct raw_pkt tx_check(int family, const uint8_t *pkt, size_t len)
{
	static uint8_t copy[1600];
	struct raw_pkt p;

	if (len > 1500)
		abort(); /* segmentation missed a super-packet */
	memcpy(copy, pkt, len);
	if (raw_parse_ip(&p, copy, len) < 0 || !p.is_tcp || p.family != family)
		abort(); /* we emitted something malformed */
	if (!tx_lied && (!raw_tcp_csum_ok(&p) ||
			 (family == AF_INET && !raw_ipv4_csum_ok(&p))))
		abort(); /* a checksum we should have kept right is wrong */
	return p;
}

#endif
