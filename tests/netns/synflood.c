/* synflood: spoofed TCP SYNs for the splice-mode flood test, and nothing
 * else. Sends COUNT IPv4 SYNs to DST:PORT from random addresses inside
 * SRCNET/PREFIX (never the network or broadcast address, never the
 * addresses given with -x), random source ports and ISNs, with the options
 * Linux puts on a SYN, at most RATE per second. Prints what it sent.
 *
 *   synflood [-x ADDR]... DST PORT SRCNET/PREFIX COUNT RATE
 *
 * Refuses destinations and sources outside 10.0.0.0/8: it exists for the
 * test namespaces only. Needs CAP_NET_RAW. Exit 0 when every SYN went out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "splicekit/raw_consts.h"
#include "splicekit/raw_rewrite.h"

#define EXCLUDE_MAX 8

static uint64_t rng_state;

/* xorshift64*: plenty for spoofed addresses and ports, and fast. */
static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: synflood [-x ADDR]... DST PORT SRCNET/PREFIX COUNT RATE\n");
	return 2;
}

static int parse_ul(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out, const char *what)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || end == s || *out < min || *out > max) {
		fprintf(stderr, "synflood: %s wants %lu..%lu, got '%s'\n", what, min, max, s);
		return -1;
	}
	return 0;
}

static int in_ten(struct in_addr a)
{
	return (ntohl(a.s_addr) >> 24) == 10;
}

int main(int argc, char **argv)
{
	struct in_addr dst, net, excl[EXCLUDE_MAX];
	unsigned long port, plen, count, rate;
	int nexcl = 0, opt;

	while ((opt = getopt(argc, argv, "x:")) != -1) {
		if (opt != 'x' || nexcl == EXCLUDE_MAX ||
		    inet_pton(AF_INET, optarg, &excl[nexcl]) != 1)
			return usage();
		nexcl++;
	}
	if (argc - optind != 5)
		return usage();
	char **a = argv + optind;
	char *slash = strchr(a[2], '/');
	if (!slash)
		return usage();
	*slash = '\0';
	if (inet_pton(AF_INET, a[0], &dst) != 1 || inet_pton(AF_INET, a[2], &net) != 1) {
		fprintf(stderr, "synflood: DST and SRCNET must be IPv4 addresses\n");
		return 2;
	}
	if (parse_ul(a[1], 1, 65535, &port, "PORT") ||
	    parse_ul(slash + 1, 8, 30, &plen, "PREFIX") ||
	    parse_ul(a[3], 1, 100000000, &count, "COUNT") ||
	    parse_ul(a[4], 1, 10000000, &rate, "RATE"))
		return 2;
	if (!in_ten(dst) || !in_ten(net)) {
		fprintf(stderr, "synflood: only 10.0.0.0/8 (test namespaces) allowed\n");
		return 2;
	}

	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "synflood: raw socket: %s\n", strerror(errno));
		return 1;
	}
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state) || !rng_state)
		rng_state = (uint64_t)now_ns() | 1;

	uint32_t mask = plen == 32 ? 0xffffffffu : ~((1u << (32 - plen)) - 1);
	uint32_t base = ntohl(net.s_addr) & mask, hosts = ~mask;
	uint8_t opts[40], pkt[128];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = dst };
	uint64_t start = now_ns(), sent = 0, errs = 0;

	for (uint64_t i = 0; i < count; i++) {
		uint32_t host;
		struct in_addr src;
		int skip;

		do {
			host = 1 + rnd() % (hosts - 1); /* not .0, not broadcast */
			src.s_addr = htonl(base | host);
			skip = 0;
			for (int k = 0; k < nexcl; k++)
				skip |= src.s_addr == excl[k].s_addr;
		} while (skip);

		int olen = raw_tcpopt_build_syn(opts, sizeof(opts), 1460, true, true,
						rnd(), 0, 7);
		struct raw_tcp_spec s = {
			.family = AF_INET,
			.saddr = (const uint8_t *)&src.s_addr,
			.daddr = (const uint8_t *)&dst.s_addr,
			.sport = (uint16_t)(1024 + rnd() % 64512),
			.dport = (uint16_t)port,
			.seq = rnd(),
			.flags = RAW_TCP_SYN,
			.window = 64240,
			.opts = opts,
			.opts_len = olen > 0 ? (size_t)olen : 0,
		};
		int len = raw_tcp_build(pkt, sizeof(pkt), &s, NULL);
		if (len < 0) {
			fprintf(stderr, "synflood: raw_tcp_build: %s\n", strerror(-len));
			return 1;
		}
		if (sendto(fd, pkt, (size_t)len, 0, (struct sockaddr *)&sin, sizeof(sin)) == len)
			sent++;
		else
			errs++;

		/* Rate bound: never ahead of i/rate seconds since the start. */
		uint64_t due = start + (i + 1) * 1000000000ULL / rate, t = now_ns();
		if (due > t) {
			struct timespec d = { .tv_sec = (time_t)((due - t) / 1000000000ULL),
					      .tv_nsec = (long)((due - t) % 1000000000ULL) };
			nanosleep(&d, NULL);
		}
	}
	double secs = (double)(now_ns() - start) / 1e9;
	printf("sent %" PRIu64 " SYNs in %.2f s (%.0f/s), %" PRIu64 " send errors\n",
	       sent, secs, (double)sent / secs, errs);
	close(fd);
	return errs ? 1 : 0;
}
