/* raw_io: what can be checked without a testbed. Backend selection, option
 * and filter validation and the super-packet rule run unprivileged; the
 * loopback capture cases need CAP_NET_RAW and skip without it. They send
 * one UDP datagram to 127.0.0.1 only. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/filter.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <splicekit/raw_io.h>

Test(io_backend, names_are_known)
{
	const char *const *n = raw_io_backends();

	cr_assert(raw_io_backend_known("pcap"));
	cr_assert(raw_io_backend_known("afpacket"));
	cr_assert_not(raw_io_backend_known("netmap"));
	cr_assert_not(raw_io_backend_known(""));
	cr_assert_not(raw_io_backend_known(NULL));
	cr_assert_str_eq(n[0], "pcap");
	cr_assert_str_eq(n[1], "afpacket");
	cr_assert_null(n[2]);
}

Test(io_open, unknown_backend_is_enoent_and_named)
{
	struct raw_io *io = (struct raw_io *)1;
	char err[256] = "";

	cr_assert_eq(raw_io_open(&io, "netmap", "lo", NULL, err, sizeof(err)), -ENOENT);
	cr_assert_null(io);
	cr_assert(strstr(err, "netmap"), "message names the backend: %s", err);
}

Test(io_open, missing_interface_is_enodev)
{
	struct raw_io *io;
	char err[256] = "";

	cr_assert_eq(raw_io_open(&io, "pcap", "ri-nosuchif0", NULL, err, sizeof(err)),
		     -ENODEV);
	cr_assert(strstr(err, "ri-nosuchif0"), "%s", err);
	cr_assert_eq(raw_io_open(&io, "afpacket", "ri-nosuchif0", NULL, NULL, 0),
		     -ENODEV);
	cr_assert_eq(raw_io_open(&io, "afpacket", "", NULL, NULL, 0), -EINVAL);
	cr_assert_eq(raw_io_open(&io, "afpacket", "a-name-longer-than-ifnamsiz", NULL,
				 NULL, 0), -ENODEV);
}

Test(io_open, bad_options_are_einval)
{
	struct raw_io_opts o = { .snaplen = 10 };
	struct raw_io *io;
	char err[256] = "";

	cr_assert_eq(raw_io_open(&io, "afpacket", "lo", &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "snaplen"), "%s", err);
	o = (struct raw_io_opts){ .ring_kb = 1 };
	cr_assert_eq(raw_io_open(&io, "pcap", "lo", &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "ring"), "%s", err);
	o = (struct raw_io_opts){ .fanout = (enum raw_io_fanout)9 };
	cr_assert_eq(raw_io_open(&io, "afpacket", "lo", &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "fanout"), "%s", err);
	o = (struct raw_io_opts){ .fanout = RAW_IO_FANOUT_CBPF };
	cr_assert_eq(raw_io_open(&io, "afpacket", "lo", &o, err, sizeof(err)), -EINVAL,
		     "CBPF fanout without a program");
}

Test(io_filter, good_expressions_compile)
{
	cr_assert_eq(raw_io_filter_check("tcp and dst host 10.0.100.1 and dst port 80",
					 NULL, 0), 0);
	cr_assert_eq(raw_io_filter_check("ip6 and tcp src port 443", NULL, 0), 0);
	cr_assert_eq(raw_io_filter_check("", NULL, 0), 0);
	cr_assert_eq(raw_io_filter_check(NULL, NULL, 0), 0);
}

Test(io_filter, bad_expression_is_einval_with_message)
{
	char err[256] = "";

	cr_assert_eq(raw_io_filter_check("tcp and and port", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "bad filter"), "%s", err);
	cr_assert_eq(raw_io_filter_check("port 99999", err, sizeof(err)), -EINVAL);
}

Test(io_policy, super_packets_are_refused)
{
	/* 1500-byte IP packet + 14-byte Ethernet header: a normal frame. */
	cr_assert_not(raw_io_too_big(1514, 1500, DLT_EN10MB));
	/* ... with an 802.1Q tag left in place: still normal. */
	cr_assert_not(raw_io_too_big(1518, 1500, DLT_EN10MB));
	/* One byte more can only be a GRO/LRO merge. */
	cr_assert(raw_io_too_big(1519, 1500, DLT_EN10MB));
	cr_assert(raw_io_too_big(65226, 1500, DLT_EN10MB));
	/* Loopback's MTU is 64 KiB: its big segments are not super-packets. */
	cr_assert_not(raw_io_too_big(65550, 65536, DLT_EN10MB));
	/* Unknown MTU: nothing to measure against, deliver. */
	cr_assert_not(raw_io_too_big(9000, 0, DLT_EN10MB));
}

Test(io_tx, wrong_family_is_refused)
{
	struct raw_tx *tx = (struct raw_tx *)1;

	cr_assert_eq(raw_tx_open_ip(&tx, AF_UNIX), -EAFNOSUPPORT);
	cr_assert_null(tx);
	cr_assert_eq(raw_tx_open_packet(&tx, "ri-nosuchif0"), -ENODEV);
}

/* Sends one datagram to 127.0.0.1 and captures it with the named backend
 * through a filter naming its port; skips without CAP_NET_RAW. */
static void loopback_capture(const char *backend)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct raw_frame pkts[RAW_IO_BATCH_MAX];
	struct raw_io_opts o = { 0 };
	struct raw_io_stats st;
	socklen_t alen = sizeof(a);
	struct raw_io *io;
	char filter[64], err[256] = "";
	int rx, tx, r, got = -1;

	rx = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(rx, 0);
	cr_assert_eq(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(rx, (struct sockaddr *)&a, &alen), 0);
	snprintf(filter, sizeof(filter), "udp and dst port %u", ntohs(a.sin_port));
	o.filter = filter;
	o.ring_kb = 1024;
	/* On lo every frame passes twice, leaving and arriving. */
	o.inbound_only = true;
	r = raw_io_open(&io, backend, "lo", &o, err, sizeof(err));
	if (r == -EPERM || r == -EACCES) {
		close(rx);
		cr_skip_test("needs CAP_NET_RAW: %s", err);
	}
	cr_assert_eq(r, 0, "open %s: %s", backend, err);
	cr_assert_str_eq(raw_io_backend(io), backend);
	cr_assert_geq(raw_io_fd(io), 0);

	tx = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(sendto(tx, "splicekit-io-test", 17, 0, (struct sockaddr *)&a,
			    sizeof(a)), 17);
	for (int i = 0; i < 50 && got <= 0; i++) {
		struct pollfd pfd = { .fd = raw_io_fd(io), .events = POLLIN };

		poll(&pfd, 1, 100);
		got = raw_io_recv(io, pkts, RAW_IO_BATCH_MAX);
		cr_assert_geq(got, 0);
		if (got == 0)
			raw_io_release(io);
	}
	cr_assert_eq(got, 1, "%s: the filter lets exactly our datagram through, got %d",
		     backend, got);
	/* Ethernet(14) + IPv4(20) + UDP(8) + 17 bytes, all captured. */
	cr_assert_eq(pkts[0].wirelen, 14 + 20 + 8 + 17);
	cr_assert_eq(pkts[0].caplen, pkts[0].wirelen);
	cr_assert_eq(pkts[0].linktype, DLT_EN10MB);
	cr_assert_eq(memcmp(pkts[0].data + 42, "splicekit-io-test", 17), 0);
	cr_assert_gt(pkts[0].ts.tv_sec, 0);
	if (strcmp(backend, "pcap") == 0)
		cr_assert(pkts[0].flags & RAW_FRAME_CSUM_UNKNOWN);
	else
		cr_assert_not(pkts[0].flags & RAW_FRAME_CSUM_UNKNOWN);
	raw_io_release(io);
	cr_assert_eq(raw_io_stats(io, &st), 0);
	cr_assert_eq(st.received, 1);
	cr_assert_eq(st.refused_big, 0);
	raw_io_close(io);
	close(tx);
	close(rx);
}

Test(io_lo, pcap_captures_a_datagram) { loopback_capture("pcap"); }
Test(io_lo, afpacket_captures_a_datagram) { loopback_capture("afpacket"); }

Test(io_lo, afpacket_fanout_group_opens_twice)
{
	struct raw_io_opts o = { .fanout = RAW_IO_FANOUT_HASH,
				 .fanout_group = (uint16_t)(getpid() & 0xffff),
				 .filter = "udp and port 9", .ring_kb = 512 };
	struct raw_io *a, *b;
	char err[256] = "";
	int r = raw_io_open(&a, "afpacket", "lo", &o, err, sizeof(err));

	if (r == -EPERM)
		cr_skip_test("needs CAP_NET_RAW");
	cr_assert_eq(r, 0, "%s", err);
	cr_assert_eq(raw_io_open(&b, "afpacket", "lo", &o, err, sizeof(err)), 0, "%s", err);
	raw_io_close(b);
	raw_io_close(a);
}

/* A hand-made IPv4/UDP datagram to 127.0.0.1:port (UDP checksum 0, which
 * IPv4 allows; the kernel fills the IP header checksum for IP_HDRINCL). */
static size_t udp_to_lo(uint8_t *b, uint16_t port, const char *msg)
{
	size_t n = strlen(msg), tot = 28 + n;
	uint8_t h[28] = { 0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, 0, 0, 0x40, 0,
			  64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
			  0x9c, 0x40, (uint8_t)(port >> 8), (uint8_t)port,
			  (uint8_t)((8 + n) >> 8), (uint8_t)(8 + n), 0, 0 };

	memcpy(b, h, 28);
	memcpy(b + 28, msg, n);
	return tot;
}

Test(io_tx, queued_packets_go_out_in_one_flush)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct raw_tx *tx;
	uint8_t pkt[128], six[40] = { 0x60 };
	char got[64];
	unsigned failed = 99;
	int rx, r;

	r = raw_tx_open_ip(&tx, AF_INET);
	if (r == -EPERM)
		cr_skip_test("needs CAP_NET_RAW");
	cr_assert_eq(r, 0);
	rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	cr_assert_eq(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(rx, (struct sockaddr *)&a, &alen), 0);

	cr_assert_eq(raw_tx_queue(tx, six, sizeof(six)), -EBADMSG,
		     "an IPv6 packet on an IPv4 sender");
	cr_assert_eq(raw_tx_queue(tx, pkt, 10), -EBADMSG, "shorter than a header");
	cr_assert_eq(raw_tx_queue(tx, pkt, udp_to_lo(pkt, ntohs(a.sin_port), "one")), 0);
	cr_assert_eq(raw_tx_queue(tx, pkt, udp_to_lo(pkt, ntohs(a.sin_port), "two")), 0);
	cr_assert_eq(recv(rx, got, sizeof(got), 0), -1, "nothing leaves before the flush");
	cr_assert_eq(raw_tx_flush(tx, &failed), 2);
	cr_assert_eq(failed, 0);
	/* The queue copied each packet: the second overwrote pkt, yet the
	 * first still says "one". */
	cr_assert_eq(recv(rx, got, sizeof(got), 0), 3);
	cr_assert_eq(memcmp(got, "one", 3), 0);
	cr_assert_eq(recv(rx, got, sizeof(got), 0), 3);
	cr_assert_eq(memcmp(got, "two", 3), 0);
	cr_assert_eq(raw_tx_flush(tx, &failed), 0, "the batch is empty again");
	raw_tx_close(tx);
	close(rx);
}

Test(io_lo, afpacket_block_size_is_checked)
{
	struct raw_io_opts o = { .block_kb = 6 };
	struct raw_io *io;
	char err[256] = "";
	int r = raw_io_open(&io, "afpacket", "lo", &o, err, sizeof(err));

	if (r == -EPERM)
		cr_skip_test("needs CAP_NET_RAW");
	cr_assert_eq(r, -EINVAL, "6 KiB is not a power of two");
	cr_assert(strstr(err, "power of two"), "%s", err);
	/* lo's MTU is 64 KiB: a 4 KiB block could not hold one frame. */
	o.block_kb = 4;
	cr_assert_eq(raw_io_open(&io, "afpacket", "lo", &o, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "cannot hold"), "%s", err);
}

/* Polls io for up to ~1 s; returns how many frames one recv gave. */
static int recv_some(struct raw_io *io)
{
	struct raw_frame f[8];
	int got = 0;

	for (int i = 0; i < 10 && got == 0; i++) {
		struct pollfd pfd = { .fd = raw_io_fd(io), .events = POLLIN };

		poll(&pfd, 1, 100);
		got = raw_io_recv(io, f, 8);
		raw_io_release(io);
	}
	return got;
}

Test(io_lo, afpacket_cbpf_fanout_steers_by_program)
{
	/* "return 1": every packet goes to the second socket to join. */
	struct sock_filter ret1 = { BPF_RET | BPF_K, 0, 0, 1 };
	struct sock_fprog prog = { .len = 1, .filter = &ret1 };
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct raw_io_opts o = { .fanout = RAW_IO_FANOUT_CBPF, .fanout_prog = &prog,
				 .fanout_group = (uint16_t)((getpid() & 0x7fff) | 1),
				 .inbound_only = true, .ring_kb = 512 };
	struct raw_io *first, *second;
	char filter[64], err[256] = "";
	int rx, tx, r;

	rx = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(rx, (struct sockaddr *)&a, &alen), 0);
	snprintf(filter, sizeof(filter), "udp and dst port %u", ntohs(a.sin_port));
	o.filter = filter;
	r = raw_io_open(&first, "afpacket", "lo", &o, err, sizeof(err));
	if (r == -EPERM)
		cr_skip_test("needs CAP_NET_RAW");
	cr_assert_eq(r, 0, "%s", err);
	cr_assert_eq(raw_io_open(&second, "afpacket", "lo", &o, err, sizeof(err)), 0,
		     "%s", err);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_eq(sendto(tx, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)), 1);
	cr_assert_eq(recv_some(second), 1, "the program picked socket 1");
	cr_assert_eq(recv_some(first), 0, "socket 0 got nothing");
	raw_io_close(second);
	raw_io_close(first);
	close(tx);
	close(rx);
}
