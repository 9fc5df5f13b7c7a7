/* A peer's other addresses, for SCTP multihoming on the client side: every
 * address a name resolved to (getaddrinfo), plus groups given by
 * --peer A=B,C. An SCTP connect to any member is made with sctp_connectx
 * semantics to all of them, so the association has a path per address. */
#include "ws.h"
#include "ws_args.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/sctp.h>
#include <string.h>

#define GROUPS 16
#define MEMBERS 8

struct group {
	unsigned n;
	struct ws_query a[MEMBERS]; /* family + addr; port unused */
};
static struct group groups[GROUPS];
static unsigned next_group;

static bool same_addr(const struct ws_query *x, const struct ws_query *y)
{
	return x->family == y->family && memcmp(x->addr, y->addr, 16) == 0;
}

static void add_group(const struct ws_query *addrs, unsigned n)
{
	if (n < 2)
		return;
	ws_lock();
	struct group *g = &groups[next_group];
	next_group = (next_group + 1) % GROUPS;
	g->n = n > MEMBERS ? MEMBERS : n;
	memcpy(g->a, addrs, g->n * sizeof(addrs[0]));
	ws_unlock();
}

int ws_peers_parse(const char *spec)
{
	struct ws_peer_group g[WS_PEER_GROUPS];
	unsigned ng = 0;
	char err[128];

	if (ws_peers_spec(spec, strlen(spec), g, WS_PEER_GROUPS, &ng, err, sizeof(err)) < 0) {
		ws_log(WS_LOG_ERROR, "WITHSPLICE_PEERS: %s", err);
		return -EINVAL;
	}
	for (unsigned i = 0; i < ng; i++) {
		struct ws_query q[MEMBERS];
		memset(q, 0, sizeof(q));
		for (unsigned j = 0; j < g[i].n; j++) {
			q[j].family = g[i].a[j].family;
			memcpy(q[j].addr, g[i].a[j].addr, 16);
		}
		add_group(q, g[i].n);
	}
	return 0;
}

WS_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			  struct addrinfo **res)
{
	ws_real_init();
	int rc = ws_real.getaddrinfo(node, service, hints, res);
	struct ws_query q[MEMBERS];
	unsigned n = 0;

	if (rc != 0 || !ws_cfg.multihome)
		goto out;
	for (const struct addrinfo *ai = *res; ai && n < MEMBERS; ai = ai->ai_next) {
		struct ws_query one;
		bool dup = false;
		if (ai->ai_socktype && ai->ai_socktype != SOCK_STREAM)
			continue;
		if (!ai->ai_addr || ws_query_from_sa(&one, ai->ai_addr, ai->ai_addrlen) < 0)
			continue;
		for (unsigned i = 0; i < n && !dup; i++)
			dup = same_addr(&q[i], &one);
		if (!dup)
			q[n++] = one;
	}
	add_group(q, n);
out:
	return rc;
}

/* Writes the sockaddr for member m with port into p: its length. */
static size_t put_addr(uint8_t *p, const struct ws_query *m, in_port_t port, int domain)
{
	if (m->family == AF_INET && domain == AF_INET) {
		struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = port };
		memcpy(&s.sin_addr, m->addr, 4);
		memcpy(p, &s, sizeof(s));
		return sizeof(s);
	}
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = port };
	if (m->family == AF_INET) {
		/* An AF_INET6 SCTP socket takes IPv4 peers as v4-mapped. */
		((uint8_t *)&s6.sin6_addr)[10] = 0xff;
		((uint8_t *)&s6.sin6_addr)[11] = 0xff;
		memcpy((uint8_t *)&s6.sin6_addr + 12, m->addr, 4);
	} else {
		memcpy(&s6.sin6_addr, m->addr, 16);
	}
	memcpy(p, &s6, sizeof(s6));
	return sizeof(s6);
}

int ws_peers_connect(int fd, int domain, const struct sockaddr *sa, socklen_t len)
{
	struct ws_query q;
	uint8_t packed[MEMBERS * sizeof(struct sockaddr_in6)];
	size_t off = 0;
	unsigned count = 0;
	in_port_t port;
	const struct group *g = NULL;

	if (!ws_cfg.multihome || ws_query_from_sa(&q, sa, len) < 0)
		return ws_real.connect(fd, sa, len);
	ws_lock();
	for (unsigned i = 0; i < GROUPS && !g; i++)
		for (unsigned j = 0; j < groups[i].n && !g; j++)
			if (same_addr(&groups[i].a[j], &q))
				g = &groups[i];
	if (!g) {
		ws_unlock();
		return ws_real.connect(fd, sa, len);
	}
	port = ((const struct sockaddr_in *)sa)->sin_port; /* same offset in v6 */
	/* The address the application asked for goes first: it becomes the
	 * primary path. */
	off += put_addr(packed, &q, port, domain);
	count++;
	for (unsigned j = 0; j < g->n; j++) {
		if (same_addr(&g->a[j], &q) || (g->a[j].family == AF_INET6 && domain != AF_INET6))
			continue;
		off += put_addr(packed + off, &g->a[j], port, domain);
		count++;
	}
	ws_unlock();
	if (count < 2)
		return ws_real.connect(fd, sa, len);
	ws_log(WS_LOG_INFO, "fd %d: SCTP connect to %u addresses of the peer", fd, count);
	/* sctp_connectx()'s kernel interface; returns the association id. */
	if (ws_real.setsockopt(fd, SOL_SCTP, SCTP_SOCKOPT_CONNECTX, packed, (socklen_t)off) < 0)
		return -1;
	return 0;
}

unsigned ws_failover_ms;

void ws_sctp_tune(int fd)
{
	struct sctp_rtoinfo rto = { 0 };
	struct sctp_paddrparams pp;
	unsigned third = ws_failover_ms / 3;

	if (!ws_failover_ms)
		return;
	/* A dead path is declared after pathmaxrxt + 1 timeouts; with two
	 * retransmissions and RTO capped at a third of the budget, failover
	 * happens within about --failover-ms (defaults: RTO up to 60 s and
	 * 5 retransmissions, i.e. minutes). */
	rto.srto_initial = third;
	rto.srto_max = third;
	rto.srto_min = third < 100 ? third : 100;
	if (ws_real.setsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof(rto)) < 0)
		ws_log(WS_LOG_WARN, "fd %d: SCTP_RTOINFO: %s", fd, strerror(errno));
	memset(&pp, 0, sizeof(pp));
	pp.spp_hbinterval = third;
	pp.spp_pathmaxrxt = 2;
	pp.spp_flags = SPP_HB_ENABLE;
	if (ws_real.setsockopt(fd, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp)) < 0)
		ws_log(WS_LOG_WARN, "fd %d: SCTP_PEER_ADDR_PARAMS: %s", fd, strerror(errno));
}
