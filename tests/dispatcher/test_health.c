/* Health checks against a real local TCP listener that the test stops and
 * starts: DOWN within the detection time, back-off while down, UP again
 * after recovery. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/health.h"

static struct disp_config *cfg;
static struct disp_pool *pool;
static struct disp_health *hc;
static atomic_int transitions;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Listens on 127.0.0.1:port (0 = any); returns the fd, port in *port. */
static int listen_on(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(*port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fd, 128), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void on_change(void *arg, const char *svc, const struct disp_addr *a,
		      bool healthy, const char *reason)
{
	atomic_fetch_add(&transitions, 1);
}

static void make(uint16_t port, const char *health)
{
	char text[512], err[256];

	snprintf(text, sizeof(text),
		 "service s {\nvip 10.0.0.1:80\nclient-interface lo\n"
		 "backend 127.0.0.1:%u\n%s\n}\n", port, health);
	cr_assert_eq(disp_config_parse(text, strlen(text), "t", &cfg, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	cr_assert_eq(disp_health_create(cfg, pool, on_change, NULL, &hc), 0);
}

static pid_t server_pid;      /* openssl s_server, killed even on failure */
static char server_dir[64];

static void teardown(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	if (server_dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", server_dir);
		(void)!system(cmd);
	}
	disp_health_free(hc);
	disp_pool_free(pool);
	disp_config_free(cfg);
}

/* Waits up to ms for the backend to reach the wanted health; returns the
 * time it took or -1. */
static long wait_for(struct disp_backend *be, bool healthy, unsigned ms)
{
	uint64_t t0 = now_ms();

	while (now_ms() - t0 < ms) {
		if (disp_backend_healthy(be) == healthy)
			return (long)(now_ms() - t0);
		usleep(5000);
	}
	return -1;
}

TestSuite(health, .fini = teardown, .timeout = 30);

Test(health, backoff_schedule)
{
	struct disp_health_conf h = { .interval_ms = 100, .backoff_max_ms = 1000 };

	cr_assert_eq(disp_health_next_ms(&h, false, 5), 100, "no back-off while UP");
	cr_assert_eq(disp_health_next_ms(&h, true, 0), 100);
	cr_assert_eq(disp_health_next_ms(&h, true, 1), 200);
	cr_assert_eq(disp_health_next_ms(&h, true, 3), 800);
	cr_assert_eq(disp_health_next_ms(&h, true, 4), 1000, "capped");
	cr_assert_eq(disp_health_next_ms(&h, true, 4000), 1000, "no overflow");
}

Test(health, down_on_stop_backoff_then_up_on_restart)
{
	uint16_t port = 0;
	int lfd = listen_on(&port);
	struct disp_backend *be;
	unsigned long before;
	long t;

	make(port, "health tcp interval 100ms timeout 100ms fall 2 rise 2 backoff-max 800ms");
	be = disp_bset_get(disp_pool_bset(pool, 0), 0);
	cr_assert_eq(disp_health_start(hc), 0);

	/* Healthy while the listener runs (accepted connections pile up in
	 * the backlog, which is what a busy server looks like too). */
	usleep(500000);
	cr_assert(disp_backend_healthy(be));
	cr_assert_geq(disp_health_probes(hc), 3, "probing every 100ms");
	cr_assert_eq(disp_backend_state(be), DISP_BE_UP);

	/* Stop the server: DOWN after fall=2 failed probes, i.e. within about
	 * 2 intervals (+ one in flight). */
	close(lfd);
	t = wait_for(be, false, 1000);
	cr_assert_geq(t, 0, "not marked DOWN within 1s");
	/* The promise: fall x interval plus up to one interval of phase,
	 * 300 ms; the bound leaves room for a loaded 2-core CI machine while
	 * still failing if probes stopped or fall were ignored. */
	cr_assert_leq(t, 700, "DOWN took %ld ms, detection time is ~200-300 ms", t);
	cr_assert_eq(disp_backend_state(be), DISP_BE_DOWN);
	cr_assert_eq(disp_backend_probe(be), ECONNREFUSED, "last probe: %s",
		     disp_probe_name(disp_backend_probe(be)));
	cr_assert_null(disp_bset_pick(disp_pool_bset(pool, 0),
				      &(struct disp_addr){ .family = AF_INET }),
		       "a DOWN backend gets no new flows");

	/* Back-off: over 2 s a 100 ms interval would probe 20 times; doubling
	 * to an 800 ms cap probes 200+400+800+800 ms apart: about 4. */
	before = disp_health_probes(hc);
	usleep(2000000);
	cr_assert_leq(disp_health_probes(hc) - before, 6, "%lu probes in 2 s while DOWN",
		      disp_health_probes(hc) - before);
	cr_assert_geq(disp_health_probes(hc) - before, 2, "still probing while DOWN");

	/* Restart the server on the same port: UP within one backed-off
	 * interval plus rise-1 base intervals. */
	lfd = listen_on(&port);
	t = wait_for(be, true, 2000);
	cr_assert_geq(t, 0, "recovery not noticed within 2 s");
	cr_assert_leq(t, 800 + 100 + 600, "UP took %ld ms (promise ~900 ms + load slack)", t);
	cr_assert_eq(atomic_load(&transitions), 2, "one DOWN and one UP callback");
	cr_assert_eq(disp_backend_probe(be), DISP_PROBE_NONE);
	close(lfd);
}

Test(health, timeout_counts_as_failure)
{
	/* 192.0.2.1 (TEST-NET-1) is not routed here: connect either fails at
	 * once (no route) or hangs until the probe timeout. Both must count. */
	char err[256];
	const char *t = "service s {\nvip 10.0.0.1:80\nclient-interface lo\n"
			"backend 192.0.2.1:9\nhealth tcp interval 100ms timeout 50ms fall 1 rise 1\n}\n";
	struct disp_backend *be;

	cr_assert_eq(disp_config_parse(t, strlen(t), "t", &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	cr_assert_eq(disp_health_create(cfg, pool, NULL, NULL, &hc), 0);
	be = disp_bset_get(disp_pool_bset(pool, 0), 0);
	cr_assert_eq(disp_health_start(hc), 0);
	cr_assert_geq(wait_for(be, false, 1000), 0);
}

Test(health, tls_probe_fails_on_plain_tcp_server)
{
	uint16_t port = 0;
	int lfd = listen_on(&port), cfd;
	struct disp_backend *be;

	make(port, "health tls interval 100ms timeout 100ms fall 1 rise 1");
	be = disp_bset_get(disp_pool_bset(pool, 0), 0);
	cr_assert_eq(disp_health_start(hc), 0);
	/* A server that accepts TCP but never speaks TLS: the TCP connect
	 * succeeds, the handshake does not, so the backend must go DOWN. */
	for (int i = 0; i < 20 && disp_backend_healthy(be); i++) {
		cfd = accept(lfd, NULL, NULL);
		if (cfd >= 0)
			close(cfd);
	}
	cr_assert_geq(wait_for(be, false, 1000), 0, "TLS probe passed on a non-TLS server");
	cr_assert(disp_backend_probe(be) == DISP_PROBE_TLS ||
		  disp_backend_probe(be) == DISP_PROBE_TIMEOUT, "last probe: %s",
		  disp_probe_name(disp_backend_probe(be)));
	close(lfd);
}

Test(health, services_without_health_are_left_alone)
{
	struct disp_backend *be;

	make(1, "");
	be = disp_bset_get(disp_pool_bset(pool, 0), 0);
	cr_assert_eq(disp_health_start(hc), 0);
	usleep(200000);
	cr_assert_eq(disp_health_probes(hc), 0);
	cr_assert(disp_backend_healthy(be));
}

/* The real peer for the TLS probe: openssl s_server with a throwaway
 * self-signed key. */
Test(health, tls_probe_passes_on_openssl_s_server)
{
	char *dir = strcpy(server_dir, "/tmp/ct-health-XXXXXX"), cmd[1024];
	uint16_t port = 0;
	int lfd = listen_on(&port);
	struct disp_backend *be;
	pid_t pid;

	close(lfd); /* take a free port number, let s_server bind it */
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-subj /CN=backend -days 1 -keyout %s/k.pem -out %s/c.pem 2>/dev/null",
		 dir, dir);
	cr_assert_eq(system(cmd), 0, "openssl req failed");
	pid = server_pid = fork();
	if (pid == 0) {
		char accept_arg[32], cert[64], key[64];
		snprintf(accept_arg, sizeof(accept_arg), "127.0.0.1:%u", port);
		snprintf(cert, sizeof(cert), "%s/c.pem", dir);
		snprintf(key, sizeof(key), "%s/k.pem", dir);
		freopen("/dev/null", "w", stdout);
		freopen("/dev/null", "w", stderr);
		execlp("openssl", "openssl", "s_server", "-quiet", "-accept", accept_arg,
		       "-cert", cert, "-key", key, (char *)NULL);
		_exit(127);
	}
	usleep(500000);
	make(port, "health tls interval 300ms timeout 300ms fall 1 rise 1 sni backend");
	be = disp_bset_get(disp_pool_bset(pool, 0), 0);
	cr_assert_eq(disp_health_start(hc), 0);
	usleep(1000000);
	cr_assert_geq(disp_health_probes(hc), 3);
	cr_assert(disp_backend_healthy(be), "TLS probe failed against s_server");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	server_pid = 0;
	cr_assert_geq(wait_for(be, false, 2000), 0, "s_server gone but still UP");
}

Test(health, ipv6_backend)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t sl = sizeof(sa);
	char text[512], err[256];
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct disp_backend *be;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	cr_assert_eq(listen(fd, 64), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	snprintf(text, sizeof(text),
		 "service s {\nvip [fd00::1]:80\nclient-interface lo\nbackend [::1]:%u\n"
		 "health tcp interval 100ms timeout 100ms fall 1 rise 1\n}\n", ntohs(sa.sin6_port));
	cr_assert_eq(disp_config_parse(text, strlen(text), "t", &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	cr_assert_eq(disp_health_create(cfg, pool, NULL, NULL, &hc), 0);
	be = disp_bset_get(disp_pool_bset(pool, 0), 0);
	cr_assert_eq(disp_health_start(hc), 0);
	usleep(350000);
	cr_assert(disp_backend_healthy(be), "IPv6 listener probed as failed");
	cr_assert_geq(disp_health_probes(hc), 2);
	close(fd);
	cr_assert_geq(wait_for(be, false, 1000), 0, "IPv6 backend not DOWN after close");
}
