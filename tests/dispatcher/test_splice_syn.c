/* splice_syn: cookie round trip for every option combination, forged and
 * stale ACKs refused, half-open table bound, SYN-ACK parses back with
 * correct checksums. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/socket.h>

#include <splicekit/raw_csum.h>
#include "splice/syn/splice_syn.h"

static const uint8_t key[16] = "0123456789abcdef";

static struct ssyn_tuple tup(uint16_t cport)
{
	struct ssyn_tuple t = { .family = AF_INET, .cport = cport, .vport = 443 };

	t.caddr[0] = 10; t.caddr[3] = 2;
	t.vaddr[0] = 10; t.vaddr[3] = 1;
	return t;
}

Test(splice_syn, cookie_roundtrip_all_options)
{
	struct ssyn_secret s;
	struct ssyn_tuple t = tup(40000);

	cr_assert_eq(ssyn_secret_init(&s, key, 1000), 0);
	for (unsigned m = 0; m < SSYN_COOKIE_MSS_N; m++)
		for (int ws = -1; ws <= 14; ws++)
			for (int f = 0; f < 4; f++) {
				struct ssyn_opts o = { .mss = ssyn_cookie_mss_tab[m],
					.wscale = (int8_t)ws, .sack_perm = f & 1, .ts = f & 2 }, r;
				uint32_t c = ssyn_cookie_make(&s, &t, 777, &o, 1000);

				cr_assert_eq(ssyn_cookie_check(&s, &t, 778, c + 1, 1000 + 64, &r), 0);
				cr_assert_eq(r.mss, o.mss);
				cr_assert_eq(r.wscale, o.wscale);
				cr_assert_eq(r.sack_perm, o.sack_perm);
				cr_assert_eq(r.ts, o.ts);
				cr_assert_eq(ssyn_cookie_check(&s, &t, 778, c + 2, 1000, NULL), -EACCES);
				cr_assert_eq(ssyn_cookie_check(&s, &t, 779, c + 1, 1000, NULL), -EACCES);
				cr_assert_eq(ssyn_cookie_check(&s, &t, 778, c + 1, 1000 + 3 * 64, NULL), -EACCES);
			}
}

Test(splice_syn, table_bound)
{
	struct ssyn_ho *h = ssyn_ho_new(4, 1000);
	struct ssyn_ho_entry e = { 0 };

	cr_assert_not_null(h);
	for (uint16_t i = 0; i < 4; i++) {
		e.t = tup(i + 1);
		cr_assert_eq(ssyn_ho_insert(h, &e, 0, NULL), 0);
	}
	e.t = tup(99);
	cr_assert_eq(ssyn_ho_insert(h, &e, 10, NULL), -ENOSPC);
	cr_assert_eq(ssyn_ho_insert(h, &e, 1000, NULL), 0);
	cr_assert_not_null(ssyn_ho_lookup(h, &e.t, 1001));
	cr_assert_null(ssyn_ho_lookup(h, &(struct ssyn_tuple){ 0 }, 1001));
	ssyn_ho_free(h);
}

Test(splice_syn, synack_parses_back)
{
	struct ssyn_tuple t = tup(40000);
	struct ssyn_opts c = { .mss = 1460, .wscale = 7, .sack_perm = true, .ts = true, .tsval = 42 };
	struct ssyn_local l = { .mss = 1400, .wscale = 9, .tsval = 5 };
	uint8_t buf[128];
	struct raw_pkt p;
	struct raw_tcpopts o;
	int n = ssyn_build_synack(buf, sizeof buf, &t, 100, &c, 9999, &l, NULL);

	cr_assert_gt(n, 0);
	cr_assert_eq(raw_parse_ip(&p, buf, (size_t)n), 0);
	cr_assert(raw_tcp_csum_ok(&p));
	cr_assert(raw_ipv4_csum_ok(&p));
	cr_assert_eq(p.ack, 101);
	cr_assert_eq(p.seq, 9999);
	cr_assert_geq(p.window, 2 * 1400);
	cr_assert_eq(raw_pkt_tcpopts(&p, &o), 0);
	cr_assert_eq(o.tsecr, 42);
	cr_assert_eq(o.wscale, 9);
}
