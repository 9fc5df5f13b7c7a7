/* Proves the builder, the rewrite helpers and the parser against a real
 * Linux TCP stack (run by tests/raw/netns-kernel-peer.sh inside a client
 * namespace; the server namespace runs an ordinary echo server).
 *
 * Every segment we send is first built with WRONG addresses, port, seq and
 * options, then moved to the right values with the incremental rewrite
 * helpers only; the server's rx checksum offload is off, so its kernel
 * verifies our checksums in software and silently drops a wrong one. A
 * control segment with a one-bit checksum error must get no answer, which
 * shows the verification really happens. The replies are read from an
 * AF_PACKET socket and parsed from the Ethernet header up.
 *
 *   kernel_peer IFNAME PEER_MAC 4|6 FAKE_SRC SERVER PORT
 * Exit 0 when the handshake, one data exchange and the checks pass.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "splicekit/raw_csum.h"
#include "splicekit/raw_pkt.h"
#include "splicekit/raw_rewrite.h"
#include "splicekit/raw_tcpopt.h"

static int fd, ifindex, fam;
static uint8_t mymac[6], peermac[6], me[16], srv[16];
static uint16_t myport = 41234, srvport;

#define FAIL(...) do { fprintf(stderr, "kernel_peer: " __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)

static void send_pkt(const struct raw_pkt *p)
{
	uint8_t frame[1600];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex,
				  .sll_halen = 6 };

	memcpy(frame, peermac, 6);
	memcpy(frame + 6, mymac, 6);
	frame[12] = fam == AF_INET ? 0x08 : 0x86;
	frame[13] = fam == AF_INET ? 0x00 : 0xdd;
	memcpy(frame + 14, p->buf, p->len);
	memcpy(to.sll_addr, peermac, 6);
	if (sendto(fd, frame, 14 + p->len, 0, (struct sockaddr *)&to, sizeof(to)) == -1)
		FAIL("sendto: %s", strerror(errno));
}

/* Waits up to ms for a TCP segment from the server to us; copies it into
 * buf and parses it into *p. Returns 0, or -ETIMEDOUT. */
static int recv_pkt(uint8_t *buf, size_t cap, struct raw_pkt *p, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -ETIMEDOUT;
		n = recv(fd, buf, cap, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		if (raw_parse_eth(p, buf, (size_t)n) < 0 || !p->is_tcp)
			continue;
		if (memcmp(p->saddr, srv, raw_pkt_alen(p)) || memcmp(p->daddr, me, raw_pkt_alen(p)) ||
		    p->sport != srvport || p->dport != myport)
			continue;
		return 0;
	}
}

/* Builds a segment with deliberately wrong fields, then rewrites them to
 * the wanted ones incrementally. */
static void make(uint8_t *buf, struct raw_pkt *p, uint32_t seq, uint32_t ack,
		 uint8_t flags, const uint8_t *opts, size_t olen, const char *data,
		 uint32_t tsval, uint32_t tsecr)
{
	static const uint8_t wrong[16] = { 192, 0, 2, 99, 0x20, 0x01, 0x0d, 0xb8, 9, 9, 9, 9, 9, 9, 9, 9 };
	struct raw_tcp_spec s = {
		.family = fam, .saddr = wrong, .daddr = wrong + 1, .sport = 7, .dport = 9,
		.seq = seq ^ 0xa5a5a5a5u, .ack = ack + 12345, .flags = flags,
		.window = 512, .opts = opts, .opts_len = olen,
		.payload = data, .payload_len = data ? strlen(data) : 0,
	};
	struct raw_tcpopts o;
	char garbled[64];

	if (data) {
		/* Send garbage and patch the real bytes in place. */
		memset(garbled, '#', sizeof(garbled));
		s.payload = garbled;
	}
	if (raw_tcp_build(buf, 1500, &s, p) < 0)
		FAIL("build");
	if (raw_pkt_tcpopts(p, &o) < 0)
		FAIL("own options: %s", raw_reason_str(p->reason));
	if (raw_rw_saddr(p, me) || raw_rw_daddr(p, srv) || raw_rw_sport(p, myport) ||
	    raw_rw_dport(p, srvport) || raw_rw_seq_add(p, seq - s.seq) ||
	    raw_rw_ack(p, ack) || raw_rw_window(p, 64000))
		FAIL("rewrite");
	if (o.present & RAW_TCPOPT_F_TS && raw_rw_ts(p, &o, tsval, tsecr))
		FAIL("rewrite ts");
	if (o.present & RAW_TCPOPT_F_MSS && raw_rw_mss_clamp(p, &o, 1200) != 1)
		FAIL("clamp");
	if (data && raw_rw_tcp_bytes(p, p->payload_off, data, strlen(data)))
		FAIL("payload");
	if (!raw_tcp_csum_ok(p) || (fam == AF_INET && !raw_ipv4_csum_ok(p)))
		FAIL("our own checksum is wrong before sending");
}

static void parse_mac(const char *s, uint8_t *m)
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		FAIL("bad MAC %s", s);
}

int main(int argc, char **argv)
{
	uint8_t out[1600], in[70000], opts[40];
	struct raw_pkt p, r;
	struct raw_tcpopts ro;
	struct ifreq ifr = { 0 };
	uint32_t isn = 0xfffffff8u, sisn, tsval = 1000;
	int olen;

	if (argc != 7)
		FAIL("usage: kernel_peer IFNAME PEER_MAC 4|6 FAKE_SRC SERVER PORT");
	fam = argv[3][0] == '6' ? AF_INET6 : AF_INET;
	parse_mac(argv[2], peermac);
	if (inet_pton(fam, argv[4], me) != 1 || inet_pton(fam, argv[5], srv) != 1)
		FAIL("bad address");
	srvport = (uint16_t)atoi(argv[6]);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd == -1)
		FAIL("AF_PACKET: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		FAIL("SIOCGIFHWADDR: %s", strerror(errno));
	memcpy(mymac, ifr.ifr_hwaddr.sa_data, 6);
	ifindex = (int)if_nametoindex(argv[1]);
	{
		struct sockaddr_ll sl = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
					  .sll_ifindex = ifindex };
		if (bind(fd, (struct sockaddr *)&sl, sizeof(sl)) == -1)
			FAIL("bind: %s", strerror(errno));
	}

	/* Control: a SYN with one checksum bit flipped gets no answer. */
	olen = raw_tcpopt_build_syn(opts, sizeof(opts), 1460, true, true, 0, 0, 7);
	make(out, &p, isn, 0, RAW_TCP_SYN, opts, (size_t)olen, NULL, tsval, 0);
	out[p.l4_off + RAW_TCP_OFF_CSUM + 1] ^= 1;
	send_pkt(&p);
	if (recv_pkt(in, sizeof(in), &r, 700) == 0)
		FAIL("the server answered a segment with a bad checksum (flags %#x): "
		     "its checksum verification is off, the test proves nothing", r.tcp_flags);
	printf("ok: bad-checksum SYN ignored by the kernel\n");

	/* SYN, rewritten into place; seq crosses 2^32 during the exchange. */
	make(out, &p, isn, 0, RAW_TCP_SYN, opts, (size_t)olen, NULL, tsval, 0);
	send_pkt(&p);
	if (recv_pkt(in, sizeof(in), &r, 3000) < 0)
		FAIL("no SYN-ACK to the rewritten SYN");
	if ((r.tcp_flags & (RAW_TCP_SYN | RAW_TCP_ACK)) != (RAW_TCP_SYN | RAW_TCP_ACK) ||
	    r.ack != isn + 1)
		FAIL("want SYN-ACK ack=%u, got flags %#x ack=%u", isn + 1, r.tcp_flags, r.ack);
	if (!raw_tcp_csum_ok(&r) || (fam == AF_INET && !raw_ipv4_csum_ok(&r)))
		FAIL("kernel SYN-ACK fails our checksum check");
	if (raw_pkt_tcpopts(&r, &ro) < 0)
		FAIL("kernel SYN-ACK options: %s", raw_reason_str(r.reason));
	if (!(ro.present & RAW_TCPOPT_F_TS) || ro.tsecr != tsval ||
	    !(ro.present & RAW_TCPOPT_F_SACK_PERM) || !(ro.present & RAW_TCPOPT_F_WSCALE) ||
	    !(ro.present & RAW_TCPOPT_F_MSS))
		FAIL("SYN-ACK options: present %#x tsecr %u (want %u)", ro.present, ro.tsecr, tsval);
	sisn = r.seq;
	printf("ok: SYN-ACK ack=%u mss=%u ws=%u tsecr=%u\n", r.ack, ro.mss, ro.wscale, ro.tsecr);

	/* ACK carrying data, all fields rewritten, payload patched in place. */
	olen = 12;
	memcpy(opts, "\x01\x01\x08\x0a\0\0\0\0\0\0\0\0", 12);
	make(out, &p, isn + 1, sisn + 1, RAW_TCP_ACK | RAW_TCP_PSH, opts, (size_t)olen,
	     "ping splice\n", tsval + 1, ro.tsval);
	send_pkt(&p);
	for (;;) {
		if (recv_pkt(in, sizeof(in), &r, 3000) < 0)
			FAIL("no echo of our data");
		if (r.payload_len == 0)
			continue; /* the pure ACK, if the kernel sent one */
		break;
	}
	if (r.seq != sisn + 1 || r.ack != isn + 1 + 12)
		FAIL("echo seq=%u ack=%u, want %u %u", r.seq, r.ack, sisn + 1, isn + 13);
	if (r.payload_len != 12 || memcmp(in + r.payload_off, "PING SPLICE\n", 12))
		FAIL("echo payload wrong (%u bytes)", r.payload_len);
	if (!raw_tcp_csum_ok(&r))
		FAIL("echo fails our checksum check");
	printf("ok: data accepted, seq wrapped past 2^32, echo ack=%u payload \"PING SPLICE\"\n", r.ack);

	/* Leave nothing half-open on the server. */
	make(out, &p, isn + 13, 0, RAW_TCP_RST, NULL, 0, NULL, 0, 0);
	send_pkt(&p);
	close(fd);
	return 0;
}
