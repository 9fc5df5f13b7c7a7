/* One cluster instance for the netns tests: a node in a dispatcher
 * namespace that either publishes sessions at a steady rate (timing every
 * worker-side call) or collects the other instances' records (timing each
 * from the publisher's cl_session to its own cl_poll; both run on one host,
 * so the wall clocks are the same clock).
 *
 *   cl_probe REDIS NAME pub COUNT RATE      then waits for SIGTERM
 *   cl_probe REDIS NAME sub COUNT SECONDS
 *
 * pub prints "published N slowest_call_us U slow_calls S outages O ..." at
 * SIGTERM; sub prints "received N distinct D p50_us P p99_us Q max_us M"
 * once it holds COUNT distinct keys from publishers or SECONDS pass (exit
 * 1 if fewer). Keys are the publisher's name and a 4-byte sequence; the
 * Redis prefix is $CL_PROBE_PREFIX (default "probe"), so rounds of a test
 * do not read each other's keys. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int publish(struct cl_node *n, const char *name, unsigned count, unsigned rate)
{
	struct cl_cand c = {.family = 4, .addr = {10, 0, 50, 101}, .port = 443};
	uint64_t worst = 0, next = mono_us();
	unsigned slow = 0;  /* calls over 50 ms: a descheduled thread, or a wait */
	uint8_t key[CL_KEY_MAX];
	size_t nl = strlen(name);
	unsigned sent = 0;
	struct cl_stats st;

	if (nl + 4 > CL_KEY_MAX)
		return 2;
	memcpy(key, name, nl);
	for (unsigned i = 0; i < count && !stop; i++) {
		if (next > mono_us())
			usleep((useconds_t)(next - mono_us()));
		next += 1000000 / rate;
		memcpy(key + nl, &i, 4);
		c.stamp_ms = cl_wall_ms();
		uint64_t t0 = mono_us();
		int rc = cl_session(n, key, nl + 4, &c, 1, 300000);
		uint64_t dt = mono_us() - t0;

		if (dt > worst)
			worst = dt;
		slow += dt > 50000;
		if (rc == 0)
			sent++;
	}
	while (!stop)
		pause();
	cl_get_stats(n, &st);
	printf("published %u slowest_call_us %llu slow_calls %u outages %llu republished %llu out_full %llu\n",
	       sent, (unsigned long long)worst, slow, (unsigned long long)st.outages,
	       (unsigned long long)st.republished, (unsigned long long)st.out_full);
	return 0;
}

static int collect(struct cl_node *n, unsigned count, unsigned secs)
{
	uint64_t *lat = calloc(count, sizeof(*lat)), end = mono_us() + secs * 1000000ull;
	unsigned char *seen = calloc(count * 8u, 1);  /* up to 8 publishers */
	unsigned got = 0, distinct = 0, nlat = 0;
	struct cl_rec r;

	if (!lat || !seen)
		return 1;
	while (distinct < count && mono_us() < end && !stop) {
		if (cl_poll(n, 0, &r)) {
			usleep(1000);  /* a worker's loop granularity; spares the CPU */
			continue;
		}
		got++;
		if (r.type != CL_REC_SESSION || r.key_len < 5)
			continue;
		uint32_t seq;
		memcpy(&seq, r.key + r.key_len - 4, 4);
		unsigned pub = (unsigned)(r.key[r.key_len - 5] - '0') & 7;  /* "dN" names */
		if (seq >= count || seen[pub * count + seq])
			continue;
		seen[pub * count + seq] = 1;
		distinct++;
		uint64_t now = cl_wall_us();
		if (nlat < count)
			lat[nlat++] = now > r.sent_us ? now - r.sent_us : 0;
	}
	qsort(lat, nlat, sizeof(*lat), cmp);
	printf("received %u distinct %u p50_us %llu p99_us %llu max_us %llu\n", got, distinct,
	       (unsigned long long)(nlat ? lat[nlat / 2] : 0),
	       (unsigned long long)(nlat ? lat[nlat * 99 / 100] : 0),
	       (unsigned long long)(nlat ? lat[nlat - 1] : 0));
	return distinct < count;
}

int main(int argc, char **argv)
{
	struct cl_node *n;
	int rc;

	if (argc != 6 || (strcmp(argv[3], "pub") && strcmp(argv[3], "sub"))) {
		fprintf(stderr, "usage: cl_probe REDIS NAME pub COUNT RATE | sub COUNT SECONDS\n");
		return 2;
	}
	unsigned count = (unsigned)strtoul(argv[4], NULL, 10);
	unsigned arg = (unsigned)strtoul(argv[5], NULL, 10);
	if (count == 0 || arg == 0) {
		fprintf(stderr, "cl_probe: COUNT and RATE/SECONDS must be positive\n");
		return 2;
	}
	struct cl_config cfg = {.redis = argv[1], .instance = argv[2], .prefix = getenv("CL_PROBE_PREFIX") ? getenv("CL_PROBE_PREFIX") : "probe",
				.consumers = 1, .retry_ms = 200, .queue_cap = 65536};
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if ((rc = cl_start(&cfg, &n)) != 0) {
		fprintf(stderr, "cl_probe: cl_start: %s\n", strerror(-rc));
		return 1;
	}
	rc = argv[3][0] == 'p' ? publish(n, argv[2], count, arg) : collect(n, count, arg);
	cl_stop(n);
	fflush(stdout);
	return rc;
}
