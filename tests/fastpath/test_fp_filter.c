/* The socket filter under BPF_PROG_TEST_RUN: what the capture still gets.
 * It stands in for the capture's classic filter (VIPs and backends only)
 * and keeps offloaded flows away except their SYN, FIN and RST.
 *
 * A socket-filter test run strips 14 bytes as a link header before the
 * program runs, while the program expects to see the Ethernet header (as
 * on an AF_PACKET socket): each frame goes in behind 14 bytes of padding. */
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <criterion/criterion.h>

#include <splicekit/raw_pkt.h>

#include "fp_ref.h"

static struct disp_fp *fp;

static void open_fp(void)
{
	char err[512];
	int r;

	if (geteuid() != 0)
		cr_skip_test("needs root (CAP_BPF + CAP_NET_ADMIN)");
	r = disp_fp_open(&fp, NULL, 64, err, sizeof(err));
	cr_assert_eq(r, 0, "disp_fp_open: %d %s", r, err);
}

static void close_fp(void)
{
	disp_fp_close(fp, false);
	fp = NULL;
}

static struct fp_tuple tuple(int family, const char *s, uint16_t sp,
			     const char *d, uint16_t dp)
{
	struct fp_tuple t = { .family = family, .sport = sp, .dport = dp };

	inet_pton(family, s, t.saddr);
	inet_pton(family, d, t.daddr);
	return t;
}

/* Runs the filter on a frame of t with flags; returns the bytes kept. */
static uint32_t run(const struct fp_tuple *t, uint8_t flags)
{
	uint8_t in[14 + FP_FRAME_MAX] = { 0 };
	struct bpf_test_run_opts o;
	size_t len = fp_frame(in + 14, t, 1000, 2000, flags, 512, NULL, 0, 10);

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.data_in = in;
	o.data_size_in = (uint32_t)(14 + len);
	o.repeat = 1;
	cr_assert_eq(bpf_prog_test_run_opts(disp_fp_filter_prog_fd(fp), &o), 0);
	if (o.retval)
		cr_assert_eq(o.retval, len, "kept %u of %zu bytes", o.retval, len);
	return o.retval;
}

static void offload(const struct fp_tuple *t)
{
	struct disp_fp_flow f = { .ifindex = 1 };
	uint8_t frame[FP_FRAME_MAX];
	size_t len = fp_frame(frame, t, 1, 1, RAW_TCP_ACK, 1, NULL, 0, 0);
	struct disp_fp_key k;
	struct raw_pkt p;

	cr_assert_eq(raw_parse_eth(&p, frame, len), 0);
	cr_assert_eq(disp_fp_key_from_pkt(&k, &p), 0);
	cr_assert_eq(disp_fp_insert(fp, &k, &f), 0);
}

Test(fp_filter, before_any_match_everything_unoffloaded_passes,
     .fini = close_fp)
{
	struct fp_tuple other = tuple(AF_INET, "192.0.2.1", 5000,
				      "192.0.2.2", 22);

	open_fp();
	cr_assert_neq(run(&other, RAW_TCP_ACK), 0);
	offload(&other);
	cr_assert_eq(run(&other, RAW_TCP_ACK), 0);
	cr_assert_neq(run(&other, RAW_TCP_FIN | RAW_TCP_ACK), 0);
}

Test(fp_filter, matches_vips_and_backends_only, .fini = close_fp)
{
	uint8_t vip[4], be[4], vip6[16];
	struct fp_tuple to_vip = tuple(AF_INET, "10.1.0.2", 40001,
				       "10.1.0.100", 443);
	struct fp_tuple from_be = tuple(AF_INET, "10.2.0.5", 8443,
					"10.1.0.2", 40001);
	struct fp_tuple to_be = tuple(AF_INET, "10.1.0.2", 40001,
				      "10.2.0.5", 8443);
	struct fp_tuple other_port = tuple(AF_INET, "10.1.0.2", 40001,
					   "10.1.0.100", 444);
	struct fp_tuple v6 = tuple(AF_INET6, "fd00:1::2", 40001,
				   "fd00:1::100", 443);
	struct fp_tuple v6_other = tuple(AF_INET6, "fd00:1::2", 40001,
					 "fd00:1::101", 443);
	struct disp_fp_stats st;

	open_fp();
	inet_pton(AF_INET, "10.1.0.100", vip);
	inet_pton(AF_INET, "10.2.0.5", be);
	inet_pton(AF_INET6, "fd00:1::100", vip6);
	cr_assert_eq(disp_fp_match_add(fp, AF_INET, vip, 443, true), 0);
	cr_assert_eq(disp_fp_match_add(fp, AF_INET, be, 8443, false), 0);
	cr_assert_eq(disp_fp_match_add(fp, AF_INET6, vip6, 443, true), 0);

	cr_assert_neq(run(&to_vip, RAW_TCP_ACK), 0);
	cr_assert_neq(run(&from_be, RAW_TCP_ACK), 0);
	cr_assert_neq(run(&v6, RAW_TCP_ACK), 0);
	/* a backend is matched as a source only, a VIP as a destination
	 * only, each with its port */
	cr_assert_eq(run(&to_be, RAW_TCP_ACK), 0);
	cr_assert_eq(run(&other_port, RAW_TCP_SYN), 0);
	cr_assert_eq(run(&v6_other, RAW_TCP_SYN), 0);

	/* offloaded: only SYN, FIN and RST still come up */
	offload(&to_vip);
	cr_assert_eq(run(&to_vip, RAW_TCP_ACK), 0);
	cr_assert_neq(run(&to_vip, RAW_TCP_SYN), 0);
	cr_assert_neq(run(&to_vip, RAW_TCP_RST), 0);
	cr_assert_neq(run(&to_vip, RAW_TCP_FIN | RAW_TCP_ACK), 0);

	cr_assert_eq(disp_fp_stats(fp, &st), 0);
	cr_assert_eq(st.st[DISP_FP_ST_FILTER_OTHER], 3);
	cr_assert_eq(st.st[DISP_FP_ST_FILTER_DROP], 1);
	cr_assert_eq(st.st[DISP_FP_ST_FILTER_PASS], 6);
}
