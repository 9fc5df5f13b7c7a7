/* withsplice socket-option translation table: what an IPPROTO_TCP (or
 * SOL_SOCKET) option set by a TCP application becomes on the transport the
 * shim chose. Pure data plus lookup; the shim's setsockopt/getsockopt
 * wrappers act on the answer. */
#ifndef SPLICEKIT_WS_SOCKOPT_H
#define SPLICEKIT_WS_SOCKOPT_H

#include <splicekit/ws_policy.h>

enum ws_optact {
	WS_OPT_PASS = 0,      /* hand to the kernel unchanged */
	WS_OPT_MAP_INT,       /* same int value under (to_level, to_name) */
	WS_OPT_MAP_ASSOC,     /* int value as struct sctp_assoc_value */
	WS_OPT_HB_ENABLE,     /* SO_KEEPALIVE: pass, and turn heartbeats on */
	WS_OPT_HB_INTERVAL,   /* TCP_KEEPIDLE/INTVL seconds -> heartbeat ms */
	WS_OPT_HB_MAXRXT,     /* TCP_KEEPCNT -> path max retransmissions */
	WS_OPT_INIT_ATTEMPTS, /* TCP_SYNCNT -> SCTP_INITMSG max attempts */
	WS_OPT_CORK,          /* emulated: sends carry MSG_MORE while set */
	WS_OPT_INFO,          /* TCP_INFO read: built from SCTP_STATUS */
	WS_OPT_IGNORE,        /* no counterpart, harmless: succeed, log debug */
	WS_OPT_REJECT,        /* no counterpart, unsafe to pretend: ENOPROTOOPT */
	WS_OPT_SOFT,          /* MPTCP: pass; if the kernel refuses, succeed */
};

struct ws_optmap {
	int level, name;      /* as the application asked */
	enum ws_optact act;
	int to_level, to_name; /* for MAP_INT / MAP_ASSOC */
	const char *label;    /* for logs: "TCP_NODELAY" */
};

/* Returns the table entry saying what (level, name) becomes on transport t.
 * Never NULL: options the table does not list get a static entry whose act
 * is WS_OPT_PASS (any level but IPPROTO_TCP, or t == WS_TCP) or, for
 * unknown IPPROTO_TCP options on SCTP, WS_OPT_REJECT. The result points to
 * static storage. */
const struct ws_optmap *ws_sockopt_lookup(enum ws_transport t, int level, int name);

#endif
