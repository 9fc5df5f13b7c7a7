/* A packet worker: polls its captures, runs each burst through the
 * ingress (input.c) under its table lock, expires idle flows, runs the
 * modes' timers and flushes batched events between bursts. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "engine/worker.h"
#include "engine/mode.h"
#include "util/log.h"

/* How long poll waits with no traffic: bounds how late a stop request or
 * a timeout expiry is noticed. */
#define IDLE_POLL_MS 50
/* Most flows one expiry pass removes, so a mass timeout cannot stall the
 * forwarding of live flows. */
#define EXPIRE_BATCH 1024

/* A packet socket whose interface goes down or away gets sk_err ENETDOWN,
 * and poll reports POLLERR until someone reads SO_ERROR, which the ring
 * receive path never does: the worker would spin. Reading it clears it; the
 * kernel re-attaches the capture when the interface comes back up, so the
 * socket stays. Only a descriptor poll calls invalid is dropped. */
static void socket_error(struct disp_worker *w, struct pollfd *p, unsigned i)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (p->revents & POLLNVAL ||
	    getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
		disp_log(LOG_ERR, "worker %u: capture %u unusable, no longer read",
			 w->id, i);
		p->fd = -1;
		return;
	}
	if (err) {
		disp_log(LOG_WARNING, "worker %u: capture %u: %s", w->id, i,
			 strerror(err));
		WSTAT_INC(w, rx_errors);
	}
}

/* Sends what the burst queued; refusals move from sent to errors. */
static void flush_tx(struct disp_worker *w)
{
	unsigned failed = disp_tx_flush(w->tx4) + disp_tx_flush(w->tx6);

	if (failed) {
		WSTAT_ADD(w, tx_errors, failed);
		WSTAT_ADD(w, tx_packets, -(uint64_t)failed);
	}
}

void *disp_worker_main(void *arg)
{
	struct disp_worker *w = arg;
	struct pollfd pfd[DISP_RX_MAX];
	struct disp_frame fr[DISP_BURST];
	uint64_t last_expire = 0;

	for (unsigned i = 0; i < w->nrx; i++)
		pfd[i] = (struct pollfd){ .fd = disp_rx_fd(w->rx[i]), .events = POLLIN };

	while (!__atomic_load_n(&w->e->stop, __ATOMIC_ACQUIRE)) {
		int n;
		uint64_t now;

		/* A reload changed the backends (filter.c). */
		if (__atomic_load_n(&w->e->filter_gen, __ATOMIC_ACQUIRE) != w->filter_gen)
			disp_worker_refilter(w);
		n = poll(pfd, w->nrx, IDLE_POLL_MS);

		if (n < 0 && errno != EINTR) {
			w->result = -errno;
			break;
		}
		now = disp_now_ms();
		__atomic_store_n(&w->alive_ms, now, __ATOMIC_RELAXED);
		pthread_mutex_lock(&w->lock);
		for (unsigned i = 0; i < w->nrx; i++) {
			if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
				socket_error(w, &pfd[i], i);
			if (pfd[i].fd < 0)
				continue;
			/* Drain a few bursts per socket per round so one busy
			 * side cannot starve the other. */
			for (int round = 0; round < 4; round++) {
				int got = disp_rx_burst(w->rx[i], fr, DISP_BURST);

				if (got <= 0)
					break;
				for (int j = 0; j < got; j++)
					disp_engine_input(w, &fr[j], now);
				flush_tx(w);
				disp_rx_release(w->rx[i]);
				if (got < DISP_BURST)
					break;
			}
		}
		if (now - last_expire >= 10) {
			disp_flow_expire(w->ft, now, EXPIRE_BATCH);
			for (unsigned m = 0; m < DISP_MODES_MAX; m++)
				if (w->e->mode_used[m] && w->e->modes[m]->tick)
					w->e->modes[m]->tick(w, now);
			/* Timers send too (retransmissions, resets): out now,
			 * not with the next burst, which may never come. */
			flush_tx(w);
			last_expire = now;
		}
		__atomic_store_n(&w->st.flows_active, disp_flow_count(w->ft),
				 __ATOMIC_RELAXED);
		pthread_mutex_unlock(&w->lock);
		disp_ev_flush(w->bus);
	}
	return NULL;
}
