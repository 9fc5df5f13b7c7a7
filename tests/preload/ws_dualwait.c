/* A server that waits for connections with select, pselect, ppoll or
 * poll on its one listening socket, for the dual-listener tests: under
 * withsplice --rule 'sctp listen dual' both TCP and SCTP clients must wake
 * it. Each accepted connection gets "proto=N\n" (its SO_PROTOCOL) and is
 * closed.
 *
 *   ws_dualwait select|pselect|ppoll|poll PORT COUNT
 *
 * Exits 0 after COUNT connections, 1 when a wait times out (60 s). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_PROTOCOL
#define SO_PROTOCOL 38
#endif

/* Waits until lfd is readable: 1, 0 on timeout, -1 on error. */
static int wait_in(const char *mode, int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	struct timespec ts = { .tv_sec = 60 };
	fd_set s;
	sigset_t none;

	sigemptyset(&none);
	FD_ZERO(&s);
	FD_SET(lfd, &s);
	if (!strcmp(mode, "select")) {
		struct timeval tv = { .tv_sec = 60 };
		return select(lfd + 1, &s, NULL, NULL, &tv);
	}
	if (!strcmp(mode, "pselect"))
		return pselect(lfd + 1, &s, NULL, NULL, &ts, &none);
	if (!strcmp(mode, "ppoll"))
		return ppoll(&p, 1, &ts, &none);
	return poll(&p, 1, 60000);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, lfd, count;

	if (argc != 4 || !strstr(" select pselect ppoll poll ", argv[1]) || atoi(argv[3]) < 1) {
		fprintf(stderr, "usage: ws_dualwait select|pselect|ppoll|poll PORT COUNT\n");
		return 2;
	}
	count = atoi(argv[3]);
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0)
		return perror("listen"), 1;
	while (count > 0) {
		int rc = wait_in(argv[1], lfd), fd, proto = 0;
		socklen_t l = sizeof(proto);
		char line[32];
		if (rc <= 0) {
			fprintf(stderr, "%s: %s\n", argv[1], rc == 0 ? "timed out" : strerror(errno));
			return 1;
		}
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EAGAIN)
				continue;
			return perror("accept"), 1;
		}
		getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l);
		snprintf(line, sizeof(line), "proto=%d\n", proto);
		if (write(fd, line, strlen(line)) < 0)
			perror("write");
		printf("%s accepted %s", argv[1], line);
		fflush(stdout);
		close(fd);
		count--;
	}
	return 0;
}
