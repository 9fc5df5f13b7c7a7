/* A minimal dispatcher for the fast-path netns test. It offloads the
 * flows of the given client ports up front, with a seq and timestamp
 * delta as a splice does, and does in user space only what the kernel
 * leaves to it: it forwards SYN and SYN-ACK (shifting the SYN-ACK's ISN
 * and TSval by the deltas) and counts every packet of those flows its
 * filtered AF_PACKET readers receive, by kind. At SIGTERM it prints the
 * counts, the map's counters and the programs' statistics, one
 * "name value" per line, and detaches.
 *
 *   fp_rig --cif IF --sif IF --vip ADDR:PORT --server ADDR:PORT
 *          --client ADDR --ports P[,P..] --cmac MAC --smac MAC
 *          --delta N --tsdelta N */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <splicekit/raw_csum.h>
#include <splicekit/raw_rewrite.h>

#include "fastpath/fastpath.h"

#define MAXP 8

struct side {
	int fd, ifindex;
	uint8_t mac[6];       /* ours on this side */
	uint8_t peer[6];      /* the host behind it */
};

static struct {
	struct disp_fp *fp;
	struct side c, s;
	uint8_t cli[16], vip[16], srv[16];
	uint16_t vport, sport_srv, ports[MAXP];
	int nports, af;
	uint32_t delta, tsdelta;
	unsigned long syn, fin, rst, other, total;
} g;

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static void die(const char *what, int r)
{
	fprintf(stderr, "fp_rig: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

static void addr(const char *s, uint8_t *out, uint16_t *port)
{
	char buf[64], *c;

	snprintf(buf, sizeof(buf), "%s", s);
	c = port ? strrchr(buf, ':') : NULL;
	if (c) {
		*c = '\0';
		*port = (uint16_t)atoi(c + 1);
	}
	memset(out, 0, 16);
	g.af = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(g.af, buf, out) != 1)
		die(s, EINVAL);
}

static void mac(const char *s, uint8_t *out)
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &out[0], &out[1],
		   &out[2], &out[3], &out[4], &out[5]) != 6)
		die(s, EINVAL);
}

static void open_side(struct side *sd, const char *ifname)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int one = 1, r;

	sd->ifindex = (int)if_nametoindex(ifname);
	if (!sd->ifindex)
		die(ifname, errno);
	sd->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (sd->fd == -1)
		die("socket", errno);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sd->fd, SIOCGIFHWADDR, &ifr) == -1)
		die("SIOCGIFHWADDR", errno);
	memcpy(sd->mac, ifr.ifr_hwaddr.sa_data, 6);
	/* The filter first, then bind: nothing unfiltered is queued. */
	if ((r = disp_fp_attach_filter(g.fp, sd->fd)))
		die(disp_fp_reason(g.fp), r);
	setsockopt(sd->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = sd->ifindex;
	if (bind(sd->fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		die("bind", errno);
	if ((r = disp_fp_attach_tc(g.fp, sd->ifindex)))
		die(disp_fp_reason(g.fp), r);
}

static void set_key(struct disp_fp_key *k, const uint8_t *sa, uint16_t sp,
		    const uint8_t *da, uint16_t dp)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, sa, 16);
	memcpy(k->daddr, da, 16);
	k->sport = htons(sp);
	k->dport = htons(dp);
	k->family = g.af == AF_INET ? DISP_FP_FAM_V4 : DISP_FP_FAM_V6;
	k->proto = IPPROTO_TCP;
}

/* Both directions of client port p: c2s towards the server, s2c back. */
static void flow_keys(uint16_t p, struct disp_fp_key *c2s,
		      struct disp_fp_key *s2c)
{
	set_key(c2s, g.cli, p, g.vip, g.vport);
	set_key(s2c, g.srv, g.sport_srv, g.cli, p);
}

static void offload(uint16_t p)
{
	struct disp_fp_key kc, ks;
	struct disp_fp_flow f;
	int r;

	flow_keys(p, &kc, &ks);
	memset(&f, 0, sizeof(f));
	memcpy(f.saddr, g.cli, 16);
	memcpy(f.daddr, g.srv, 16);
	f.sport = htons(p);
	f.dport = htons(g.sport_srv);
	f.ack_delta = -g.delta;
	f.tsecr_delta = -g.tsdelta;
	f.ifindex = (uint32_t)g.s.ifindex;
	memcpy(f.smac, g.s.mac, 6);
	memcpy(f.dmac, g.s.peer, 6);
	if ((r = disp_fp_insert(g.fp, &kc, &f)))
		die(disp_fp_reason(g.fp), r);
	memset(&f, 0, sizeof(f));
	memcpy(f.saddr, g.vip, 16);
	memcpy(f.daddr, g.cli, 16);
	f.sport = htons(g.vport);
	f.dport = htons(p);
	f.seq_delta = g.delta;
	f.tsval_delta = g.tsdelta;
	f.ifindex = (uint32_t)g.c.ifindex;
	memcpy(f.smac, g.c.mac, 6);
	memcpy(f.dmac, g.c.peer, 6);
	if ((r = disp_fp_insert(g.fp, &ks, &f)))
		die(disp_fp_reason(g.fp), r);
}

static int ours(const struct raw_pkt *p)
{
	int i;

	for (i = 0; i < g.nports; i++)
		if (p->sport == g.ports[i] || p->dport == g.ports[i])
			return 1;
	return 0;
}

/* The user-space half: SYN to the server, SYN-ACK (ISN and TSval shifted)
 * to the client, with full checksums (captures may carry partial ones). */
static void forward_syn(struct raw_pkt *p, int from_client)
{
	struct side *out = from_client ? &g.s : &g.c;
	struct raw_tcpopts o;

	if (raw_pkt_tcpopts(p, &o))
		return;
	if (from_client) {
		raw_rw_daddr(p, g.srv);
		raw_rw_dport(p, g.sport_srv);
	} else {
		raw_rw_seq_add(p, g.delta);
		if (o.present & RAW_TCPOPT_F_TS)
			raw_rw_ts(p, &o, o.tsval + g.tsdelta, o.tsecr);
		raw_rw_saddr(p, g.vip);
		raw_rw_sport(p, g.vport);
	}
	if (p->family == AF_INET)
		raw_ipv4_csum_set(p);
	raw_tcp_csum_set(p);
	memcpy(p->buf, out->peer, 6);
	memcpy(p->buf + 6, out->mac, 6);
	if (send(out->fd, p->buf, p->len, 0) == -1)
		fprintf(stderr, "fp_rig: send: %s\n", strerror(errno));
}

static void on_packet(uint8_t *buf, size_t len, int from_client)
{
	struct raw_pkt p;

	g.total++;
	if (raw_parse_eth(&p, buf, len) || !p.is_tcp || !ours(&p))
		return;
	if (p.tcp_flags & RAW_TCP_SYN) {
		g.syn++;
		forward_syn(&p, from_client);
	} else if (p.tcp_flags & RAW_TCP_RST) {
		g.rst++;
	} else if (p.tcp_flags & RAW_TCP_FIN) {
		g.fin++; /* translated by the kernel; only observed here */
	} else {
		g.other++;
	}
}

static void report(void)
{
	static const char *const st_name[DISP_FP_ST_MAX] = {
		"tc_seen", "tc_xlate", "tc_noflow", "tc_syn", "tc_unparsed",
		"tc_err", "filter_drop", "filter_pass", "filter_other",
	};
	struct disp_fp_counters c;
	struct disp_fp_stats st;
	struct disp_fp_key kc, ks;
	int i;

	printf("seen_total %lu\nseen_syn %lu\nseen_fin %lu\nseen_rst %lu\n"
	       "seen_other %lu\n", g.total, g.syn, g.fin, g.rst, g.other);
	for (i = 0; i < g.nports; i++) {
		flow_keys(g.ports[i], &kc, &ks);
		if (disp_fp_read(g.fp, &kc, &c) == 0)
			printf("map_c2s_%u_bytes %llu\nmap_c2s_%u_fin_rst %llu\n",
			       g.ports[i], (unsigned long long)c.bytes,
			       g.ports[i], (unsigned long long)c.fin_rst);
		if (disp_fp_read(g.fp, &ks, &c) == 0)
			printf("map_s2c_%u_bytes %llu\nmap_s2c_%u_fin_rst %llu\n",
			       g.ports[i], (unsigned long long)c.bytes,
			       g.ports[i], (unsigned long long)c.fin_rst);
	}
	if (disp_fp_stats(g.fp, &st) == 0)
		for (i = 0; i < DISP_FP_ST_MAX; i++)
			printf("%s %llu\n", st_name[i],
			       (unsigned long long)st.st[i]);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *cif = NULL, *sif = NULL, *cmac = NULL, *smac = NULL;
	static uint8_t buf[65536 + 256];
	struct pollfd pf[2];
	char err[512], *tok;
	int i, r;

	for (i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--cif")) cif = v;
		else if (!strcmp(k, "--sif")) sif = v;
		else if (!strcmp(k, "--vip")) addr(v, g.vip, &g.vport);
		else if (!strcmp(k, "--server")) addr(v, g.srv, &g.sport_srv);
		else if (!strcmp(k, "--client")) addr(v, g.cli, NULL);
		else if (!strcmp(k, "--cmac")) cmac = v;
		else if (!strcmp(k, "--smac")) smac = v;
		else if (!strcmp(k, "--delta")) g.delta = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(k, "--tsdelta")) g.tsdelta = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(k, "--ports")) {
			char *dup = strdup(v), *save = NULL;

			for (tok = strtok_r(dup, ",", &save); tok && g.nports < MAXP;
			     tok = strtok_r(NULL, ",", &save))
				g.ports[g.nports++] = (uint16_t)atoi(tok);
			free(dup);
		} else {
			die(k, EINVAL);
		}
	}
	if (!cif || !sif || !cmac || !smac || !g.nports || !g.vport)
		die("usage: see the comment at the top of fp_rig.c", EINVAL);
	mac(cmac, g.c.peer);
	mac(smac, g.s.peer);
	r = disp_fp_open(&g.fp, NULL, 1024, err, sizeof(err));
	if (r)
		die(err, r);
	open_side(&g.c, cif);
	open_side(&g.s, sif);
	for (i = 0; i < g.nports; i++)
		offload(g.ports[i]);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	printf("ready\n");
	fflush(stdout);
	pf[0].fd = g.c.fd;
	pf[1].fd = g.s.fd;
	pf[0].events = pf[1].events = POLLIN;
	while (!stop) {
		if (poll(pf, 2, 200) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (!(pf[i].revents & POLLIN))
				continue;
			n = recv(pf[i].fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
			if (n > 0)
				on_packet(buf, (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n,
					  i == 0);
		}
	}
	report();
	disp_fp_close(g.fp, false);
	return 0;
}
