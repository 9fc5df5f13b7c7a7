/* splicectl's side of the control-socket protocol (see
 * dispatcher/ctl/ctl.h): one line out, "ok|error LEN\n" + LEN bytes in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include <splicekit/cursor.h>

#include "splicectl.h"

/* What a path that is not a socket is, for the error message. */
static const char *file_kind(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	return "not a socket";
}

/* The reason to add to connect()'s error: the operator's next step. */
static const char *connect_hint(int err)
{
	switch (err) {
	case ENOENT: return " (is spliced running? -s SOCKET names its control socket)";
	case ECONNREFUSED: return " (nobody listens on it: spliced stopped and left it behind?)";
	case EACCES: return " (the socket is mode 0600 by default: run as its owner, or set control-mode)";
	default: return "";
	}
}

int sc_ctl_connect(const char *path)
{
	struct stat st;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "splicectl: socket path too long: %s\n", path);
		return -1;
	}
	/* connect() on a regular file or a directory says "Connection
	 * refused", which sends the operator looking for a stopped daemon. */
	if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "splicectl: %s is not a socket (it is %s; -s SOCKET names spliced's control socket)\n",
			path, file_kind(st.st_mode));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		perror("splicectl: socket");
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* A wedged daemon must not hang the operator's shell. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		fprintf(stderr, "splicectl: cannot connect to %s: %s%s\n", path,
			strerror(errno), connect_hint(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int read_full(int fd, char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Parses "ok LEN" / "error LEN" through a cursor; the daemon is trusted
 * more than a packet, but a wrong socket path may connect to anything. */
static int parse_status(const char *hdr, size_t n, bool *ok, size_t *len)
{
	struct raw_cur c;
	const uint8_t *word;
	size_t wl;
	unsigned long long v = 0;
	uint8_t ch;

	raw_cur_init(&c, hdr, n);
	wl = 0;
	while (raw_cur_has(&c, wl + 1) && raw_cur_ptr(&c)[wl] != ' ')
		wl++;
	if (raw_cur_bytes(&c, wl, &word) < 0 || raw_cur_skip(&c, 1) < 0)
		return -1;
	if (wl == 2 && memcmp(word, "ok", 2) == 0)
		*ok = true;
	else if (wl == 5 && memcmp(word, "error", 5) == 0)
		*ok = false;
	else
		return -1;
	if (raw_cur_left(&c) == 0)
		return -1;
	while (raw_cur_u8(&c, &ch) == 0) {
		if (ch < '0' || ch > '9' || v > DISP_CTL_REPLY_MAX)
			return -1;
		v = v * 10 + (unsigned)(ch - '0');
	}
	if (v > DISP_CTL_REPLY_MAX + 64)
		return -1;
	*len = (size_t)v;
	return 0;
}

int sc_ctl_request(int fd, const char *const *words, size_t n, char **body)
{
	char line[DISP_CTL_LINE_MAX + 1], hdr[32];
	size_t off = 0, hn = 0, len;
	bool ok;

	*body = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t wl = strlen(words[i]);

		for (size_t k = 0; k < wl; k++) {
			unsigned char ch = (unsigned char)words[i][k];
			if (ch < 0x21 || ch > 0x7e) {
				fprintf(stderr, "splicectl: argument '%s' has a space or control character\n",
					words[i]);
				return -1;
			}
		}
		if (off + wl + 2 > sizeof(line)) {
			fprintf(stderr, "splicectl: command too long\n");
			return -1;
		}
		if (i)
			line[off++] = ' ';
		memcpy(line + off, words[i], wl);
		off += wl;
	}
	line[off++] = '\n';
	if (send(fd, line, off, MSG_NOSIGNAL) != (ssize_t)off) {
		fprintf(stderr, "splicectl: send: %s\n", strerror(errno));
		return -1;
	}
	while (hn < sizeof(hdr)) {
		if (read_full(fd, hdr + hn, 1) < 0) {
			fprintf(stderr, "splicectl: no reply from spliced (%s)\n",
				errno == EAGAIN ? "timed out" : "connection closed");
			return -1;
		}
		if (hdr[hn] == '\n')
			break;
		hn++;
	}
	if (hn == sizeof(hdr) || parse_status(hdr, hn, &ok, &len) < 0) {
		fprintf(stderr, "splicectl: not a spliced control socket (bad reply header)\n");
		return -1;
	}
	*body = malloc(len + 1);
	if (!*body || read_full(fd, *body, len) < 0) {
		fprintf(stderr, "splicectl: reply cut short\n");
		free(*body);
		*body = NULL;
		return -1;
	}
	(*body)[len] = '\0';
	return ok ? 1 : 0;
}

int sc_ctl_run(const char *path, const char *const *words, size_t n)
{
	char *body = NULL;
	int fd = sc_ctl_connect(path), r;

	if (fd < 0)
		return SC_EXIT_FAIL;
	r = sc_ctl_request(fd, words, n, &body);
	close(fd);
	if (r < 0)
		return SC_EXIT_FAIL;
	if (r == 1)
		fputs(body, stdout);
	else
		fprintf(stderr, "splicectl: spliced says: %s", body);
	free(body);
	return r == 1 ? SC_EXIT_OK : SC_EXIT_FAIL;
}
