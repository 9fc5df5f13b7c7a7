/* The control socket server: accept, read lines, reply, enforce limits.
 *
 * One thread, one epoll set. Each client is served strictly one command at
 * a time: while a reply is unwritten the client's input is not read, so a
 * client that floods commands without reading replies is held back by its
 * own socket buffer, and memory per client is bounded by one line plus one
 * reply. Clients that idle, stop reading, or send over-long lines are
 * disconnected; the listening socket and other clients are never blocked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl_int.h"

#define TICK_MS 500 /* how often timeouts are checked */

static void client_close(struct disp_ctl *ctl, struct ctl_client *cl)
{
	if (cl->fd < 0)
		return;
	epoll_ctl(ctl->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	cl->fd = -1;
	free(cl->out.buf);
	memset(&cl->out, 0, sizeof(cl->out));
	cl->out_off = 0;
	cl->in_len = 0;
	cl->closing = false;
	cl->eof = false;
}

static void client_want(struct disp_ctl *ctl, struct ctl_client *cl, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = cl };

	epoll_ctl(ctl->epfd, EPOLL_CTL_MOD, cl->fd, &e);
}

/* Runs one command and queues "ok|error LEN\n" + body as the reply. */
static void client_reply(struct disp_ctl *ctl, struct ctl_client *cl,
			 const char *line, size_t len)
{
	struct disp_ctl_out body = { 0 };
	int r;

	r = disp_ctl_exec(ctl, line, len, &body);
	ctl->commands++;
	if (r < 0)
		ctl->errors++;
	if (body.truncated) {
		disp_ctl_out_reset(&body);
		disp_ctl_printf(&body, "reply longer than %u bytes\n", DISP_CTL_REPLY_MAX);
		r = -ENOBUFS;
	}
	disp_ctl_printf(&cl->out, "%s %zu\n", r < 0 ? "error" : "ok", body.len);
	/* The header went in first; append the body, bypassing the reply cap
	 * accounting which already held for body alone. */
	if (body.len > 0) {
		char *nb = realloc(cl->out.buf, cl->out.len + body.len + 1);

		if (!nb) {
			cl->closing = true;
		} else {
			cl->out.buf = nb;
			memcpy(nb + cl->out.len, body.buf, body.len);
			cl->out.len += body.len;
			cl->out.cap = cl->out.len + 1;
			nb[cl->out.len] = '\0';
		}
	}
	free(body.buf);
	cl->last_cmd_ms = disp_ctl_now_ms();
	if (len == 4 && memcmp(line, "quit", 4) == 0)
		cl->closing = true;
}

/* Serves buffered complete lines until a reply is pending. After the
 * client's EOF a final unterminated line still counts as a command (so
 * `printf cmd | socat` works), and with nothing left the client closes. */
static void client_process(struct disp_ctl *ctl, struct ctl_client *cl)
{
	while (cl->out.len == 0 && !cl->closing) {
		char *nl = memchr(cl->in, '\n', cl->in_len);
		size_t ll;

		if (!nl) {
			if (cl->in_len > DISP_CTL_LINE_MAX) {
				static const char msg[] = "line longer than 512 bytes\n";

				disp_ctl_printf(&cl->out, "error %zu\n%s", sizeof(msg) - 1, msg);
				ctl->errors++;
				cl->closing = true;
			} else if (cl->eof && cl->in_len > 0) {
				client_reply(ctl, cl, cl->in, cl->in_len);
				cl->in_len = 0;
			}
			break;
		}
		ll = (size_t)(nl - cl->in);
		client_reply(ctl, cl, cl->in, ll > 0 && cl->in[ll - 1] == '\r' ? ll - 1 : ll);
		memmove(cl->in, nl + 1, cl->in_len - ll - 1);
		cl->in_len -= ll + 1;
	}
	if (cl->out.len == 0 && cl->eof)
		cl->closing = true;
}

/* Writes pending replies and serves further buffered commands as the
 * socket takes them. Returns false when the client is gone. */
static bool client_flush(struct disp_ctl *ctl, struct ctl_client *cl)
{
	for (;;) {
		while (cl->out_off < cl->out.len) {
			ssize_t n = send(cl->fd, cl->out.buf + cl->out_off,
					 cl->out.len - cl->out_off,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				if (cl->stall_since_ms == 0)
					cl->stall_since_ms = disp_ctl_now_ms();
				client_want(ctl, cl, EPOLLOUT);
				return true;
			}
			if (n <= 0) {
				client_close(ctl, cl);
				return false;
			}
			cl->out_off += (size_t)n;
			cl->stall_since_ms = 0;
		}
		disp_ctl_out_reset(&cl->out);
		cl->out_off = 0;
		if (cl->closing) {
			client_close(ctl, cl);
			return false;
		}
		client_process(ctl, cl);
		if (cl->out.len == 0 && !cl->closing) {
			client_want(ctl, cl, EPOLLIN);
			return true;
		}
	}
}

static void client_readable(struct disp_ctl *ctl, struct ctl_client *cl)
{
	while (cl->in_len < sizeof(cl->in) && !cl->eof) {
		ssize_t n = recv(cl->fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len,
				 MSG_DONTWAIT);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1) {
			client_close(ctl, cl);
			return;
		}
		if (n == 0)
			cl->eof = true;
		cl->in_len += (size_t)n;
	}
	client_flush(ctl, cl);
}

/* Out of descriptors or memory, the pending connection stays queued and
 * the level-triggered listener would wake epoll at once, forever: a busy
 * loop. Take the listener out of the set for a tick instead. */
static void pause_accept(struct disp_ctl *ctl)
{
	epoll_ctl(ctl->epfd, EPOLL_CTL_DEL, ctl->lfd, NULL);
	ctl->accept_paused_ms = disp_ctl_now_ms();
	ctl->rejected++;
}

static void resume_accept(struct disp_ctl *ctl)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };

	if (ctl->accept_paused_ms == 0 ||
	    disp_ctl_now_ms() - ctl->accept_paused_ms < TICK_MS)
		return;
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, ctl->lfd, &e) == 0)
		ctl->accept_paused_ms = 0;
}

static void accept_all(struct disp_ctl *ctl)
{
	for (;;) {
		int fd = accept4(ctl->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_client *cl = NULL;
		struct epoll_event e;

		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_accept(ctl);
			/* EAGAIN: done; ECONNABORTED, EINTR: retried on the next
			 * event. */
			return;
		}
		for (size_t i = 0; i < DISP_CTL_CLIENTS_MAX; i++) {
			if (ctl->clients[i].fd < 0) {
				cl = &ctl->clients[i];
				break;
			}
		}
		if (!cl) {
			static const char msg[] = "error 17\ntoo many clients\n";

			(void)!send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			ctl->rejected++;
			continue;
		}
		memset(cl, 0, sizeof(*cl));
		cl->fd = fd;
		cl->last_cmd_ms = disp_ctl_now_ms();
		e.events = EPOLLIN;
		e.data.ptr = cl;
		if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, fd, &e) == -1) {
			close(fd);
			cl->fd = -1;
		}
	}
}

static void check_timeouts(struct disp_ctl *ctl)
{
	uint64_t now = disp_ctl_now_ms();

	for (size_t i = 0; i < DISP_CTL_CLIENTS_MAX; i++) {
		struct ctl_client *cl = &ctl->clients[i];

		if (cl->fd < 0)
			continue;
		if ((cl->stall_since_ms && now - cl->stall_since_ms > ctl->stall_ms) ||
		    (cl->out.len == 0 && now - cl->last_cmd_ms > ctl->idle_ms)) {
			client_close(ctl, cl);
			ctl->timed_out++;
		}
	}
}

int disp_ctl_poll(struct disp_ctl *ctl, int timeout_ms)
{
	struct epoll_event ev[16];
	int n, wait = timeout_ms < 0 || timeout_ms > TICK_MS ? TICK_MS : timeout_ms;

	n = epoll_wait(ctl->epfd, ev, 16, wait);
	if (n == -1)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct ctl_client *cl = ev[i].data.ptr;

		if (cl == NULL) {
			accept_all(ctl);
		} else if ((void *)cl == (void *)ctl) {
			continue; /* stop eventfd: the thread loop checks it */
		} else if (cl->fd >= 0) {
			if (ev[i].events & EPOLLOUT)
				client_flush(ctl, cl);
			else if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				client_readable(ctl, cl);
		}
	}
	check_timeouts(ctl);
	resume_accept(ctl);
	return 0;
}

/* Removes a stale socket file left by a dead spliced, but never a live
 * one (another spliced answering) nor something that is not a socket. */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	strcpy(sa.sun_path, path);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "control socket %s: another spliced is listening", path);
		return -EADDRINUSE;
	}
	return unlink(path) == -1 ? -errno : 0;
}

int disp_ctl_create_detached(struct disp_ctl **out)
{
	struct disp_ctl *ctl = calloc(1, sizeof(*ctl));
	int r;

	if (!ctl)
		return -ENOMEM;
	ctl->lfd = ctl->epfd = ctl->stopfd = -1;
	for (size_t i = 0; i < DISP_CTL_CLIENTS_MAX; i++)
		ctl->clients[i].fd = -1;
	ctl->started_ms = disp_ctl_now_ms();
	ctl->idle_ms = DISP_CTL_IDLE_MS;
	ctl->stall_ms = DISP_CTL_STALL_MS;
	r = disp_ctl_builtins(ctl);
	if (r < 0) {
		free(ctl);
		return r;
	}
	*out = ctl;
	return 0;
}

int disp_ctl_open(const char *path, mode_t mode, struct disp_ctl **out,
		  char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event e = { .events = EPOLLIN };
	struct disp_ctl *ctl;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	r = disp_ctl_create_detached(&ctl);
	if (r < 0)
		return r;
	strcpy(ctl->path, path);

	r = clear_stale(path, err, errlen);
	if (r < 0) {
		if (err && errlen && !err[0])
			snprintf(err, errlen, "control socket %s: %s", path, strerror(-r));
		goto fail;
	}
	ctl->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->lfd == -1)
		goto fail_errno;
	strcpy(sa.sun_path, path);
	/* Created with no access at all, then opened up to mode: there is no
	 * window in which another user could connect. */
	old = umask(0777);
	r = bind(ctl->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r == -1)
		goto fail_errno;
	ctl->bound = true;
	if (chmod(path, mode & 0777) == -1 || listen(ctl->lfd, 16) == -1)
		goto fail_errno;
	ctl->epfd = epoll_create1(EPOLL_CLOEXEC);
	ctl->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ctl->epfd == -1 || ctl->stopfd == -1)
		goto fail_errno;
	e.data.ptr = NULL;
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, ctl->lfd, &e) == -1)
		goto fail_errno;
	e.data.ptr = ctl;
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, ctl->stopfd, &e) == -1)
		goto fail_errno;
	*out = ctl;
	return 0;
fail_errno:
	r = -errno;
	snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
fail:
	disp_ctl_close(ctl);
	return r;
}

static void *ctl_thread(void *arg)
{
	struct disp_ctl *ctl = arg;
	uint64_t v;

	while (read(ctl->stopfd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
		if (disp_ctl_poll(ctl, -1) < 0)
			break;
	}
	return NULL;
}

void disp_ctl_set_timeouts(struct disp_ctl *ctl, unsigned idle_ms,
			   unsigned stall_ms)
{
	ctl->idle_ms = idle_ms;
	ctl->stall_ms = stall_ms;
}

int disp_ctl_start(struct disp_ctl *ctl)
{
	int r = pthread_create(&ctl->thread, NULL, ctl_thread, ctl);

	if (r != 0)
		return -r;
	ctl->running = true;
	return 0;
}

void disp_ctl_stop(struct disp_ctl *ctl)
{
	uint64_t one = 1;

	if (!ctl || !ctl->running)
		return;
	(void)!write(ctl->stopfd, &one, sizeof(one));
	pthread_join(ctl->thread, NULL);
	ctl->running = false;
}

void disp_ctl_close(struct disp_ctl *ctl)
{
	if (!ctl)
		return;
	disp_ctl_stop(ctl);
	for (size_t i = 0; i < DISP_CTL_CLIENTS_MAX; i++)
		client_close(ctl, &ctl->clients[i]);
	if (ctl->lfd >= 0)
		close(ctl->lfd);
	if (ctl->bound)
		unlink(ctl->path);
	if (ctl->epfd >= 0)
		close(ctl->epfd);
	if (ctl->stopfd >= 0)
		close(ctl->stopfd);
	for (size_t i = 0; i < ctl->nkept; i++)
		free(ctl->kept[i]);
	free(ctl);
}
