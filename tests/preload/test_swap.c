/* The socket swap, observed from inside a program running under the shim
 * (meson runs this binary with LD_PRELOAD=libwithsplice.so and the policy
 * "mptcp everywhere, loopback included"). MPTCP needs no privileges and the
 * host kernel has it, so these use real kernel sockets on loopback. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static int proto_of(int fd)
{
	int p = -1;
	socklen_t l = sizeof(p);
	cr_assert_eq(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &l), 0);
	return p;
}

static void check_env(void)
{
	if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "libwithsplice"))
		cr_skip_test("not running under libwithsplice.so (run through meson test)");
}

/* A listener on 127.0.0.1 with an ephemeral port; returns its fd. */
static int listener(struct sockaddr_in *sa)
{
	socklen_t l = sizeof(*sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)sa, &l), 0);
	cr_assert_eq(proto_of(fd), IPPROTO_TCP, "decided before listen()");
	return fd;
}

Test(swap, listen_keeps_fd_port_and_options)
{
	struct sockaddr_in sa, after;
	socklen_t l = sizeof(after);
	int v = 0;
	socklen_t vl = sizeof(v);

	check_env();
	int fd = listener(&sa);
	cr_assert_eq(listen(fd, 8), 0, "%s", strerror(errno));
	cr_assert_eq(proto_of(fd), IPPROTO_MPTCP);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&after, &l), 0);
	cr_assert_eq(after.sin_port, sa.sin_port, "port changed by the swap");
	cr_assert_eq(after.sin_addr.s_addr, sa.sin_addr.s_addr);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "FD_CLOEXEC lost");
	cr_assert_eq(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &vl), 0);
	cr_assert_eq(v, 1, "SO_REUSEADDR not replayed");
	close(fd);
}

Test(swap, connect_keeps_flags_options_and_epoll_interest)
{
	struct sockaddr_in sa;
	struct epoll_event ev = { .events = EPOLLOUT }, out;
	int one = 1, v = 0, lfd, fd, ep, rc;
	socklen_t vl = sizeof(v);

	check_env();
	lfd = listener(&sa);
	cr_assert_eq(listen(lfd, 8), 0);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.u64 = 0xfeedfacecafe;
	cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);

	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	cr_assert(rc == 0 || errno == EINPROGRESS, "%s", strerror(errno));
	cr_assert_eq(proto_of(fd), IPPROTO_MPTCP);
	cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK, "O_NONBLOCK lost");
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "FD_CLOEXEC lost");
	cr_assert_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl), 0);
	cr_assert_eq(v, 1, "TCP_NODELAY not replayed");
	/* The registration made on the old TCP socket must still deliver. */
	cr_assert_eq(epoll_wait(ep, &out, 1, 2000), 1, "epoll interest lost in the swap");
	cr_assert_eq(out.data.u64, 0xfeedfacecafe);

	int afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(afd, 0);
	cr_assert_eq(proto_of(afd), IPPROTO_MPTCP);
	cr_assert_eq(write(fd, "ping", 4), 4);
	char buf[8];
	cr_assert_eq(read(afd, buf, sizeof(buf)), 4);
	cr_assert_eq(memcmp(buf, "ping", 4), 0);
	close(afd);
	close(fd);
	close(ep);
	close(lfd);
}

Test(swap, blocking_connect_and_refused_port)
{
	struct sockaddr_in sa;
	int lfd, fd;

	check_env();
	lfd = listener(&sa);
	/* Bound but not listening: the connect must fail as TCP's would. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	cr_assert_eq(errno, ECONNREFUSED, "%s", strerror(errno));
	close(fd);
	close(lfd);
}

Test(swap, other_sockets_untouched)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int x = socket(AF_UNIX, SOCK_STREAM, 0);

	check_env();
	cr_assert_eq(proto_of(u), IPPROTO_UDP);
	cr_assert_eq(proto_of(x), 0);
	close(u);
	close(x);
}

/* Regression: the child of fork() once hung on the shim's lock (a
 * recursive mutex owned by the parent's thread id), so `x=$(cmd)` in bash
 * never returned. */
Test(swap, fork_child_can_use_the_shim)
{
	struct sockaddr_in sa;
	int status = 0, lfd;

	check_env();
	lfd = listener(&sa);
	cr_assert_eq(listen(lfd, 8), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		alarm(5);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (dup2(fd, 100) != 100 || connect(100, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			_exit(2);
		_exit(proto_of(100) == IPPROTO_MPTCP ? 0 : 3);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child killed by signal %d (hung?)", WTERMSIG(status));
	cr_assert_eq(WEXITSTATUS(status), 0);
	close(lfd);
}
