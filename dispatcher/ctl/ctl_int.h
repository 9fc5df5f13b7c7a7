/* Internals of the control socket shared by ctl*.c. */
#ifndef DISP_CTL_INT_H
#define DISP_CTL_INT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "ctl/ctl.h"

#define DISP_CTL_WORD_MAX 64 /* bytes per word, NUL included */

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

struct ctl_section {
	const char *name;
	disp_ctl_stats_fn fn;
	void *arg;
};

struct disp_ctl {
	char path[108];
	int lfd, epfd, stopfd;
	struct disp_ctl_cmd cmds[DISP_CTL_CMDS_MAX];   /* registration order */
	size_t ncmds;
	struct ctl_section sections[DISP_CTL_SECTIONS_MAX];
	size_t nsections;
	void *kept[DISP_CTL_CMDS_MAX];                  /* freed at close */
	size_t nkept;
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

/* ctl_builtin.c: registers help, quit and show stats. 0 or -errno. */
int disp_ctl_builtins(struct disp_ctl *ctl);

/* ctl_reg.c: the command for words w[0..n) (verb, then noun), setting
 * *used to how many words it took; NULL when none matches. */
const struct disp_ctl_cmd *disp_ctl_lookup(const struct disp_ctl *ctl,
					   char (*w)[DISP_CTL_WORD_MAX],
					   size_t n, size_t *used);

/* ctl_reg.c: one line naming every command ("show backends|stats [json];
 * flush [older-than SECONDS]; ..."), for usage errors. */
int disp_ctl_usage(const struct disp_ctl *ctl, struct disp_ctl_out *o);

/* ctl_reg.c: the nouns of verb, "a, b or c", for a usage error. */
int disp_ctl_nouns(const struct disp_ctl *ctl, const char *verb,
		   struct disp_ctl_out *o);

#endif
