/* Internals of the control socket shared by ctl*.c. */
#ifndef DISP_CTL_INT_H
#define DISP_CTL_INT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "ctl/ctl.h"

struct disp_ctl_out {
	char *buf;
	size_t len, cap;
	bool truncated;
};

/* Resets o to empty, keeping its memory. */
void disp_ctl_out_reset(struct disp_ctl_out *o);

struct ctl_client {
	int fd;                       /* -1 when the slot is free */
	char in[DISP_CTL_LINE_MAX + 1];
	size_t in_len;
	struct disp_ctl_out out;      /* replies not yet written */
	size_t out_off;
	uint64_t last_cmd_ms;         /* for the idle timeout */
	uint64_t stall_since_ms;      /* 0, or when output began to wait */
	bool closing;                 /* flush out, then close */
	bool eof;                     /* client shut its sending side */
};

struct disp_ctl {
	char path[108];
	int lfd, epfd, stopfd;
	const struct disp_config *cfg;
	struct disp_pool *pool;
	struct disp_ctl_ops ops;
	struct ctl_client clients[DISP_CTL_CLIENTS_MAX];
	uint64_t started_ms;
	uint64_t accept_paused_ms;    /* listener out of epoll since, or 0 */
	uint64_t commands, errors, rejected; /* control-thread only */
	uint64_t timed_out;
	unsigned idle_ms, stall_ms;
	pthread_t thread;
	bool running;
	bool bound;                   /* we created the socket file */
};

/* Monotonic milliseconds. */
uint64_t disp_ctl_now_ms(void);

/* `show backends` body. */
int disp_ctl_show_backends(struct disp_ctl *ctl, struct disp_ctl_out *o,
			   bool json);

#endif
