/* The option translation table: what a TCP application's options become. */
#include <splicekit/ws_sockopt.h>

#include <criterion/criterion.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static const struct ws_optmap *sctp(int level, int name)
{
	return ws_sockopt_lookup(WS_SCTP, level, name);
}

Test(sockopt, tcp_passes_everything)
{
	cr_assert_eq(ws_sockopt_lookup(WS_TCP, IPPROTO_TCP, TCP_CORK)->act, WS_OPT_PASS);
	cr_assert_eq(ws_sockopt_lookup(WS_TCP, IPPROTO_TCP, TCP_MD5SIG)->act, WS_OPT_PASS);
	cr_assert_eq(ws_sockopt_lookup(WS_TCP, IPPROTO_TCP, 12345)->act, WS_OPT_PASS);
}

Test(sockopt, sctp_mappings)
{
	const struct ws_optmap *m = sctp(IPPROTO_TCP, TCP_NODELAY);
	cr_assert_eq(m->act, WS_OPT_MAP_INT);
	cr_assert_eq(m->to_level, IPPROTO_SCTP);
	cr_assert_eq(m->to_name, SCTP_NODELAY);
	m = sctp(IPPROTO_TCP, TCP_MAXSEG);
	cr_assert_eq(m->act, WS_OPT_MAP_ASSOC);
	cr_assert_eq(m->to_name, SCTP_MAXSEG);
	cr_assert_eq(sctp(SOL_SOCKET, SO_KEEPALIVE)->act, WS_OPT_HB_ENABLE);
	cr_assert_eq(sctp(IPPROTO_TCP, TCP_KEEPIDLE)->act, WS_OPT_HB_INTERVAL);
	cr_assert_eq(sctp(IPPROTO_TCP, TCP_KEEPINTVL)->act, WS_OPT_HB_INTERVAL);
	cr_assert_eq(sctp(IPPROTO_TCP, TCP_KEEPCNT)->act, WS_OPT_HB_MAXRXT);
	cr_assert_eq(sctp(IPPROTO_TCP, TCP_SYNCNT)->act, WS_OPT_INIT_ATTEMPTS);
	cr_assert_eq(sctp(IPPROTO_TCP, TCP_CORK)->act, WS_OPT_CORK);
	cr_assert_eq(sctp(IPPROTO_TCP, TCP_INFO)->act, WS_OPT_INFO);
	cr_assert_str_eq(sctp(IPPROTO_TCP, TCP_NODELAY)->label, "TCP_NODELAY");
}

Test(sockopt, sctp_harmless_and_unsafe)
{
	static const int harmless[] = { TCP_DEFER_ACCEPT, TCP_FASTOPEN, TCP_CONGESTION,
					TCP_QUICKACK, TCP_USER_TIMEOUT, TCP_NOTSENT_LOWAT };
	for (size_t i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++)
		cr_assert_eq(sctp(IPPROTO_TCP, harmless[i])->act, WS_OPT_IGNORE, "opt %d", harmless[i]);
	cr_assert_eq(sctp(IPPROTO_TCP, TCP_MD5SIG)->act, WS_OPT_REJECT);
	cr_assert_eq(sctp(IPPROTO_TCP, TCP_ULP)->act, WS_OPT_REJECT);
	/* Unknown TCP options are refused, as the kernel would. */
	cr_assert_eq(sctp(IPPROTO_TCP, 9999)->act, WS_OPT_REJECT);
	/* Other levels reach the SCTP socket unchanged. */
	cr_assert_eq(sctp(SOL_SOCKET, SO_REUSEADDR)->act, WS_OPT_PASS);
	cr_assert_eq(sctp(SOL_SOCKET, SO_SNDBUF)->act, WS_OPT_PASS);
	cr_assert_eq(sctp(IPPROTO_IPV6, IPV6_V6ONLY)->act, WS_OPT_PASS);
}

Test(sockopt, mptcp_soft_but_not_unsafe)
{
	cr_assert_eq(ws_sockopt_lookup(WS_MPTCP, IPPROTO_TCP, TCP_NODELAY)->act, WS_OPT_SOFT);
	cr_assert_eq(ws_sockopt_lookup(WS_MPTCP, IPPROTO_TCP, TCP_DEFER_ACCEPT)->act, WS_OPT_SOFT);
	cr_assert_eq(ws_sockopt_lookup(WS_MPTCP, IPPROTO_TCP, TCP_MD5SIG)->act, WS_OPT_REJECT);
	cr_assert_eq(ws_sockopt_lookup(WS_MPTCP, SOL_SOCKET, SO_KEEPALIVE)->act, WS_OPT_PASS);
	cr_assert_eq(ws_sockopt_lookup(WS_MPTCP, SOL_SOCKET, SO_OOBINLINE)->act, WS_OPT_SOFT);
	cr_assert_eq(ws_sockopt_lookup(WS_SCTP, SOL_SOCKET, SO_OOBINLINE)->act, WS_OPT_PASS);
}
