/* raw_rw_sack_keep_after: golden packets in, expected packets out.
 *
 * The inputs are two ACKs a Linux 6.1 backend sent through spliced during
 * a splice_loss upload (tests/netns/splice_loss.sh with SL_CAPTURE, taken
 * on the dispatcher's client-facing veth, link header stripped): the
 * backend had lost one replayed segment, so its ack was below what
 * spliced had already acknowledged to the client (2806518636), and the
 * client discarded these blocks. The expected bytes were made by an
 * independent Python rewrite (blocks dropped, NOPs in their place, TCP
 * checksum recomputed in full; the script checked its checksum against the
 * captured one first). */
#include <criterion/criterion.h>
#include <errno.h>

#include "helpers.h"
#include "splicekit/raw_csum.h"
#include "splicekit/raw_pkt.h"
#include "splicekit/raw_rewrite.h"
#include "splicekit/raw_tcpopt.h"

/* ack 2806507548, SACK [2806508996, 2806520084) */
#define ONE "4500004096d5400040062ae00a0064010a00010200508e7c2873ffc9a747e81cb01002"
/* ack 2806507548, SACK [2806518636, 2806520084) [2806508996, 2806520084) */
#define TWO "4500004896d6400040062ad70a0064010a00010200508e7c2873ffc9a747e81cd01002"

static const struct golden {
	const char *in;
	uint32_t edge;
	int removed;
	int kept;
	const char *out;
} golden[] = {
	{ ONE "58fa5e00000101080a001c8cf7960b0bf60101050aa747edc4a7481914",
	  2806518636u, 1, 0,
	  ONE "584fcd00000101080a001c8cf7960b0bf6010101010101010101010101" },
	{ ONE "58fa5e00000101080a001c8cf7960b0bf60101050aa747edc4a7481914",
	  2806508995u, 0, 1,
	  ONE "58fa5e00000101080a001c8cf7960b0bf60101050aa747edc4a7481914" },
	/* A block starting at the edge goes too: the sender's una is there. */
	{ TWO "585e3a00000101080a001c8dfa960b0bf601010512a748136ca7481914a747edc4a7481914",
	  2806518636u, 2, 0,
	  TWO "582abe00000101080a001c8dfa960b0bf60101010101010101010101010101010101010101" },
	{ TWO "585e3a00000101080a001c8dfa960b0bf601010512a748136ca7481914a747edc4a7481914",
	  2806518635u, 1, 1,
	  TWO "58afa700000101080a001c8dfa960b0bf60101050aa748136ca74819140101010101010101" },
};

Test(sack_trim, golden)
{
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		const struct golden *g = &golden[i];
		uint8_t buf[128], want[128];
		int n = unhex(g->in, buf, sizeof(buf));
		int m = unhex(g->out, want, sizeof(want));
		struct raw_pkt p, q;
		struct raw_tcpopts o, qo;

		cr_assert(n > 0 && m == n, "case %zu: table", i);
		cr_assert_eq(raw_parse_ip(&p, buf, (size_t)n), 0);
		cr_assert_eq(raw_pkt_tcpopts(&p, &o), 0);
		cr_assert_eq(raw_rw_sack_keep_after(&p, &o, g->edge), g->removed,
			     "case %zu", i);
		cr_assert_arr_eq(buf, want, (size_t)n, "case %zu: bytes", i);
		cr_assert(raw_tcp_csum_ok(&p), "case %zu: checksum", i);
		cr_assert_eq(o.sack_n, g->kept, "case %zu", i);
		/* The view kept matches the bytes. */
		cr_assert_eq(raw_parse_ip(&q, buf, (size_t)n), 0);
		cr_assert_eq(raw_pkt_tcpopts(&q, &qo), 0);
		cr_assert_eq(qo.sack_n, o.sack_n);
		cr_assert_eq(!!(qo.present & RAW_TCPOPT_F_SACK), g->kept > 0);
		for (int k = 0; k < g->kept; k++) {
			cr_assert_eq(qo.sack[k].left, o.sack[k].left);
			cr_assert_eq(qo.sack[k].right, o.sack[k].right);
			cr_assert_gt((int32_t)(o.sack[k].left - g->edge), 0);
		}
		cr_assert_eq(qo.tsval, o.tsval);
	}
}

Test(sack_trim, rejects)
{
	uint8_t buf[128];
	int n = unhex(ONE "58fa5e00000101080a001c8cf7960b0bf6010101010101010101010101",
		      buf, sizeof(buf));
	struct raw_pkt p;
	struct raw_tcpopts o;

	/* No SACK option: nothing to do, nothing changed. */
	cr_assert_eq(raw_parse_ip(&p, buf, (size_t)n), 0);
	cr_assert_eq(raw_pkt_tcpopts(&p, &o), 0);
	cr_assert_eq(raw_rw_sack_keep_after(&p, &o, 0), -ENOENT);
	p.is_tcp = false;
	cr_assert_eq(raw_rw_sack_keep_after(&p, &o, 0), -EINVAL);
}
