/* An event-loop HTTP/1.0 client for the asynchronous fallback: a
 * non-blocking connect(), then poll, epoll or select until the socket is
 * writable, SO_ERROR, one GET, and the answer read to EOF through the same
 * loop. It times the connect() call itself (the time spent inside the
 * shim) and the longest single wait call, so a test can prove that
 * nothing blocks outside the waits the program asked for.
 *
 *   ws_nbconnect poll|epoll|select ADDR PORT PATH
 *
 * Prints "connect_us=N connect_errno=E wait_max_ms=M total_ms=T proto=P
 * body=B status=S" and exits 0 when the answer was HTTP 200 with a body. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_PROTOCOL
#define SO_PROTOCOL 38
#endif

enum mode { M_POLL, M_EPOLL, M_SELECT };

static long long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static long long wait_max_us;
static int epfd = -1;

/* Waits up to 10 s for fd to be readable (in) or writable (!in): 1 ready,
 * 0 timeout, -1 error. */
static int wait_fd(enum mode m, int fd, int in)
{
	long long t0 = now_us();
	int rc;

	if (m == M_POLL) {
		struct pollfd p = { .fd = fd, .events = in ? POLLIN : POLLOUT };
		rc = poll(&p, 1, 10000);
	} else if (m == M_EPOLL) {
		struct epoll_event ev = { .events = in ? EPOLLIN : EPOLLOUT, .data.u64 = 0xfeed };
		if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
			return -1;
		rc = epoll_wait(epfd, &ev, 1, 10000);
		if (rc == 1 && ev.data.u64 != 0xfeed) {
			fprintf(stderr, "epoll data mangled\n");
			return -1;
		}
	} else {
		fd_set s;
		struct timeval tv = { .tv_sec = 10 };
		FD_ZERO(&s);
		FD_SET(fd, &s);
		rc = select(fd + 1, in ? &s : NULL, in ? NULL : &s, NULL, &tv);
	}
	if (now_us() - t0 > wait_max_us)
		wait_max_us = now_us() - t0;
	return rc;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char req[512], buf[65536], head[64] = "";
	long long t0, tc, body = 0;
	size_t hlen = 0;
	int fd, rc, cerr, err = 0, proto = 0;
	socklen_t l = sizeof(err);
	enum mode m;

	if (argc != 5) {
		fprintf(stderr, "usage: ws_nbconnect poll|epoll|select ADDR PORT PATH\n");
		return 2;
	}
	m = !strcmp(argv[1], "poll") ? M_POLL : !strcmp(argv[1], "epoll") ? M_EPOLL : M_SELECT;
	if (m == M_SELECT && strcmp(argv[1], "select")) {
		fprintf(stderr, "ws_nbconnect: mode '%s': want poll, epoll or select\n", argv[1]);
		return 2;
	}
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) {
		fprintf(stderr, "ws_nbconnect: '%s' is not an IPv4 address\n", argv[2]);
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[3]));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return perror("socket"), 1;
	if (m == M_EPOLL) {
		struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = 0xfeed };
		epfd = epoll_create1(0);
		/* Registered before connect(), as libuv and asyncio do. */
		if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return perror("epoll"), 1;
	}
	t0 = now_us();
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	cerr = rc < 0 ? errno : 0;
	tc = now_us() - t0;
	if (rc < 0 && cerr != EINPROGRESS) {
		fprintf(stderr, "connect: %s\n", strerror(cerr));
		return 1;
	}
	if (rc < 0 && wait_fd(m, fd, 0) != 1) {
		fprintf(stderr, "socket never became writable\n");
		return 1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
		fprintf(stderr, "SO_ERROR: %s\n", strerror(err));
		return 1;
	}
	l = sizeof(proto);
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[4], argv[2]);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return perror("write"), 1;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0 && errno == EAGAIN) {
			if (wait_fd(m, fd, 1) != 1) {
				fprintf(stderr, "no answer within 10 s\n");
				return 1;
			}
			continue;
		}
		if (n < 0)
			return perror("read"), 1;
		body += n;
		if (hlen < sizeof(head) - 1) {
			size_t k = (size_t)n < sizeof(head) - 1 - hlen ? (size_t)n : sizeof(head) - 1 - hlen;
			memcpy(head + hlen, buf, k);
			hlen += k;
		}
	}
	head[strcspn(head, "\r\n")] = '\0';
	printf("connect_us=%lld connect_errno=%d wait_max_ms=%lld total_ms=%lld proto=%d bytes=%lld "
	       "status=%s\n", tc, cerr, wait_max_us / 1000, (now_us() - t0) / 1000, proto, body,
	       strchr(head, ' ') ? strchr(head, ' ') + 1 : "?");
	return strstr(head, " 200 ") && body > 0 ? 0 : 1;
}
