/* Config keywords of splice mode's TLS session routing: per-backend
 * ticket key names and session-ID prefixes, the mapping table's switch,
 * size and load guard. Each is refused in a nat service (at '}', since
 * `mode` may come later in the block). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include <splicekit/tls.h>

#include "conf/config_int.h"

/* Remembers the first splice-only setting of the block (see end_service). */
void disp_cfg_splice_only(struct parser *p, unsigned line, const char *what)
{
	if (p->splice_line)
		return;
	p->splice_line = line;
	snprintf(p->splice_what, sizeof(p->splice_what), "%s", what);
}

/* Reads at most cap bytes of the key file path named by keyword what into
 * buf, *got the count (cap itself means "longer"). Only a regular file,
 * opened without blocking: a FIFO or device named here must not hang or
 * feed the daemon at load. A relative path is taken from the config
 * file's directory, as the file names it. expect ends the messages. */
static int read_key_file(struct parser *p, unsigned line, const char *what,
			 const char *path, uint8_t *buf, size_t cap, size_t *got,
			 const char *expect)
{
	char full[4096];
	struct stat st;
	const char *slash = strrchr(p->name, '/');
	int fd, r;

	if (path[0] != '/' && slash)
		r = snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - p->name),
			     p->name, path);
	else
		r = snprintf(full, sizeof(full), "%s", path);
	if (r < 0 || (size_t)r >= sizeof(full))
		return disp_cfg_fail(p, line, "%s: path longer than %zu bytes", what,
				     sizeof(full) - 1);
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1)
		return disp_cfg_fail(p, line, "%s: cannot open %s: %s (expected %s)",
				     what, full, strerror(errno), expect);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return disp_cfg_fail(p, line, "%s: %s is not a regular file (expected %s)",
				     what, full, expect);
	}
	*got = 0;
	while (*got < cap) {
		ssize_t n = read(fd, buf + *got, cap - *got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*got += (size_t)n;
	}
	close(fd);
	return 0;
}

/* A session ticket key file (nginx ssl_session_ticket_key, OpenSSL
 * SSL_CTX_set_tlsext_ticket_keys: 48 or 80 bytes): only its key_name is
 * kept, the secret halves never stay in spliced's memory. */
static int read_ticket_name(struct parser *p, unsigned line, const char *path,
			    uint8_t name[16])
{
	static const char expect[] =
		"a 48 or 80 byte key file, as for nginx ssl_session_ticket_key";
	uint8_t buf[81]; /* one more than the largest valid size */
	size_t got;
	int r;

	if (read_key_file(p, line, "ticket-key-file", path, buf, sizeof(buf), &got,
			  expect) < 0)
		return -EINVAL;
	r = tls_ticket_key_name(buf, got, name);
	explicit_bzero(buf, sizeof(buf));
	if (r < 0)
		return disp_cfg_fail(p, line, "ticket-key-file: %s is %s%zu bytes (expected 48 or 80, as for nginx ssl_session_ticket_key)",
				     path, got == sizeof(buf) ? "over " : "",
				     got == sizeof(buf) ? got - 1 : got);
	return 0;
}

static int kw_isn_secret(struct parser *p, const struct cfg_line *ln)
{
	static const char expect[] =
		"16 to 64 secret bytes, e.g. from head -c 32 /dev/urandom";
	uint8_t buf[65], md[SHA256_DIGEST_LENGTH];
	size_t got;

	if (read_key_file(p, ln->lineno, "isn-secret-file", ln->tok[1], buf,
			  sizeof(buf), &got, expect) < 0)
		return -EINVAL;
	if (got < 16 || got == sizeof(buf)) {
		explicit_bzero(buf, sizeof(buf));
		return disp_cfg_fail(p, ln->lineno, "isn-secret-file: %s is %s%zu bytes (expected %s)",
				     ln->tok[1], got == sizeof(buf) ? "over " : "",
				     got == sizeof(buf) ? got - 1 : got, expect);
	}
	SHA256(buf, got, md);
	memcpy(p->cfg->isn_secret, md, sizeof(p->cfg->isn_secret));
	p->cfg->has_isn_secret = true;
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(md, sizeof(md));
	return 0;
}

int disp_cfg_backend_splice(struct parser *p, unsigned line,
			    struct disp_backend_conf *b, const char *key,
			    const char *val)
{
	int n;

	if (strcmp(key, "ticket-key-file") == 0) {
		if (b->has_ticket_name)
			return disp_cfg_fail(p, line, "backend: 'ticket-key-file' given twice");
		if (read_ticket_name(p, line, val, b->ticket_name) < 0)
			return -EINVAL;
		b->has_ticket_name = true;
		disp_cfg_splice_only(p, line, "backend ticket-key-file");
		return 0;
	}
	if (b->sid_prefix_len)
		return disp_cfg_fail(p, line, "backend: 'session-id-prefix' given twice");
	n = tls_prefix_from_hex(val, b->sid_prefix, sizeof(b->sid_prefix));
	if (n < 0)
		return disp_cfg_fail(p, line,
			    "backend: session-id-prefix '%s' is not hex bytes (expected 1 to %d bytes as an even number of hex digits, e.g. 5b01)",
			    val, TLS_PREFIX_MAX);
	b->sid_prefix_len = (uint8_t)n;
	disp_cfg_splice_only(p, line, "backend session-id-prefix");
	return 0;
}

static int kw_session_table(struct parser *p, const struct cfg_line *ln)
{
	if (disp_cfg_want_onoff(p, ln->lineno, "session-table", ln->tok[1],
				&p->svc->session_table) < 0)
		return -EINVAL;
	disp_cfg_splice_only(p, ln->lineno, "session-table");
	return 0;
}

static int kw_session_table_size(struct parser *p, const struct cfg_line *ln)
{
	unsigned long v;

	/* 2^24 entries is 2.4 GB of table: far past any real session cache. */
	if (disp_cfg_want_uint(p, ln->lineno, "session-table-size", ln->tok[1], 1,
			       1ul << 24, &v) < 0)
		return -EINVAL;
	p->svc->session_table_size = (unsigned)v;
	disp_cfg_splice_only(p, ln->lineno, "session-table-size");
	return 0;
}

/* load-guard PCT [min N] | load-guard off */
static int kw_load_guard(struct parser *p, const struct cfg_line *ln)
{
	unsigned long pct, min = p->svc->load_guard_min;

	disp_cfg_splice_only(p, ln->lineno, "load-guard");
	if (strcmp(ln->tok[1], "off") == 0) {
		if (ln->ntok != 2)
			return disp_cfg_fail(p, ln->lineno, "load-guard: nothing may follow 'off' (expected 'load-guard off')");
		p->svc->load_guard_pct = 0;
		return 0;
	}
	/* Under 100% would refuse a server that carries just the mean load. */
	if (disp_cfg_want_uint(p, ln->lineno, "load-guard", ln->tok[1], 100, 10000, &pct) < 0)
		return -EINVAL;
	if (ln->ntok == 3 || (ln->ntok == 4 && strcmp(ln->tok[2], "min") != 0))
		return disp_cfg_fail(p, ln->lineno,
			    "load-guard: expected 'load-guard PCT [min N]' or 'load-guard off'");
	if (ln->ntok == 4 &&
	    disp_cfg_want_uint(p, ln->lineno, "load-guard min", ln->tok[3], 0, 1000000, &min) < 0)
		return -EINVAL;
	p->svc->load_guard_pct = (unsigned)pct;
	p->svc->load_guard_min = (unsigned)min;
	return 0;
}

const struct disp_cfg_kw disp_cfg_splice_kw[] = {
	{ "isn-secret-file", 1, 1, false, true, "isn-secret-file PATH", kw_isn_secret },
	{ "session-table", 1, 1, true, true, "session-table on|off", kw_session_table },
	{ "session-table-size", 1, 1, true, true, "session-table-size N",
	  kw_session_table_size },
	{ "load-guard", 1, 3, true, true, "load-guard PCT [min N] | load-guard off",
	  kw_load_guard },
};
const size_t disp_cfg_splice_nkw = sizeof(disp_cfg_splice_kw) / sizeof(disp_cfg_splice_kw[0]);
