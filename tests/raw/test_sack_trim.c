/* raw_rw_sack_keep_after and raw_rw_sack_drop_left_in: golden packets in,
 * expected packets out.
 *
 * keep_after's inputs are two ACKs a Linux 6.1 backend sent through spliced during
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

/* Either helper, as one signature: keep_after ignores hi. */
typedef int (*sack_rw)(struct raw_pkt *p, struct raw_tcpopts *o, uint32_t a,
		       uint32_t b);

static int keep_after(struct raw_pkt *p, struct raw_tcpopts *o, uint32_t edge,
		      uint32_t unused)
{
	(void)unused;
	return raw_rw_sack_keep_after(p, o, edge);
}

/* Applies rw(a, b) to the packet `in` and checks it against `out`: the
 * return value, the bytes, the checksum, and that the view the helper
 * left (returned) matches what a fresh parse of the bytes sees. */
static struct raw_tcpopts run(size_t i, const char *in, const char *out,
			      sack_rw rw, uint32_t a, uint32_t b, int removed,
			      int kept)
{
	uint8_t buf[128], want[128];
	int n = unhex(in, buf, sizeof(buf));
	int m = unhex(out, want, sizeof(want));
	struct raw_pkt p, q;
	struct raw_tcpopts o, qo;

	cr_assert(n > 0 && m == n, "case %zu: table", i);
	cr_assert_eq(raw_parse_ip(&p, buf, (size_t)n), 0);
	cr_assert(raw_tcp_csum_ok(&p), "case %zu: input checksum", i);
	cr_assert_eq(raw_pkt_tcpopts(&p, &o), 0);
	cr_assert_eq(rw(&p, &o, a, b), removed, "case %zu", i);
	cr_assert_arr_eq(buf, want, (size_t)n, "case %zu: bytes", i);
	cr_assert(raw_tcp_csum_ok(&p), "case %zu: checksum", i);
	cr_assert_eq(o.sack_n, kept, "case %zu", i);
	cr_assert_eq(raw_parse_ip(&q, buf, (size_t)n), 0);
	cr_assert_eq(raw_pkt_tcpopts(&q, &qo), 0);
	cr_assert_eq(qo.sack_n, o.sack_n);
	cr_assert_eq(!!(qo.present & RAW_TCPOPT_F_SACK), kept > 0);
	for (int k = 0; k < kept; k++) {
		cr_assert_eq(qo.sack[k].left, o.sack[k].left);
		cr_assert_eq(qo.sack[k].right, o.sack[k].right);
	}
	cr_assert_eq(qo.tsval, o.tsval);
	return o;
}

Test(sack_trim, golden)
{
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		const struct golden *g = &golden[i];
		struct raw_tcpopts o = run(i, g->in, g->out, keep_after, g->edge, 0,
					   g->removed, g->kept);

		for (int k = 0; k < g->kept; k++)
			cr_assert_gt((int32_t)(o.sack[k].left - g->edge), 0);
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
	cr_assert_eq(raw_rw_sack_drop_left_in(&p, &o, 0, 0), -ENOENT);
	p.is_tcp = false;
	cr_assert_eq(raw_rw_sack_keep_after(&p, &o, 0), -EINVAL);
	cr_assert_eq(raw_rw_sack_drop_left_in(&p, &o, 0, 0), -EINVAL);
}

/* drop_left_in's inputs are three ACKs a Linux backend sent through
 * spliced in a splice_loss upload with offloads on (client ISN
 * 3833406569; spliced had ACKed and replayed the first 13984 bytes, so
 * its first data is [ISN+1, ISN+13985)), taken on the dispatcher's
 * server-facing veth, link header stripped. Their TCP checksums were
 * partial there (the backend's veth leaves them to offload): the script
 * that made the expected bytes put the full checksum into the inputs
 * first, then dropped the blocks, put NOPs in their place and computed
 * the checksum again in full.
 *
 * DSACK_REPLAYED: ack ISN+16881, D-SACK [ISN+4345, ISN+5793), a replayed
 * segment the backend got twice; the client, which never sent it,
 * discarded this block. DSACK_CLIENTS: the same ACK with D-SACK
 * [ISN+13985, ISN+15433), a segment the client did retransmit. THREE:
 * ack ISN+28890201, SACK [ISN+29104505, ISN+29105953)
 * [ISN+29827057, ISN+29834297) [ISN+29824161, ISN+29825609). */
#define DSACK_REPLAYED "450000400ca7400040060d0e0a000c020a0001020050da0ef4dcd3e1e47d665ab010004b"
#define DSACK_CLIENTS "450000400cae400040060d070a000c020a0001020050da0ef4dcd3e1e47d665ab010004b"
#define THREE "4500005016ca4000400602db0a000c020a0001020050da0ef4dcd3e1e635f8c2f0100824"
#define FIRST_DATA 0xe47d246au, 0xe47d5b09u /* [ISN+1, ISN+13984] */

static const struct golden_in {
	const char *in;
	uint32_t lo, hi;
	int removed;
	int kept;
	const char *out;
} golden_in[] = {
	{ DSACK_REPLAYED "567d00000101080adffe46cf42ee37c00101050ae47d3562e47d3b0a",
	  FIRST_DATA, 1, 0,
	  DSACK_REPLAYED "8fea00000101080adffe46cf42ee37c0010101010101010101010101" },
	/* Left edge one past the range: kept, nothing written. */
	{ DSACK_CLIENTS "0b2d00000101080adffe46cf42ee37c00101050ae47d5b0ae47d60b2",
	  FIRST_DATA, 0, 1,
	  DSACK_CLIENTS "0b2d00000101080adffe46cf42ee37c00101050ae47d5b0ae47d60b2" },
	/* A range of one sequence number, the middle block's left edge. */
	{ THREE "abae00000101080adffe48a842ee3a570101051ae6393de2e639438ae644445ae64460a2e644390ae6443eb2",
	  0xe644445au, 0xe644445au, 1, 2,
	  THREE "193900000101080adffe48a842ee3a5701010512e6393de2e639438ae644390ae6443eb20101010101010101" },
	/* The last block's left edge is the range's upper end. */
	{ THREE "abae00000101080adffe48a842ee3a570101051ae6393de2e639438ae644445ae64460a2e644390ae6443eb2",
	  0xe6393de3u, 0xe644390au, 1, 2,
	  THREE "ebf800000101080adffe48a842ee3a5701010512e6393de2e639438ae644445ae64460a20101010101010101" },
	/* lo > hi: the range wraps past 2^32 and holds the first two left
	 * edges (the first at hi, the second above lo), not the last. */
	{ THREE "abae00000101080adffe48a842ee3a570101051ae6393de2e639438ae644445ae64460a2e644390ae6443eb2",
	  0xe644390bu, 0xe6393de2u, 2, 1,
	  THREE "631d00000101080adffe48a842ee3a570101050ae644390ae6443eb201010101010101010101010101010101" },
};

Test(sack_trim, drop_left_in_golden)
{
	for (size_t i = 0; i < sizeof(golden_in) / sizeof(golden_in[0]); i++) {
		const struct golden_in *g = &golden_in[i];
		struct raw_tcpopts o = run(i, g->in, g->out, raw_rw_sack_drop_left_in,
					   g->lo, g->hi, g->removed, g->kept);

		for (int k = 0; k < g->kept; k++)
			cr_assert_gt(o.sack[k].left - g->lo, g->hi - g->lo,
				     "case %zu: kept block %d is outside", i, k);
	}
}
