/* libFuzzer harness: arbitrary SYN -> its options -> the SYN-ACK splice
 * mode answers with -> parsed back.
 *
 * Input: [mss hi][mss lo][wscale][win hi][win lo][tsval 4][ttl] (our
 * side, struct ssyn_local) then an IP packet taken as the client's SYN.
 * What must hold: no crash or sanitizer report; a local wscale > 14 is
 * refused with -EINVAL and nothing else is; the SYN-ACK parses as TCP
 * with good IPv4 and TCP checksums, SYN|ACK only, addresses and ports
 * swapped, ack = client ISN + 1; its window admits two segments of the
 * smaller MSS (as far as 16 unscaled bits go); it carries our MSS, and
 * window scale, SACK-permitted and timestamps only when the SYN offered
 * them, the timestamp echoing the client's TSval. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_pkt.h>
#include <splicekit/raw_tcpopt.h>
#include "splice/syn/splice_syn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 10

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t in[2048], out[128];
	struct raw_pkt p, q;
	struct raw_tcpopts to, ao;
	struct ssyn_tuple t;
	struct ssyn_opts c;
	struct ssyn_local l;
	uint32_t isn, peer, seg, want;
	unsigned alen;
	int n;

	if (size < HDR || size - HDR > sizeof in)
		return 0;
	memset(&l, 0, sizeof l);
	l.mss = (uint16_t)(data[0] << 8 | data[1]);
	l.wscale = data[2];
	l.window = (uint16_t)(data[3] << 8 | data[4]);
	l.tsval = (uint32_t)data[5] << 24 | (uint32_t)data[6] << 16 |
		  (uint32_t)data[7] << 8 | data[8];
	l.ttl = data[9];
	memcpy(in, data + HDR, size - HDR);
	if (raw_parse_ip(&p, in, size - HDR) != 0 || !p.is_tcp)
		return 0;
	if (raw_pkt_tcpopts(&p, &to) != 0)
		return 0;
	if (ssyn_tuple_from_pkt(&p, &t) != 0)
		abort();
	ssyn_opts_from_tcpopts(&to, &c);
	isn = p.seq * 2654435761u + p.ack;
	n = ssyn_build_synack(out, sizeof out, &t, p.seq, &c, isn, &l, &q);
	if (l.wscale > 14) {
		if (n != -EINVAL)
			abort();
		return 0;
	}
	if (n <= 0 || (size_t)n > sizeof out || (uint32_t)n != q.len)
		abort();
	/* Parse the bytes again from scratch, not the builder's view. */
	if (raw_parse_ip(&q, out, (size_t)n) != 0 || !q.is_tcp)
		abort();
	if (!raw_tcp_csum_ok(&q) || (q.family == AF_INET && !raw_ipv4_csum_ok(&q)))
		abort();
	alen = p.family == AF_INET ? 4 : 16;
	if (q.family != p.family || memcmp(q.saddr, p.daddr, alen) ||
	    memcmp(q.daddr, p.saddr, alen) || q.sport != p.dport ||
	    q.dport != p.sport)
		abort();
	if (q.tcp_flags != (RAW_TCP_SYN | RAW_TCP_ACK) || q.seq != isn ||
	    q.ack != p.seq + 1 || q.payload_len != 0)
		abort();
	if (q.ttl != (l.ttl ? l.ttl : 64))
		abort();
	peer = c.mss ? c.mss : 536;
	seg = l.mss ? l.mss : 1460;
	if (peer < seg)
		seg = peer;
	want = 2 * seg > 65535 ? 65535 : 2 * seg;
	if (q.window < want || q.window < l.window)
		abort();
	if (raw_pkt_tcpopts(&q, &ao) != 0)
		abort();
	if (!(ao.present & RAW_TCPOPT_F_MSS) || ao.mss != (l.mss ? l.mss : 1460))
		abort();
	if (!!(ao.present & RAW_TCPOPT_F_WSCALE) != (c.wscale >= 0))
		abort();
	if ((ao.present & RAW_TCPOPT_F_WSCALE) && ao.wscale != l.wscale)
		abort();
	if (!!(ao.present & RAW_TCPOPT_F_SACK_PERM) != c.sack_perm)
		abort();
	if (!!(ao.present & RAW_TCPOPT_F_TS) != c.ts)
		abort();
	if (c.ts && (ao.tsecr != c.tsval || ao.tsval != l.tsval))
		abort();
	if (ao.present & RAW_TCPOPT_F_SACK)
		abort();
	return 0;
}
