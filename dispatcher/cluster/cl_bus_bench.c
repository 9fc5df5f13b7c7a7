/* Propagation latency of the three ways Redis can carry one instance's
 * learned session to the others, measured against a real redis-server:
 *
 *   pubsub    SET key rec PX ttl + PUBLISH chan rec (pipelined); the
 *             subscribers get the record in the message
 *   keyspace  SET key rec PX ttl; subscribers get a keyspace notification
 *             naming the key and must GET it on a second connection
 *   stream    SET key rec PX ttl + XADD stream MAXLEN ~ N * r rec
 *             (pipelined); readers block in XREAD on the last id seen
 *
 * One publisher sends COUNT records at RATE per second; SUBS subscriber
 * threads (the other instances) each time every record from the moment
 * before the publisher's write to the moment they hold the record's bytes.
 * All run on one host, so one monotonic clock times both ends.
 *
 *   cl_bus_bench SOCKET MODE [COUNT [RATE [SUBS]]]
 *
 * prints "MODE n=... p50=...us p99=...us max=...us lost=..." per subscriber
 * pooled. Used to choose the channel (see dispatcher/cluster/README).
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SUBS 4

enum mode { PUBSUB, KEYSPACE, STREAM };

static const char *sock_path;
static enum mode mode;
static unsigned count = 5000, rate = 2000, nsubs = 2;
static uint64_t *lat[MAX_SUBS];
static unsigned got[MAX_SUBS];
static pthread_barrier_t ready;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static redisContext *dial(void)
{
	redisContext *c = redisConnectUnix(sock_path);

	if (!c || c->err) {
		fprintf(stderr, "cl_bus_bench: connect %s: %s\n", sock_path,
			c ? c->errstr : "out of memory");
		exit(1);
	}
	return c;
}

/* The record: "<seq> <t0 ns>" padded to a realistic session record size
 * (key, four candidates, stamps: ~120 bytes). */
static int record(char *buf, size_t len, unsigned seq, uint64_t t0)
{
	return snprintf(buf, len, "%u %" PRIu64 " %0100d", seq, t0, 0);
}

static void take(unsigned sub, const char *rec, size_t len)
{
	unsigned seq;
	uint64_t t0;
	char tmp[160];

	if (len >= sizeof(tmp))
		return;
	memcpy(tmp, rec, len);
	tmp[len] = '\0';
	if (sscanf(tmp, "%u %" SCNu64, &seq, &t0) != 2 || seq >= count)
		return;
	lat[sub][seq] = now_ns() - t0;
	got[sub]++;
}

static void *sub_pubsub(void *arg)
{
	unsigned sub = (unsigned)(uintptr_t)arg;
	redisContext *c = dial();
	redisReply *r;

	r = redisCommand(c, mode == PUBSUB ? "SUBSCRIBE bench:chan" :
					   "PSUBSCRIBE __keyspace@0__:bench:s:*");
	freeReplyObject(r);
	redisContext *g = mode == KEYSPACE ? dial() : NULL;
	pthread_barrier_wait(&ready);
	while (got[sub] < count && redisGetReply(c, (void **)&r) == REDIS_OK) {
		if (mode == PUBSUB && r->type == REDIS_REPLY_ARRAY && r->elements == 3)
			take(sub, r->element[2]->str, r->element[2]->len);
		if (mode == KEYSPACE && r->type == REDIS_REPLY_ARRAY && r->elements == 4) {
			/* element[2] is "__keyspace@0__:bench:s:N"; fetch the key. */
			const char *key = strchr(r->element[2]->str, ':') + 1;
			redisReply *v = redisCommand(g, "GET %s", key);

			if (v && v->type == REDIS_REPLY_STRING)
				take(sub, v->str, v->len);
			freeReplyObject(v);
		}
		freeReplyObject(r);
	}
	if (g)
		redisFree(g);
	redisFree(c);
	return NULL;
}

static void *sub_stream(void *arg)
{
	unsigned sub = (unsigned)(uintptr_t)arg;
	redisContext *c = dial();
	char last[64] = "$";

	pthread_barrier_wait(&ready);
	while (got[sub] < count) {
		redisReply *r = redisCommand(c,
			"XREAD COUNT 512 BLOCK 2000 STREAMS bench:stream %s", last);

		if (!r)
			break;
		if (r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			if (c->err)
				break;
			continue;  /* nil: timed out with nothing new */
		}
		redisReply *entries = r->element[0]->element[1];
		for (size_t i = 0; i < entries->elements; i++) {
			redisReply *e = entries->element[i];
			snprintf(last, sizeof(last), "%s", e->element[0]->str);
			take(sub, e->element[1]->element[1]->str,
			     e->element[1]->element[1]->len);
		}
		freeReplyObject(r);
	}
	redisFree(c);
	return NULL;
}

static void publish(void)
{
	redisContext *c = dial();
	uint64_t gap = 1000000000u / rate, next = now_ns();
	char rec[160];

	for (unsigned i = 0; i < count; i++) {
		/* Sleep, not spin: on a 2-core host a spinning publisher
		 * would steal the subscribers' CPU and the figure would be
		 * the scheduler's. */
		struct timespec at = {(time_t)(next / 1000000000u),
				      (long)(next % 1000000000u)};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		next += gap;
		int n = record(rec, sizeof(rec), i, now_ns());
		unsigned replies = 1;

		redisAppendCommand(c, "SET bench:s:%u %b PX 300000", i, rec, (size_t)n);
		if (mode == PUBSUB)
			redisAppendCommand(c, "PUBLISH bench:chan %b", rec, (size_t)n), replies++;
		if (mode == STREAM)
			redisAppendCommand(c, "XADD bench:stream MAXLEN ~ 100000 * r %b",
					   rec, (size_t)n), replies++;
		while (replies--) {
			redisReply *r;

			if (redisGetReply(c, (void **)&r) != REDIS_OK) {
				fprintf(stderr, "cl_bus_bench: publish: %s\n", c->errstr);
				exit(1);
			}
			freeReplyObject(r);
		}
	}
	redisFree(c);
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *names[] = {"pubsub", "keyspace", "stream"};
	pthread_t th[MAX_SUBS];

	if (argc < 3) {
		fprintf(stderr, "usage: cl_bus_bench SOCKET pubsub|keyspace|stream [COUNT [RATE [SUBS]]]\n");
		return 2;
	}
	sock_path = argv[1];
	for (mode = PUBSUB; mode <= STREAM; mode++)
		if (strcmp(argv[2], names[mode]) == 0)
			break;
	if (mode > STREAM) {
		fprintf(stderr, "cl_bus_bench: unknown mode '%s'\n", argv[2]);
		return 2;
	}
	if (argc > 3)
		count = (unsigned)strtoul(argv[3], NULL, 10);
	if (argc > 4)
		rate = (unsigned)strtoul(argv[4], NULL, 10);
	if (argc > 5)
		nsubs = (unsigned)strtoul(argv[5], NULL, 10);
	if (count == 0 || rate == 0 || nsubs == 0 || nsubs > MAX_SUBS) {
		fprintf(stderr, "cl_bus_bench: COUNT, RATE > 0 and 1 <= SUBS <= %d\n", MAX_SUBS);
		return 2;
	}
	redisContext *c = dial();
	freeReplyObject(redisCommand(c, "FLUSHALL"));
	freeReplyObject(redisCommand(c, "CONFIG SET notify-keyspace-events %s",
				     mode == KEYSPACE ? "K$" : ""));
	redisFree(c);

	pthread_barrier_init(&ready, NULL, nsubs + 1);
	for (unsigned s = 0; s < nsubs; s++) {
		lat[s] = calloc(count, sizeof(uint64_t));
		if (!lat[s])
			return 1;
		pthread_create(&th[s], NULL, mode == STREAM ? sub_stream : sub_pubsub,
			       (void *)(uintptr_t)s);
	}
	pthread_barrier_wait(&ready);
	/* A subscriber's SUBSCRIBE/XREAD must be in place before the first
	 * record; the barrier only says the commands were sent. */
	struct timespec settle = {0, 50 * 1000 * 1000};
	nanosleep(&settle, NULL);
	publish();

	uint64_t *all = calloc((size_t)count * nsubs, sizeof(uint64_t));
	size_t n = 0, lost = 0;
	for (unsigned s = 0; s < nsubs; s++) {
		/* Wait up to 2 s for stragglers, then stop the subscriber. */
		for (int i = 0; i < 200 && got[s] < count; i++) {
			struct timespec t = {0, 10 * 1000 * 1000};
			nanosleep(&t, NULL);
		}
		if (got[s] < count)
			pthread_cancel(th[s]);
		pthread_join(th[s], NULL);
		for (unsigned i = 0; i < count; i++) {
			if (lat[s][i])
				all[n++] = lat[s][i];
			else
				lost++;
		}
	}
	if (n == 0) {
		printf("%s n=0 lost=%zu\n", names[mode], lost);
		return 1;
	}
	qsort(all, n, sizeof(*all), cmp);
	printf("%s n=%zu rate=%u/s subs=%u p50=%" PRIu64 "us p99=%" PRIu64
	       "us p999=%" PRIu64 "us max=%" PRIu64 "us lost=%zu\n",
	       names[mode], n, rate, nsubs, all[n / 2] / 1000,
	       all[n * 99 / 100] / 1000, all[n * 999 / 1000] / 1000,
	       all[n - 1] / 1000, lost);
	return lost ? 1 : 0;
}
