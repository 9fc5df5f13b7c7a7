/* A real redis-server for the cluster tests: started on a unix socket in a
 * private directory, no persistence, stopped (or killed, to play an
 * outage) by the test. */
#ifndef TEST_REDIS_PEER_H
#define TEST_REDIS_PEER_H

#include <sys/types.h>

struct redis_peer {
	char dir[64];
	char sock[96];
	char url[104];   /* "unix:" + sock, for cl_config.redis */
	char password[32]; /* non-empty: the server requires it (AUTH) */
	pid_t pid;
};

/* Creates the directory and starts the server; 0 or -errno. Skips the test
 * (exit 77 semantics are Criterion's cr_skip) when redis-server is absent. */
int redis_peer_start(struct redis_peer *p);

/* Like redis_peer_start, with AUTH required for password. */
int redis_peer_start_auth(struct redis_peer *p, const char *password);

/* Starts the server again on the same socket (after redis_peer_kill). */
int redis_peer_restart(struct redis_peer *p);

/* SIGKILLs the server and waits for it. */
void redis_peer_kill(struct redis_peer *p);

/* Kills the server and removes the directory. */
void redis_peer_stop(struct redis_peer *p);

#endif
