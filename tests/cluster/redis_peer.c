/* See redis_peer.h. */
#include "redis_peer.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int spawn(struct redis_peer *p)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char log[128];

		snprintf(log, sizeof(log), "%s/redis.log", p->dir);
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", p->sock,
		       "--save", "", "--appendonly", "no", "--dir", p->dir,
		       "--logfile", log, "--loglevel", "warning",
		       p->password[0] ? "--requirepass" : (char *)NULL, p->password,
		       (char *)NULL);
		_exit(127);
	}
	p->pid = pid;
	/* Ready when a PING answers (up to 5 s). */
	for (int i = 0; i < 500; i++) {
		redisContext *c = redisConnectUnix(p->sock);

		if (c && !c->err) {
			/* With a password, NOAUTH is an answer too: it is up. */
			redisReply *r = redisCommand(c, "PING");
			int ok = r && (r->type == REDIS_REPLY_STATUS ||
				       (p->password[0] && r->type == REDIS_REPLY_ERROR));

			freeReplyObject(r);
			redisFree(c);
			if (ok)
				return 0;
		} else if (c) {
			redisFree(c);
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -ECHILD;  /* exited: not installed, or refused */
		struct timespec t = {0, 10 * 1000 * 1000};
		nanosleep(&t, NULL);
	}
	return -ETIMEDOUT;
}

int redis_peer_start(struct redis_peer *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/sk-cluster-test.XXXXXX");
	if (!mkdtemp(p->dir))
		return -errno;
	snprintf(p->sock, sizeof(p->sock), "%s/redis.sock", p->dir);
	snprintf(p->url, sizeof(p->url), "unix:%s", p->sock);
	return spawn(p);
}

int redis_peer_start_auth(struct redis_peer *p, const char *password)
{
	int rc = redis_peer_start(p);

	if (rc)
		return rc;
	redis_peer_kill(p);
	snprintf(p->password, sizeof(p->password), "%s", password);
	return spawn(p);
}

int redis_peer_restart(struct redis_peer *p)
{
	return spawn(p);
}

void redis_peer_kill(struct redis_peer *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
	unlink(p->sock);
}

void redis_peer_stop(struct redis_peer *p)
{
	char log[128];

	redis_peer_kill(p);
	snprintf(log, sizeof(log), "%s/redis.log", p->dir);
	unlink(log);
	rmdir(p->dir);
}
