/* setsockopt/getsockopt: remember what the application sets (for replay
 * after a swap) and translate it for the socket's current transport using
 * the table in sockopt_map.c. */
#include "ws.h"

#include <splicekit/ws_sockopt.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <string.h>

static int get_int(const void *val, socklen_t len, int *v)
{
	if (!val || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

static void remember(struct ws_fd *e, int level, int name, const void *val, socklen_t len)
{
	unsigned i;

	if (!val || len > WS_OPT_VAL)
		return;
	for (i = 0; i < e->nopts; i++)
		if (e->opts[i].level == level && e->opts[i].name == name)
			break;
	if (i == e->nopts) {
		if (e->nopts == WS_FD_OPTS) {
			ws_log(WS_LOG_DEBUG, "option %d/%d not kept for replay: table full", level, name);
			return;
		}
		e->nopts++;
	}
	e->opts[i].level = level;
	e->opts[i].name = name;
	e->opts[i].len = len;
	memcpy(e->opts[i].val, val, len);
}

/* Returns the remembered int value of (level, name), or dflt. */
static int recalled(const struct ws_fd *e, int level, int name, int dflt)
{
	int v = dflt;
	for (unsigned i = 0; i < e->nopts; i++)
		if (e->opts[i].level == level && e->opts[i].name == name &&
		    e->opts[i].len >= sizeof(int))
			memcpy(&v, e->opts[i].val, sizeof(int));
	return v;
}

static int peer_params(int fd, int hb_ms, int maxrxt, bool enable)
{
	struct sctp_paddrparams pp;
	memset(&pp, 0, sizeof(pp));
	if (hb_ms > 0)
		pp.spp_hbinterval = (uint32_t)hb_ms;
	if (maxrxt > 0)
		pp.spp_pathmaxrxt = (uint16_t)maxrxt;
	pp.spp_flags = enable ? SPP_HB_ENABLE : 0;
	if (ws_real.setsockopt(fd, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp)) < 0)
		return -errno;
	return 0;
}

int ws_apply_opt(int fd, struct ws_fd *e, int level, int name, const void *val,
		 socklen_t len, bool replay)
{
	const struct ws_optmap *m = ws_sockopt_lookup(e->transport, level, name);
	int v = 0, rc;

	switch (m->act) {
	case WS_OPT_PASS:
		return ws_real.setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
	case WS_OPT_MAP_INT:
		return ws_real.setsockopt(fd, m->to_level, m->to_name, val, len) < 0 ? -errno : 0;
	case WS_OPT_MAP_ASSOC: {
		struct sctp_assoc_value av = { 0 };
		if ((rc = get_int(val, len, &v)) < 0)
			return rc;
		av.assoc_value = (uint32_t)v;
		/* An MSS is a hint to TCP; an SCTP value out of range is
		 * not worth failing the application over. */
		if (ws_real.setsockopt(fd, m->to_level, m->to_name, &av, sizeof(av)) < 0)
			ws_log(WS_LOG_DEBUG, "fd %d: %s=%d not taken by SCTP: %s", fd, m->label, v,
			       strerror(errno));
		return 0;
	}
	case WS_OPT_HB_ENABLE:
		if ((rc = get_int(val, len, &v)) < 0)
			return rc;
		if (ws_real.setsockopt(fd, level, name, val, len) < 0)
			return -errno;
		/* SCTP heartbeats are on by default and also detect dead paths
		 * for multihoming, so SO_KEEPALIVE=0 leaves them on. */
		return v ? peer_params(fd, e->hb_ms, 0, true) : 0;
	case WS_OPT_HB_INTERVAL:
		if ((rc = get_int(val, len, &v)) < 0)
			return rc;
		if (v <= 0 || v > 32767)
			return -EINVAL;
		e->hb_ms = v * 1000;
		return peer_params(fd, e->hb_ms, 0, true);
	case WS_OPT_HB_MAXRXT:
		if ((rc = get_int(val, len, &v)) < 0)
			return rc;
		if (v <= 0 || v > 127)
			return -EINVAL;
		return peer_params(fd, 0, v, true);
	case WS_OPT_INIT_ATTEMPTS: {
		struct sctp_initmsg im;
		socklen_t il = sizeof(im);
		if ((rc = get_int(val, len, &v)) < 0)
			return rc;
		if (v < 1 || v > 127)
			return -EINVAL;
		if (ws_real.getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, &il) < 0)
			return -errno;
		im.sinit_max_attempts = (uint16_t)(v + 1); /* SYN retries + the first */
		return ws_real.setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)) < 0
			       ? -errno : 0;
	}
	case WS_OPT_CORK: {
		/* A corked TCP socket sends every full segment at once and the
		 * application promises to uncork; SCTP's Nagle would instead
		 * hold each message below the path MTU (all of them on
		 * loopback's 64 KiB) for a delayed SACK, 200 ms a time. So
		 * while corked, Nagle is off; uncorking restores the
		 * application's own TCP_NODELAY. The bundling itself is
		 * MSG_MORE on the writes (io_write.c). */
		int nd;
		if ((rc = get_int(val, len, &v)) < 0)
			return rc;
		__atomic_store_n(&e->corked, v != 0, __ATOMIC_RELAXED);
		/* Uncorking pushes what the cork held (io_write.c), still with
		 * Nagle off so the partial packet leaves now. */
		if (!v && (rc = ws_cork_flush(fd, e)) < 0)
			return rc;
		nd = v ? 1 : recalled(e, IPPROTO_TCP, TCP_NODELAY, 0);
		if (ws_real.setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &nd, sizeof(nd)) < 0)
			return -errno;
		return 0;
	}
	case WS_OPT_IGNORE:
		if (!replay)
			ws_log(WS_LOG_DEBUG, "fd %d: %s has no SCTP counterpart; accepted, no effect",
			       fd, m->label);
		return 0;
	case WS_OPT_SOFT:
		if (ws_real.setsockopt(fd, level, name, val, len) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != ENOPROTOOPT)
			return -errno;
		ws_log(WS_LOG_DEBUG, "fd %d: option %d/%d not supported by MPTCP; accepted", fd, level,
		       name);
		return 0;
	case WS_OPT_INFO:
	case WS_OPT_REJECT:
	default:
		ws_log(WS_LOG_INFO, "fd %d: %s refused on %s (no safe counterpart)", fd, m->label,
		       ws_transport_name(e->transport));
		return -ENOPROTOOPT;
	}
}

WS_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	ws_real_init();
	struct ws_fd *e = ws_fd_stream(fd);
	int rc;

	if (!e)
		return ws_real.setsockopt(fd, level, name, val, len);
	ws_lock();
	rc = ws_apply_opt(fd, e, level, name, val, len, false);
	if (rc == 0)
		remember(e, level, name, val, len);
	ws_unlock();
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

/* TCP_INFO for an SCTP association, from SCTP_STATUS: the fields programs
 * actually read (state, RTT, RTO, MSS, cwnd, unacked). */
static int tcp_info_from_sctp(int fd, void *val, socklen_t *len)
{
	struct sctp_status st;
	struct tcp_info ti;
	socklen_t sl = sizeof(st);

	memset(&st, 0, sizeof(st));
	/* No association (never connected, or the peer closed and it is
	 * gone): TCP still answers, with a closed state. */
	if (ws_real.getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &st, &sl) < 0 && errno != EINVAL)
		return -errno;
	memset(&ti, 0, sizeof(ti));
	switch (st.sstat_state) {
	case SCTP_ESTABLISHED: ti.tcpi_state = TCP_ESTABLISHED; break;
	case SCTP_COOKIE_WAIT:
	case SCTP_COOKIE_ECHOED: ti.tcpi_state = TCP_SYN_SENT; break;
	case SCTP_SHUTDOWN_PENDING:
	case SCTP_SHUTDOWN_SENT: ti.tcpi_state = TCP_FIN_WAIT1; break;
	case SCTP_SHUTDOWN_RECEIVED:
	case SCTP_SHUTDOWN_ACK_SENT: ti.tcpi_state = TCP_CLOSE_WAIT; break;
	default: ti.tcpi_state = TCP_CLOSE; break;
	}
	ti.tcpi_rtt = st.sstat_primary.spinfo_srtt * 1000u;
	ti.tcpi_rto = st.sstat_primary.spinfo_rto * 1000u;
	ti.tcpi_snd_mss = st.sstat_fragmentation_point;
	ti.tcpi_pmtu = st.sstat_primary.spinfo_mtu;
	ti.tcpi_unacked = st.sstat_unackdata;
	ti.tcpi_snd_cwnd = st.sstat_fragmentation_point
				   ? st.sstat_primary.spinfo_cwnd / st.sstat_fragmentation_point
				   : 0;
	if (*len > sizeof(ti))
		*len = sizeof(ti);
	memcpy(val, &ti, *len);
	return 0;
}

static int put_int(void *val, socklen_t *len, int v)
{
	if (!val || !len || *len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(int));
	*len = sizeof(int);
	return 0;
}

/* SO_ERROR is how a non-blocking caller learns its connect's outcome: move
 * a pending fallback on first, and report a fallback connect's immediate
 * failure, which the kernel has already returned to the shim. */
static int so_error(int fd, struct ws_fd *e, void *val, socklen_t *len)
{
	int err;

	(void)ws_pend_check(fd);
	err = __atomic_exchange_n(&e->pend_err, 0, __ATOMIC_ACQ_REL);
	if (!err)
		return ws_real.getsockopt(fd, SOL_SOCKET, SO_ERROR, val, len);
	if ((err = put_int(val, len, err)) < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}

WS_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	ws_real_init();
	struct ws_fd *e = ws_fd_stream(fd);
	const struct ws_optmap *m;
	int rc = 0;

	if (e && level == SOL_SOCKET && name == SO_ERROR)
		return so_error(fd, e, val, len);
	if (!e || e->transport == WS_TCP)
		return ws_real.getsockopt(fd, level, name, val, len);
	m = ws_sockopt_lookup(e->transport, level, name);
	switch (m->act) {
	case WS_OPT_PASS:
	case WS_OPT_HB_ENABLE:
		return ws_real.getsockopt(fd, level, name, val, len);
	case WS_OPT_MAP_INT:
		return ws_real.getsockopt(fd, m->to_level, m->to_name, val, len);
	case WS_OPT_MAP_ASSOC: {
		struct sctp_assoc_value av = { 0 };
		socklen_t al = sizeof(av);
		if (ws_real.getsockopt(fd, m->to_level, m->to_name, &av, &al) < 0)
			return -1;
		rc = put_int(val, len, (int)av.assoc_value);
		break;
	}
	case WS_OPT_CORK:
		rc = put_int(val, len, e->corked);
		break;
	case WS_OPT_INFO:
		rc = tcp_info_from_sctp(fd, val, len);
		break;
	case WS_OPT_SOFT:
		if (ws_real.getsockopt(fd, level, name, val, len) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != ENOPROTOOPT)
			return -1;
		rc = put_int(val, len, recalled(e, level, name, 0));
		break;
	case WS_OPT_HB_INTERVAL:
	case WS_OPT_HB_MAXRXT:
	case WS_OPT_INIT_ATTEMPTS:
	case WS_OPT_IGNORE:
		/* Report back what the application set, as TCP would. */
		rc = put_int(val, len, recalled(e, level, name, 0));
		break;
	default:
		rc = -ENOPROTOOPT;
	}
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}
