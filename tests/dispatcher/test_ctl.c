/* Control socket: real UNIX-socket clients against the server thread. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend/backend_ctl.h"
#include "ctl/ctl.h"
#include "splice/route/splice_route_cmd.h"

static struct disp_config *cfg;
static struct disp_pool *pool;
static struct disp_ctl *ctl;
static char path[108];

static const char conf[] =
	"service web {\n vip 10.0.0.100:80\n client-interface e\n"
	" backend 10.0.1.1:80\n backend 10.0.1.2:80 weight 3\n}\n"
	"service web6 {\n vip [fd00::100]:80\n client-interface e\n"
	" backend [fd00:1::1]:80\n}\n";

static struct sroute *no_router(void *arg, size_t svc)
{
	(void)arg;
	(void)svc;
	return NULL;
}

static int fake_stats(void *arg, struct disp_ctl_out *o, bool json)
{
	return disp_ctl_printf(o, json ? "{\"flows\":%d}" : "flows %d\n", *(int *)arg);
}

static int the_answer = 42;

static void setup(void)
{
	char err[256];

	cr_assert_eq(disp_config_parse(conf, strlen(conf), "t", &cfg, err, sizeof(err)), 0);
	cr_assert_eq(disp_pool_create(cfg, &pool), 0);
	snprintf(path, sizeof(path), "/tmp/ct-test-%d.sock", getpid());
	cr_assert_eq(disp_ctl_open(path, 0600, &ctl, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(disp_backend_ctl_register(ctl, cfg, pool), 0);
	cr_assert_eq(disp_ctl_register_stats(ctl, "engine", fake_stats, &the_answer), 0);
	cr_assert_eq(sroute_cmd_register_fn(ctl, cfg, pool, no_router, NULL, NULL), 0);
	cr_assert_eq(disp_ctl_start(ctl), 0);
}

static void teardown(void)
{
	disp_ctl_close(ctl);
	disp_pool_free(pool);
	disp_config_free(cfg);
}

static int dial(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 3 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	strcpy(sa.sun_path, path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	cr_assert_eq(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads one framed reply; returns 1 for ok, 0 for error, -1 for EOF or
 * timeout. The body (NUL-terminated) goes to body. */
static int reply(int fd, char *body, size_t cap)
{
	char hdr[32];
	size_t n = 0, len, got = 0;
	char status[8];

	while (n < sizeof(hdr) - 1) {
		if (recv(fd, hdr + n, 1, 0) != 1)
			return -1;
		if (hdr[n++] == '\n')
			break;
	}
	hdr[n] = '\0';
	if (sscanf(hdr, "%7s %zu", status, &len) != 2)
		return -1;
	cr_assert_lt(len, cap);
	while (got < len) {
		ssize_t r = recv(fd, body + got, len - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	body[len] = '\0';
	return strcmp(status, "ok") == 0 ? 1 : 0;
}

static int ask(int fd, const char *cmd, char *body, size_t cap)
{
	send_all(fd, cmd, strlen(cmd));
	return reply(fd, body, cap);
}

TestSuite(ctl, .init = setup, .fini = teardown);

Test(ctl, show_backends_text_and_json)
{
	char b[8192];
	int fd = dial();

	cr_assert_eq(ask(fd, "show backends\n", b, sizeof(b)), 1);
	cr_assert_not_null(strstr(b, "service web  vip 10.0.0.100:80  mode nat  scheduler rr"), "%s", b);
	cr_assert_not_null(strstr(b, "10.0.1.2:80"), "%s", b);
	cr_assert_not_null(strstr(b, "[fd00:1::1]:80"), "%s", b);
	cr_assert_eq(ask(fd, "show backends --json\n", b, sizeof(b)), 1);
	cr_assert_not_null(strstr(b, "{\"services\":[{\"name\":\"web\",\"vip\":\"10.0.0.100:80\""), "%s", b);
	cr_assert_not_null(strstr(b, "\"address\":\"10.0.1.2:80\",\"state\":\"UP\",\"admin\":\"UP\",\"healthy\":true,\"probe\":\"ok\",\"weight\":3"), "%s", b);
	close(fd);
}

Test(ctl, backend_state_change_takes_effect)
{
	char b[8192];
	int fd = dial();
	struct disp_bset *bs = disp_pool_bset(pool, 0);
	struct disp_addr c = { .family = AF_INET };

	cr_assert_eq(ask(fd, "backend 10.0.1.1:80 down\n", b, sizeof(b)), 1, "%s", b);
	cr_assert_not_null(strstr(b, "web 10.0.1.1:80: admin DOWN, now DOWN"), "%s", b);
	for (int i = 0; i < 20; i++)
		cr_assert_eq(disp_bset_pick(bs, &c), disp_bset_get(bs, 1));
	cr_assert_eq(ask(fd, "backend 10.0.1.2:80 drain json\n", b, sizeof(b)), 1);
	cr_assert_not_null(strstr(b, "\"admin\":\"DRAIN\""), "%s", b);
	cr_assert_null(disp_bset_pick(bs, &c));
	cr_assert_eq(ask(fd, "backend 10.0.1.1:80 UP\n", b, sizeof(b)), 1);
	cr_assert_eq(disp_bset_pick(bs, &c), disp_bset_get(bs, 0));
	cr_assert_eq(ask(fd, "backend [fd00:1::1]:80 drain\n", b, sizeof(b)), 1);
	cr_assert_eq(disp_backend_state(disp_bset_get(disp_pool_bset(pool, 1), 0)), DISP_BE_DRAIN);
	close(fd);
}

static const char *const garbage[] = {
	"\n", "   \t \n", "bogus\n", "show\n", "show everything\n", "show backends extra\n",
	"backend\n", "backend 10.0.1.1:80\n", "backend 10.0.1.1 down\n",
	"backend 10.0.1.9:80 down\n", "backend 10.0.1.1:80 sideways\n",
	"backend [::1:80 up\n", "help me\n", "a b c d e f g h\n",
	"show \x01\x02\x03\n", "\xff\xfe\xfd\n", "show backends\x7f\n",
	"backend 999.1.1.1:80 up\n",
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n",
	"{\"cmd\":\"show\"}\n",
};

Test(ctl, garbage_gets_error_and_connection_survives)
{
	char b[8192];
	int fd = dial();

	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		cr_assert_eq(ask(fd, garbage[i], b, sizeof(b)), 0, "case %zu accepted: %s", i, b);
		cr_assert_gt(strlen(b), 5, "case %zu: error without a reason", i);
	}
	cr_assert_eq(ask(fd, "show stats\n", b, sizeof(b)), 1);
	cr_assert_not_null(strstr(b, "errors 20"), "%s", b);
	cr_assert_not_null(strstr(b, "flows 42"), "engine hook output missing: %s", b);
	close(fd);
}

Test(ctl, embedded_nul_is_an_error)
{
	char b[4096];
	int fd = dial();

	send_all(fd, "show\0backends\n", 14);
	cr_assert_eq(reply(fd, b, sizeof(b)), 0);
	cr_assert_not_null(strstr(b, "0x00"), "%s", b);
	close(fd);
}

Test(ctl, overlong_line_is_refused_and_closed)
{
	char big[2000], b[4096];
	int fd = dial(), fd2;

	memset(big, 'x', sizeof(big));
	send(fd, big, sizeof(big), MSG_NOSIGNAL);
	cr_assert_eq(reply(fd, b, sizeof(b)), 0);
	cr_assert_not_null(strstr(b, "line longer than 512 bytes"), "%s", b);
	/* closed: EOF, or a reset because our unread bytes were discarded */
	cr_assert_leq(recv(fd, b, 1, 0), 0, "connection should be closed");
	close(fd);
	fd2 = dial();
	cr_assert_eq(ask(fd2, "help\n", b, sizeof(b)), 1);
	close(fd2);
}

Test(ctl, pipelined_and_eof_terminated_commands)
{
	char b[8192];
	int fd = dial();

	const char *cmds = "help\nshow stats json\r\nbackend 10.0.1.1:80 drain";

	send_all(fd, cmds, strlen(cmds));
	shutdown(fd, SHUT_WR);
	cr_assert_eq(reply(fd, b, sizeof(b)), 1);
	cr_assert_not_null(strstr(b, "commands:"), "%s", b);
	cr_assert_eq(reply(fd, b, sizeof(b)), 1);
	cr_assert_not_null(strstr(b, "\"engine\":{\"flows\":42},\"splice\":[]}\n"), "%s", b);
	cr_assert_eq(reply(fd, b, sizeof(b)), 1, "unterminated last line before EOF");
	cr_assert_not_null(strstr(b, "admin DRAIN"), "%s", b);
	cr_assert_eq(recv(fd, b, 1, 0), 0, "closed after the last reply");
	close(fd);
}

/* A client that floods commands and never reads must not delay others. */
Test(ctl, non_reading_client_does_not_stall_others, .timeout = 20)
{
	char b[8192];
	int flood = dial(), fd;
	int fl = fcntl(flood, F_GETFL);
	size_t sent = 0;

	fcntl(flood, F_SETFL, fl | O_NONBLOCK);
	for (int i = 0; i < 100000; i++) {
		ssize_t n = send(flood, "show backends\n", 14, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	cr_assert_gt(sent, 14 * 100, "flood should have queued many commands");
	fd = dial();
	for (int i = 0; i < 5; i++)
		cr_assert_eq(ask(fd, "show backends\n", b, sizeof(b)), 1, "round %d", i);
	close(fd);
	close(flood);
}

Test(ctl, too_many_clients_refused_cleanly)
{
	int fds[DISP_CTL_CLIENTS_MAX + 1];
	char b[4096];

	for (int i = 0; i < DISP_CTL_CLIENTS_MAX; i++) {
		fds[i] = dial();
		/* one round-trip each so the server has really accepted it */
		cr_assert_eq(ask(fds[i], "help\n", b, sizeof(b)), 1);
	}
	fds[DISP_CTL_CLIENTS_MAX] = dial();
	cr_assert_eq(reply(fds[DISP_CTL_CLIENTS_MAX], b, sizeof(b)), 0);
	cr_assert_not_null(strstr(b, "too many clients"), "%s", b);
	close(fds[0]);
	usleep(100000);
	int again = dial();
	cr_assert_eq(ask(again, "help\n", b, sizeof(b)), 1, "slot freed by close");
	close(again);
	for (int i = 1; i <= DISP_CTL_CLIENTS_MAX; i++)
		close(fds[i]);
}

Test(ctl, socket_mode_and_table_header)
{
	struct stat st;
	char b[4096];
	int fd = dial();

	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(ask(fd, "show table\n", b, sizeof(b)), 1);
	cr_assert_str_eq(b, "SESSION-ID  SERVER-IP  SERVER-PORT  TIMESTAMP  STATE\n"
			    "(no splice service)\n");
	cr_assert_eq(ask(fd, "quit\n", b, sizeof(b)), 1);
	cr_assert_eq(recv(fd, b, 1, 0), 0);
	close(fd);
}

Test(ctl, refuses_live_socket_and_non_socket)
{
	struct disp_ctl *other = NULL;
	char err[256], fpath[108];
	int fd;

	cr_assert_eq(disp_ctl_open(path, 0600, &other, err, sizeof(err)),
		     -EADDRINUSE);
	cr_assert_not_null(strstr(err, "another spliced is listening"), "%s", err);
	snprintf(fpath, sizeof(fpath), "/tmp/ct-test-%d.file", getpid());
	fd = open(fpath, O_CREAT | O_WRONLY, 0600);
	close(fd);
	err[0] = '\0';
	cr_assert_eq(disp_ctl_open(fpath, 0600, &other, err, sizeof(err)),
		     -EEXIST);
	cr_assert_not_null(strstr(err, "not a socket"), "%s", err);
	unlink(fpath);
}

Test(ctl, replaces_stale_socket)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct disp_ctl *other = NULL;
	char err[256], spath[108];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(spath, sizeof(spath), "/tmp/ct-test-%d.stale", getpid());
	strcpy(sa.sun_path, spath);
	unlink(spath);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* file stays, nobody listens: a crashed daemon's leftover */
	cr_assert_eq(disp_ctl_open(spath, 0600, &other, err, sizeof(err)), 0,
		     "%s", err);
	disp_ctl_close(other);
	cr_assert_neq(access(spath, F_OK), 0, "close unlinks the socket");
}

/* Out of file descriptors, accept fails and the connection stays queued:
 * the server must back off, not spin on the level-triggered listener, and
 * serve again once descriptors are free. */
Test(ctl, fd_exhaustion_does_not_spin, .timeout = 20)
{
	struct rlimit old, lim;
	struct rusage r0, r1;
	int fds[64], n = 0, fd;
	char b[4096];

	getrlimit(RLIMIT_NOFILE, &old);
	lim = old;
	/* Client sockets are made first; then the limit leaves room for
	 * about one accepted connection, so the rest must wait. */
	for (n = 0; n < 8; n++) {
		fds[n] = socket(AF_UNIX, SOCK_STREAM, 0);
		cr_assert_geq(fds[n], 0);
	}
	lim.rlim_cur = (rlim_t)fds[n - 1] + 2;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	for (int i = 0; i < n; i++)
		connect(fds[i], (struct sockaddr *)&sa, sizeof(sa));
	getrusage(RUSAGE_SELF, &r0);
	usleep(1000000);
	getrusage(RUSAGE_SELF, &r1);
	long cpu_ms = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1000 +
		      (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1000 +
		      (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1000 +
		      (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1000;
	cr_assert_lt(cpu_ms, 300, "control thread used %ld ms CPU in 1 s while out of fds", cpu_ms);
	setrlimit(RLIMIT_NOFILE, &old);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	usleep(700000);
	fd = dial();
	cr_assert_eq(ask(fd, "help\n", b, sizeof(b)), 1, "serving again after fds freed");
	close(fd);
}

/* The limits run on their own timers: shortened here, they must close an
 * idle client and one that stops reading its replies. */
static void setup_short(void)
{
	setup();
	disp_ctl_stop(ctl);
	disp_ctl_set_timeouts(ctl, 300, 300);
	cr_assert_eq(disp_ctl_start(ctl), 0);
}

/* Declared, not implied: Criterion 2.4 leaks the descriptor of a suite
 * that only appears in Test() (LeakSanitizer finds it). */
TestSuite(ctl_limits, .init = setup_short, .fini = teardown, .timeout = 20);

Test(ctl_limits, idle_client_is_closed)
{
	char b[4096];
	int fd = dial();

	cr_assert_eq(ask(fd, "help\n", b, sizeof(b)), 1);
	usleep(1200000);
	cr_assert_eq(recv(fd, b, 1, 0), 0, "idle client still connected");
	close(fd);
}

Test(ctl_limits, stalled_reader_is_closed)
{
	char b[65536];
	int flood = dial(), fd;
	ssize_t n;

	fcntl(flood, F_SETFL, fcntl(flood, F_GETFL) | O_NONBLOCK);
	for (int i = 0; i < 200000; i++)
		if (send(flood, "show backends\n", 14, MSG_NOSIGNAL) <= 0)
			break;
	usleep(1500000);
	/* Drain: the replies it did send, then EOF (or a reset). */
	fcntl(flood, F_SETFL, fcntl(flood, F_GETFL) & ~O_NONBLOCK);
	while ((n = recv(flood, b, sizeof(b), 0)) > 0)
		;
	cr_assert_leq(n, 0);
	cr_assert(n == 0 || errno == ECONNRESET, "stalled client not closed: %s", strerror(errno));
	close(flood);
	fd = dial();
	cr_assert_eq(ask(fd, "show stats\n", b, sizeof(b)), 1);
	cr_assert_not_null(strstr(b, "timed out 1"), "%s", b);
	close(fd);
}

static int echo_cmd(void *arg, const struct disp_ctl_args *a, struct disp_ctl_out *o)
{
	(void)arg;
	return disp_ctl_printf(o, "%zu words%s\n", a->n, a->json ? " json" : "");
}

/* A module adds a command by registering it: the line reaches it, `help`
 * and the usage errors list it, and clashes are refused. */
Test(ctl_registry, commands_come_from_the_registry)
{
	struct disp_ctl_cmd widgets = { "show", "widgets", NULL, "the widgets", echo_cmd, NULL };
	struct disp_ctl_cmd poke = { "poke", NULL, "[WHAT...]", "poke things", echo_cmd, NULL };
	struct disp_ctl_cmd poke_x = { "poke", "x", NULL, "clash", echo_cmd, NULL };
	struct disp_ctl *c;
	struct disp_ctl_out *o = disp_ctl_out_new();
	const char *s;

	cr_assert_eq(disp_ctl_create_detached(&c), 0);
	cr_assert_eq(disp_ctl_register(c, &widgets), 0);
	cr_assert_eq(disp_ctl_register(c, &widgets), -EEXIST);
	cr_assert_eq(disp_ctl_register(c, &poke), 0);
	cr_assert_eq(disp_ctl_register(c, &poke_x), -EEXIST, "'poke x' would shadow 'poke'");

	cr_assert_eq(disp_ctl_exec(c, "poke a b json", 13, o), 0);
	cr_assert_str_eq(disp_ctl_out_str(o, NULL), "2 words json\n");
	disp_ctl_out_free(o);
	o = disp_ctl_out_new();
	cr_assert_eq(disp_ctl_exec(c, "show widgets extra", 18, o), -EINVAL);
	cr_assert_str_eq(disp_ctl_out_str(o, NULL), "usage: show widgets\n");
	disp_ctl_out_free(o);
	o = disp_ctl_out_new();
	cr_assert_eq(disp_ctl_exec(c, "show gadgets", 12, o), -EINVAL);
	cr_assert_str_eq(disp_ctl_out_str(o, NULL),
			 "unknown 'show gadgets' (expected stats or widgets)\n");
	disp_ctl_out_free(o);
	o = disp_ctl_out_new();
	cr_assert_eq(disp_ctl_exec(c, "frob", 4, o), -EINVAL);
	s = disp_ctl_out_str(o, NULL);
	cr_assert_not_null(strstr(s, "commands: show stats|widgets; help; quit; poke [WHAT...]"), "%s", s);
	disp_ctl_out_free(o);
	o = disp_ctl_out_new();
	cr_assert_eq(disp_ctl_exec(c, "help", 4, o), 0);
	s = disp_ctl_out_str(o, NULL);
	cr_assert_not_null(strstr(s, "  show widgets "), "%s", s);
	cr_assert_not_null(strstr(s, "  poke [WHAT...] "), "%s", s);
	cr_assert_not_null(strstr(s, "poke things\n"), "%s", s);
	disp_ctl_out_free(o);
	disp_ctl_close(c);
}
