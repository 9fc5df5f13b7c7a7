/* skfwd command line: parse and check the static configuration, then run. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: skfwd --client-if IF --server-if IF --vip ADDR --port N\n"
		"             --backend ADDR [--backend-port N] [--io pcap|afpacket]\n"
		"             [--tx ip|packet --server-mac MAC] [--csum fix|refuse]\n"
		"             [--big split|refuse]\n"
		"             [--threads N] [--fanout GROUP] [--block-kb N]\n"
		"             [--duration SECS] [-v]\n"
		"       skfwd --help | --version\n"
		"Forwards TCP from clients to ADDR:port (the VIP) to one backend by\n"
		"rewriting addresses and ports, and the replies back. Run it in a\n"
		"host where the VIP is routed but not assigned and forwarding is off.\n");
}

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int parse_addr(const char *s, int *family, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "skfwd: %s '%s': %s\n", opt, val, why);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "io", required_argument, NULL, 'i' },
		{ "client-if", required_argument, NULL, 'c' },
		{ "server-if", required_argument, NULL, 's' },
		{ "vip", required_argument, NULL, 'V' },
		{ "port", required_argument, NULL, 'p' },
		{ "backend", required_argument, NULL, 'b' },
		{ "backend-port", required_argument, NULL, 'P' },
		{ "tx", required_argument, NULL, 't' },
		{ "server-mac", required_argument, NULL, 'm' },
		{ "csum", required_argument, NULL, 'k' },
		{ "fanout", required_argument, NULL, 'f' },
		{ "big", required_argument, NULL, 'g' },
		{ "threads", required_argument, NULL, 'T' },
		{ "block-kb", required_argument, NULL, 'B' },
		{ "duration", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'E' }, /* long only: 'V' is --vip */
		{ 0 },
	};
	struct fwd_conf c = { .io = "afpacket", .tx = FWD_TX_IP,
			      .deliver_big = true };
	const char *vip = NULL, *backend = NULL;
	bool have_mac = false;
	int bfamily = 0, o, r;
	struct sigaction sa;

	while ((o = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			if (!raw_io_backend_known(optarg))
				return bad("--io", optarg, "not a backend (pcap, afpacket)");
			c.io = optarg;
			break;
		case 'c': c.client_if = optarg; break;
		case 's': c.server_if = optarg; break;
		case 'V': vip = optarg; break;
		case 'b': backend = optarg; break;
		case 'p':
			if (parse_port(optarg, &c.vport) < 0)
				return bad("--port", optarg, "not a port 1..65535");
			break;
		case 'P':
			if (parse_port(optarg, &c.bport) < 0)
				return bad("--backend-port", optarg, "not a port 1..65535");
			break;
		case 't':
			if (strcmp(optarg, "ip") == 0)
				c.tx = FWD_TX_IP;
			else if (strcmp(optarg, "packet") == 0)
				c.tx = FWD_TX_PACKET;
			else
				return bad("--tx", optarg, "want ip or packet");
			break;
		case 'm':
			if (parse_mac(optarg, c.server_mac) < 0)
				return bad("--server-mac", optarg, "want xx:xx:xx:xx:xx:xx");
			have_mac = true;
			break;
		case 'k':
			if (strcmp(optarg, "fix") == 0)
				c.csum = RAW_IO_CSUM_DELIVER;
			else if (strcmp(optarg, "refuse") == 0)
				c.csum = RAW_IO_CSUM_REFUSE;
			else
				return bad("--csum", optarg, "want fix or refuse");
			break;
		case 'g':
			if (strcmp(optarg, "split") == 0)
				c.deliver_big = true;
			else if (strcmp(optarg, "refuse") == 0)
				c.deliver_big = false;
			else
				return bad("--big", optarg, "want split or refuse");
			break;
		case 'f': {
			uint16_t g;

			if (parse_port(optarg, &g) < 0)
				return bad("--fanout", optarg, "want a group id 1..65535");
			c.fanout_group = g;
			break;
		}
		case 'd': {
			uint16_t d;

			if (parse_port(optarg, &d) < 0)
				return bad("--duration", optarg, "want seconds 1..65535");
			c.duration_s = d;
			break;
		}
		case 'T': {
			uint16_t t;

			if (parse_port(optarg, &t) < 0 || t > FWD_THREADS_MAX)
				return bad("--threads", optarg, "want 1..16");
			c.threads = t;
			break;
		}
		case 'B': {
			uint16_t k;

			if (parse_port(optarg, &k) < 0 || k < 4 || (k & (k - 1)))
				return bad("--block-kb", optarg, "want a power of two >= 4");
			c.block_kb = k;
			break;
		}
		case 'v': c.verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'E': printf("skfwd %s\n", SPLICEKIT_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc)
		return bad("argument", argv[optind], "unexpected");
	if (!c.client_if || !c.server_if || !vip || !backend || !c.vport) {
		fprintf(stderr, "skfwd: --client-if, --server-if, --vip, --port and "
				"--backend are required\n");
		usage(stderr);
		return 2;
	}
	if (parse_addr(vip, &c.family, c.vip) < 0)
		return bad("--vip", vip, "not an IPv4 or IPv6 address");
	if (parse_addr(backend, &bfamily, c.backend) < 0)
		return bad("--backend", backend, "not an IPv4 or IPv6 address");
	if (bfamily != c.family)
		return bad("--backend", backend, "not the VIP's address family");
	if (!c.bport)
		c.bport = c.vport;
	if (c.tx == FWD_TX_PACKET && !have_mac)
		return bad("--tx", "packet", "needs --server-mac");
	if (c.threads > 1 && !c.fanout_group)
		/* Threads share by fanout; the group is per network namespace,
		 * so a PID-derived one keeps two skfwds apart. */
		c.fanout_group = ((unsigned)getpid() & 0x7ffe) | 2;
	if (c.fanout_group && strcmp(c.io, "afpacket") != 0)
		return bad("--fanout", c.io, "fanout (and --threads) needs --io afpacket");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = fwd_run(&c, &stop);
	return r < 0 ? 1 : 0;
}
