/* The option translation table (field-notes: "SCTP one-to-one sockets
 * versus TCP"). Kept apart from the interposers so it is pure and tested. */
#include <splicekit/ws_sockopt.h>

#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define E(lv, nm, act, tl, tn) { lv, nm, act, tl, tn, #nm }

static const struct ws_optmap sctp_map[] = {
	E(IPPROTO_TCP, TCP_NODELAY, WS_OPT_MAP_INT, IPPROTO_SCTP, SCTP_NODELAY),
	E(IPPROTO_TCP, TCP_MAXSEG, WS_OPT_MAP_ASSOC, IPPROTO_SCTP, SCTP_MAXSEG),
	E(SOL_SOCKET, SO_KEEPALIVE, WS_OPT_HB_ENABLE, 0, 0),
	E(IPPROTO_TCP, TCP_KEEPIDLE, WS_OPT_HB_INTERVAL, 0, 0),
	E(IPPROTO_TCP, TCP_KEEPINTVL, WS_OPT_HB_INTERVAL, 0, 0),
	E(IPPROTO_TCP, TCP_KEEPCNT, WS_OPT_HB_MAXRXT, 0, 0),
	E(IPPROTO_TCP, TCP_SYNCNT, WS_OPT_INIT_ATTEMPTS, 0, 0),
	E(IPPROTO_TCP, TCP_CORK, WS_OPT_CORK, 0, 0),
	E(IPPROTO_TCP, TCP_INFO, WS_OPT_INFO, 0, 0),
	/* Performance hints and accept-time tweaks: the connection works the
	 * same without them, so pretending is safe. */
	E(IPPROTO_TCP, TCP_DEFER_ACCEPT, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_FASTOPEN, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_FASTOPEN_CONNECT, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_CONGESTION, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_QUICKACK, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_WINDOW_CLAMP, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_LINGER2, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_USER_TIMEOUT, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_NOTSENT_LOWAT, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_THIN_DUPACK, WS_OPT_IGNORE, 0, 0),
	E(IPPROTO_TCP, TCP_SAVE_SYN, WS_OPT_IGNORE, 0, 0),
	/* Security and protocol-changing options: a silent success would
	 * promise protection (MD5 signatures, kTLS) that is not there. */
	E(IPPROTO_TCP, TCP_MD5SIG, WS_OPT_REJECT, 0, 0),
	E(IPPROTO_TCP, TCP_MD5SIG_EXT, WS_OPT_REJECT, 0, 0),
	E(IPPROTO_TCP, TCP_ULP, WS_OPT_REJECT, 0, 0),
	E(IPPROTO_TCP, TCP_REPAIR, WS_OPT_REJECT, 0, 0),
};

static const struct ws_optmap pass = { 0, 0, WS_OPT_PASS, 0, 0, "option" };
static const struct ws_optmap reject = { 0, 0, WS_OPT_REJECT, 0, 0, "unknown TCP option" };
static const struct ws_optmap soft = { 0, 0, WS_OPT_SOFT, 0, 0, "TCP option" };

const struct ws_optmap *ws_sockopt_lookup(enum ws_transport t, int level, int name)
{
	if (t == WS_TCP)
		return &pass;
	for (size_t i = 0; i < sizeof(sctp_map) / sizeof(sctp_map[0]); i++) {
		if (sctp_map[i].level != level || sctp_map[i].name != name)
			continue;
		if (t == WS_SCTP || sctp_map[i].act == WS_OPT_REJECT)
			return &sctp_map[i];
		break;
	}
	if (t == WS_MPTCP) {
		/* The MPTCP socket implements most TCP options itself (Linux
		 * net/mptcp/sockopt.c) and refuses the rest with EOPNOTSUPP;
		 * those refusals are softened rather than translated. */
		if (level == IPPROTO_TCP)
			return &soft;
		/* MPTCP carries no urgent data, so where it goes is moot; the
		 * kernel refuses the option and vsftpd dies of the refusal. */
		return level == SOL_SOCKET && name == SO_OOBINLINE ? &soft : &pass;
	}
	return level == IPPROTO_TCP ? &reject : &pass;
}
