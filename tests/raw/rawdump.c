/* Prints what raw/ makes of every frame of a capture, one line per frame,
 * in the field order tshark_diff.py compares against tshark:
 *
 *   frame|reason|src|dst|ttl|sport|dport|seq|ack|flags|win|thl|paylen|
 *   mss|ws|sack_perm|tsval|tsecr|sack_le,..|sack_re,..|tcp_csum_ok
 *
 * Absent values are empty, as tshark prints them.
 *   rawdump FILE.pcap
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "splicekit/raw_csum.h"
#include "splicekit/raw_pkt.h"
#include "splicekit/raw_tcpopt.h"

static void line(unsigned long n, uint8_t *buf, size_t len, enum raw_link link)
{
	struct raw_pkt p;
	struct raw_tcpopts o;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (raw_parse(&p, buf, len, link) < 0 || !p.is_tcp) {
		printf("%lu|%s\n", n, p.is_tcp ? raw_reason_str(p.reason) : "not-tcp");
		return;
	}
	inet_ntop(p.family, p.saddr, s, sizeof(s));
	inet_ntop(p.family, p.daddr, d, sizeof(d));
	printf("%lu|ok|%s|%s|%u|%u|%u|%u|%u|0x%02x|%u|%u|%u", n, s, d, p.ttl, p.sport,
	       p.dport, p.seq, p.ack, p.tcp_flags, p.window, p.tcp_hlen, p.payload_len);
	if (raw_pkt_tcpopts(&p, &o) < 0) {
		printf("|%s\n", raw_reason_str(p.reason));
		return;
	}
	putchar('|');
	if (o.present & RAW_TCPOPT_F_MSS)
		printf("%u", o.mss);
	putchar('|');
	if (o.present & RAW_TCPOPT_F_WSCALE)
		printf("%u", o.wscale);
	printf("|%d|", !!(o.present & RAW_TCPOPT_F_SACK_PERM));
	if (o.present & RAW_TCPOPT_F_TS)
		printf("%u|%u", o.tsval, o.tsecr);
	else
		putchar('|');
	putchar('|');
	for (unsigned i = 0; i < o.sack_n; i++)
		printf("%s%u", i ? "," : "", o.sack[i].left);
	putchar('|');
	for (unsigned i = 0; i < o.sack_n; i++)
		printf("%s%u", i ? "," : "", o.sack[i].right);
	printf("|%d\n", raw_tcp_csum_ok(&p));
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	static uint8_t buf[262144];
	unsigned long n = 0;
	enum raw_link link;
	pcap_t *pc;

	if (argc != 2) {
		fprintf(stderr, "usage: rawdump FILE.pcap\n");
		return 2;
	}
	pc = pcap_open_offline(argv[1], err);
	if (!pc) {
		fprintf(stderr, "rawdump: %s: %s\n", argv[1], err);
		return 1;
	}
	switch (pcap_datalink(pc)) {
	case DLT_EN10MB: link = RAW_LINK_ETH; break;
	case DLT_RAW: link = RAW_LINK_IP; break;
	case DLT_LINUX_SLL: link = RAW_LINK_SLL; break;
	default:
		fprintf(stderr, "rawdump: %s: link type %d not handled\n", argv[1], pcap_datalink(pc));
		pcap_close(pc);
		return 1;
	}
	while (pcap_next_ex(pc, &h, &data) == 1) {
		size_t len = h->caplen < sizeof(buf) ? h->caplen : sizeof(buf);

		memcpy(buf, data, len);
		line(++n, buf, len, link);
	}
	pcap_close(pc);
	return 0;
}
