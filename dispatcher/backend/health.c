/* Health checker: nonblocking TCP connect (optionally a TLS handshake)
 * probes on one epoll thread; see dispatcher/backend/health.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "backend/health.h"

struct probe {
	struct disp_backend *be;
	const struct disp_health_conf *hc; /* its service's entry in svc */
	const char *service;
	struct disp_addr target;
	int fd;                  /* -1 when idle */
	SSL *ssl;
	bool connected;
	uint64_t due_ms, deadline_ms;
	unsigned ok_run, fail_run;
	unsigned down_fails;     /* failures since marked down: the back-off */
	bool down;
};

/* Copied from the config, so the checker owns all it reads and a reload
 * may free the config it was built from. */
struct svc_copy {
	char name[64];
	struct disp_health_conf hc;
};

struct disp_health {
	struct probe *p;
	size_t n;
	struct svc_copy *svc;
	int epfd, stopfd;
	SSL_CTX *tls;            /* only when some service probes TLS */
	disp_health_cb cb;
	void *cb_arg;
	pthread_t thread;
	bool running;
	atomic_ulong probes;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned disp_health_next_ms(const struct disp_health_conf *hc, bool down,
			     unsigned failures_while_down)
{
	uint64_t ms = hc->interval_ms;

	if (!down)
		return hc->interval_ms;
	for (unsigned i = 0; i < failures_while_down && ms < hc->backoff_max_ms; i++)
		ms *= 2;
	return ms > hc->backoff_max_ms ? hc->backoff_max_ms : (unsigned)ms;
}

unsigned long disp_health_probes(const struct disp_health *h)
{
	return atomic_load(&h->probes);
}

/* Ends a probe: ok, or failed with outcome (an errno or DISP_PROBE_*). */
static void finish(struct disp_health *h, struct probe *p, bool ok, int outcome)
{
	const char *why = disp_probe_name(outcome);
	char reason[128];

	if (p->ssl) {
		SSL_free(p->ssl);
		p->ssl = NULL;
	}
	if (p->fd >= 0) {
		close(p->fd); /* also leaves the epoll set */
		p->fd = -1;
	}
	disp_backend_set_probe(p->be, ok ? DISP_PROBE_NONE : outcome);
	if (ok) {
		p->ok_run++;
		p->fail_run = 0;
		p->down_fails = 0;
		if (p->down && p->ok_run >= p->hc->rise) {
			p->down = false;
			disp_backend_set_healthy(p->be, true);
			snprintf(reason, sizeof(reason), "%u probe%s in a row succeeded",
				 p->ok_run, p->ok_run == 1 ? "" : "s");
			if (h->cb)
				h->cb(h->cb_arg, p->service, &p->target, true, reason);
		}
	} else {
		p->fail_run++;
		p->ok_run = 0;
		if (!p->down && p->fail_run >= p->hc->fall) {
			p->down = true;
			disp_backend_set_healthy(p->be, false);
			snprintf(reason, sizeof(reason), "%u probe%s in a row failed, last: %s",
				 p->fail_run, p->fail_run == 1 ? "" : "s", why);
			if (h->cb)
				h->cb(h->cb_arg, p->service, &p->target, false, reason);
		}
		if (p->down)
			p->down_fails++;
	}
	p->due_ms = now_ms() + disp_health_next_ms(p->hc, p->down, p->down_fails);
}

static void want(struct disp_health *h, struct probe *p, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = p };

	epoll_ctl(h->epfd, EPOLL_CTL_MOD, p->fd, &e);
}

static void tls_step(struct disp_health *h, struct probe *p)
{
	int r = SSL_do_handshake(p->ssl);

	if (r == 1) {
		finish(h, p, true, DISP_PROBE_NONE);
		return;
	}
	switch (SSL_get_error(p->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		want(h, p, EPOLLIN);
		return;
	case SSL_ERROR_WANT_WRITE:
		want(h, p, EPOLLOUT);
		return;
	default:
		ERR_clear_error();
		finish(h, p, false, DISP_PROBE_TLS);
	}
}

static void connected(struct disp_health *h, struct probe *p)
{
	p->connected = true;
	if (!p->hc->tls) {
		finish(h, p, true, DISP_PROBE_NONE);
		return;
	}
	p->ssl = SSL_new(h->tls);
	if (!p->ssl || SSL_set_fd(p->ssl, p->fd) != 1) {
		finish(h, p, false, ENOMEM);
		return;
	}
	if (p->hc->sni[0])
		SSL_set_tlsext_host_name(p->ssl, p->hc->sni);
	SSL_set_connect_state(p->ssl);
	tls_step(h, p);
}

static void start(struct disp_health *h, struct probe *p, uint64_t now)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct epoll_event e = { .events = EPOLLOUT, .data.ptr = p };

	memset(&ss, 0, sizeof(ss));
	if (p->target.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->target.port);
		s4->sin_addr = p->target.ip.v4;
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->target.port);
		s6->sin6_addr = p->target.ip.v6;
		sl = sizeof(*s6);
	}
	atomic_fetch_add(&h->probes, 1);
	p->connected = false;
	p->deadline_ms = now + p->hc->timeout_ms;
	p->fd = socket(p->target.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd == -1) {
		finish(h, p, false, errno);
		return;
	}
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, p->fd, &e) == -1) {
		finish(h, p, false, errno);
		return;
	}
	if (connect(p->fd, (struct sockaddr *)&ss, sl) == 0)
		connected(h, p);
	else if (errno != EINPROGRESS)
		finish(h, p, false, errno);
}

static void ready(struct disp_health *h, struct probe *p)
{
	int err = 0;
	socklen_t l = sizeof(err);

	if (p->fd < 0)
		return;
	if (p->connected) {
		tls_step(h, p);
		return;
	}
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &l) == -1)
		err = errno;
	if (err)
		finish(h, p, false, err);
	else
		connected(h, p);
}

static void *health_thread(void *arg)
{
	struct disp_health *h = arg;
	struct epoll_event ev[32];
	sigset_t pipe;

	/* OpenSSL writes with write(), not send(MSG_NOSIGNAL): a backend that
	 * resets mid-handshake would raise SIGPIPE, which kills a process that
	 * has not ignored it. Blocked in this thread, the write just fails
	 * with EPIPE (the signal is thread-directed and stays pending here). */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);

	for (;;) {
		uint64_t now = now_ms(), next = now + 1000;
		int n;

		for (size_t i = 0; i < h->n; i++) {
			struct probe *p = &h->p[i];

			if (p->fd >= 0 && now >= p->deadline_ms)
				finish(h, p, false, DISP_PROBE_TIMEOUT);
			if (p->fd < 0 && now >= p->due_ms)
				start(h, p, now);
			if (p->fd >= 0 && p->deadline_ms < next)
				next = p->deadline_ms;
			if (p->fd < 0 && p->due_ms < next)
				next = p->due_ms;
		}
		n = epoll_wait(h->epfd, ev, 32, next > now ? (int)(next - now) : 0);
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == h)
				return NULL;
			ready(h, ev[i].data.ptr);
		}
	}
}

int disp_health_create(const struct disp_config *cfg, struct disp_pool *pool,
		       disp_health_cb cb, void *cb_arg, struct disp_health **out)
{
	struct disp_health *h = calloc(1, sizeof(*h));
	struct epoll_event e = { .events = EPOLLIN };
	size_t total = 0, k = 0;
	bool tls = false;
	uint64_t now = now_ms();

	if (!h)
		return -ENOMEM;
	h->epfd = h->stopfd = -1;
	h->cb = cb;
	h->cb_arg = cb_arg;
	for (size_t s = 0; s < cfg->n_services; s++) {
		struct disp_bset *bs = disp_pool_bset_named(pool, cfg->services[s].name);

		if (cfg->services[s].health.enabled && bs) {
			total += disp_bset_count(bs);
			tls |= cfg->services[s].health.tls;
		}
	}
	h->p = calloc(total ? total : 1, sizeof(*h->p));
	h->svc = calloc(cfg->n_services, sizeof(*h->svc));
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	h->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (tls)
		h->tls = SSL_CTX_new(TLS_client_method());
	if (!h->p || !h->svc || h->epfd == -1 || h->stopfd == -1 || (tls && !h->tls))
		goto fail;
	/* A probe checks that the TLS stack answers, not who the server is:
	 * certificates are the clients' business, and a backend with an
	 * expired certificate is still alive. */
	if (h->tls)
		SSL_CTX_set_verify(h->tls, SSL_VERIFY_NONE, NULL);
	e.data.ptr = h;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->stopfd, &e) == -1)
		goto fail;
	for (size_t s = 0; s < cfg->n_services; s++) {
		const struct disp_service_conf *sc = &cfg->services[s];
		struct disp_bset *bs = disp_pool_bset_named(pool, sc->name);

		if (!sc->health.enabled || !bs)
			continue;
		snprintf(h->svc[s].name, sizeof(h->svc[s].name), "%s", sc->name);
		h->svc[s].hc = sc->health;
		for (size_t i = 0; i < disp_bset_count(bs); i++) {
			struct probe *p = &h->p[k];

			p->be = disp_bset_get(bs, i);
			/* A removed backend drains; nothing picks it, so its
			 * health no longer matters. */
			if (!disp_backend_present(p->be))
				continue;
			k++;
			p->hc = &h->svc[s].hc;
			p->service = h->svc[s].name;
			p->target = *disp_backend_addr(p->be);
			if (sc->health.port)
				p->target.port = sc->health.port;
			p->fd = -1;
			/* A checker made by a reload starts from the verdict it
			 * takes over: a failed backend needs `rise` passes. */
			p->down = !disp_backend_healthy(p->be);
			/* Spread first probes over one interval, not a burst. */
			p->due_ms = now + sc->health.interval_ms * i / disp_bset_count(bs);
		}
	}
	h->n = k;
	atomic_init(&h->probes, 0);
	*out = h;
	return 0;
fail:
	disp_health_free(h);
	return -ENOMEM;
}

int disp_health_start(struct disp_health *h)
{
	int r;

	if (h->n == 0)
		return 0; /* nothing to probe: no thread */
	r = pthread_create(&h->thread, NULL, health_thread, h);
	if (r != 0)
		return -r;
	h->running = true;
	return 0;
}

void disp_health_stop(struct disp_health *h)
{
	uint64_t one = 1;

	if (!h || !h->running)
		return;
	(void)!write(h->stopfd, &one, sizeof(one));
	pthread_join(h->thread, NULL);
	h->running = false;
}

void disp_health_free(struct disp_health *h)
{
	if (!h)
		return;
	disp_health_stop(h);
	for (size_t i = 0; i < h->n; i++) {
		if (h->p[i].ssl)
			SSL_free(h->p[i].ssl);
		if (h->p[i].fd >= 0)
			close(h->p[i].fd);
	}
	if (h->tls)
		SSL_CTX_free(h->tls);
	if (h->epfd >= 0)
		close(h->epfd);
	if (h->stopfd >= 0)
		close(h->stopfd);
	free(h->p);
	free(h->svc);
	free(h);
}
