/* Control-socket commands: one line in, one reply body out.
 *
 * The line is untrusted (any local process with access to the socket), so
 * it is read through a cursor, only printable ASCII is accepted, and words
 * are copied into bounded buffers before any comparison.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <splicekit/cursor.h>

#include "ctl/ctl_int.h"

#define CMD_WORDS_MAX 6
#define CMD_WORD_MAX 64

struct cmd {
	size_t n;
	char w[CMD_WORDS_MAX][CMD_WORD_MAX];
	bool json;
};

static const char usage[] =
	"commands: show backends|conns|stats|table [json]; "
	"backend IP:PORT up|down|drain; flush [older-than SECONDS]; help; quit";

/* Splits the line into words. Returns 0 or -EINVAL with the reason in o. */
static int split(const char *line, size_t len, struct cmd *c,
		 struct disp_ctl_out *o)
{
	struct raw_cur cur;
	uint8_t ch;

	memset(c, 0, sizeof(*c));
	raw_cur_init(&cur, line, len);
	for (;;) {
		size_t wl = 0;

		while (raw_cur_has(&cur, 1) &&
		       (*raw_cur_ptr(&cur) == ' ' || *raw_cur_ptr(&cur) == '\t'))
			raw_cur_skip(&cur, 1);
		if (!raw_cur_has(&cur, 1))
			break;
		if (c->n == CMD_WORDS_MAX) {
			disp_ctl_printf(o, "too many words (at most %d)\n", CMD_WORDS_MAX);
			return -EINVAL;
		}
		while (raw_cur_u8(&cur, &ch) == 0 && ch != ' ' && ch != '\t') {
			if (ch < 0x21 || ch > 0x7e) {
				disp_ctl_printf(o, "byte 0x%02x at offset %zu is not printable ASCII\n",
						ch, raw_cur_pos(&cur) - 1);
				return -EINVAL;
			}
			if (wl == CMD_WORD_MAX - 1) {
				disp_ctl_printf(o, "word longer than %d bytes\n", CMD_WORD_MAX - 1);
				return -EINVAL;
			}
			c->w[c->n][wl++] = (char)ch;
		}
		c->n++;
	}
	/* A trailing "json" or "--json" selects JSON for any command. */
	if (c->n > 1 && (strcmp(c->w[c->n - 1], "json") == 0 ||
			 strcmp(c->w[c->n - 1], "--json") == 0)) {
		c->json = true;
		c->n--;
	}
	return 0;
}

static int cmd_backend(struct disp_ctl *ctl, const struct cmd *c,
		       struct disp_ctl_out *o)
{
	struct disp_backend *be;
	struct disp_addr a;
	enum disp_be_state st;
	char buf[DISP_ADDR_STRLEN];
	size_t svc;

	if (c->n != 3) {
		disp_ctl_printf(o, "usage: backend IP:PORT up|down|drain\n");
		return -EINVAL;
	}
	if (disp_addr_parse(c->w[1], strlen(c->w[1]), true, &a) < 0) {
		disp_ctl_printf(o, "'%s' is not IP:PORT (expected 10.0.1.1:80 or [fd00::1]:80)\n",
				c->w[1]);
		return -EINVAL;
	}
	if (disp_be_state_parse(c->w[2], &st) < 0) {
		disp_ctl_printf(o, "'%s' is not a state (expected up, down or drain)\n",
				c->w[2]);
		return -EINVAL;
	}
	be = disp_pool_find(ctl->pool, &a, &svc);
	if (!be) {
		disp_ctl_printf(o, "no backend %s\n", disp_addr_format(&a, buf, sizeof(buf)));
		return -ENOENT;
	}
	disp_addr_format(&a, buf, sizeof(buf));
	/* The same address may serve several services; set it everywhere, as
	 * an operator taking a server out means the server, not one VIP. */
	for (size_t s = svc; s < disp_pool_count(ctl->pool); s++) {
		struct disp_bset *bs = disp_pool_bset(ctl->pool, s);

		for (size_t i = 0; i < disp_bset_count(bs); i++) {
			be = disp_bset_get(bs, i);
			if (!disp_addr_equal(disp_backend_addr(be), &a))
				continue;
			disp_backend_set_admin(be, st);
			if (c->json) {
				disp_ctl_printf(o, "{\"service\":");
				disp_ctl_json_str(o, disp_bset_name(bs));
				disp_ctl_printf(o, ",\"backend\":\"%s\",\"admin\":\"%s\",\"state\":\"%s\"}\n",
						buf, disp_be_state_name(st),
						disp_be_state_name(disp_backend_state(be)));
			} else {
				disp_ctl_printf(o, "%s %s: admin %s, now %s\n", disp_bset_name(bs),
						buf,
						disp_be_state_name(st),
						disp_be_state_name(disp_backend_state(be)));
			}
		}
	}
	return 0;
}

/* flush [older-than SECONDS]: forget mapping-table entries, all of them or
 * those untouched for that long. */
static int cmd_flush(struct disp_ctl *ctl, const struct cmd *c,
		     struct disp_ctl_out *o)
{
	/* Ten years: past any session lifetime, and far from overflow. */
	const unsigned long long max_s = 315360000ull;
	unsigned long long secs = 0;
	int64_t n = 0;

	if (c->n != 1 && !(c->n == 3 && (strcmp(c->w[1], "older-than") == 0 ||
					 strcmp(c->w[1], "--older-than") == 0))) {
		disp_ctl_printf(o, "usage: flush [older-than SECONDS]\n");
		return -EINVAL;
	}
	if (c->n == 3) {
		const char *s = c->w[2];

		if (*s == '\0' || strspn(s, "0123456789") != strlen(s) ||
		    strlen(s) > 9 || (secs = strtoull(s, NULL, 10)) == 0 || secs > max_s) {
			disp_ctl_printf(o, "older-than: '%s' is not a number of seconds in 1..%llu\n",
					s, max_s);
			return -EINVAL;
		}
	}
	if (ctl->ops.flush) {
		n = ctl->ops.flush(ctl->ops.arg, secs * 1000);
		if (n < 0) {
			disp_ctl_printf(o, "flush failed: %s\n", strerror((int)-n));
			return (int)n;
		}
	}
	if (c->json)
		return disp_ctl_printf(o, "{\"flushed\":%lld}\n", (long long)n);
	return disp_ctl_printf(o, "flushed %lld entr%s\n", (long long)n, n == 1 ? "y" : "ies");
}

static int hook_or_empty(int (*fn)(void *, struct disp_ctl_out *, bool),
			 void *arg, struct disp_ctl_out *o, bool json,
			 const char *json_empty, const char *text_empty)
{
	if (fn)
		return fn(arg, o, json);
	return disp_ctl_printf(o, "%s\n", json ? json_empty : text_empty);
}

static int cmd_show(struct disp_ctl *ctl, const struct cmd *c,
		    struct disp_ctl_out *o)
{
	const char *what = c->n == 2 ? c->w[1] : "";

	if (c->n != 2) {
		disp_ctl_printf(o, "usage: show backends|conns|stats|table [json]\n");
		return -EINVAL;
	}
	if (strcmp(what, "backends") == 0)
		return disp_ctl_show_backends(ctl, o, c->json);
	if (strcmp(what, "conns") == 0)
		return hook_or_empty(ctl->ops.show_conns, ctl->ops.arg, o, c->json,
				     "{\"conns\":[]}",
				     "CLIENT  VIP  BACKEND  STATE  PKTS-IN  PKTS-OUT  AGE");
	if (strcmp(what, "table") == 0)
		return hook_or_empty(ctl->ops.show_table, ctl->ops.arg, o, c->json,
				     "{\"table\":[]}",
				     "SESSION-ID  SERVER-IP  SERVER-PORT  TIMESTAMP  STATE");
	if (strcmp(what, "stats") == 0) {
		uint64_t up = (disp_ctl_now_ms() - ctl->started_ms) / 1000;

		if (c->json)
			disp_ctl_printf(o, "{\"uptime_s\":%llu,\"ctl_commands\":%llu,\"ctl_errors\":%llu,\"engine\":",
					(unsigned long long)up,
					(unsigned long long)ctl->commands,
					(unsigned long long)ctl->errors);
		else
			disp_ctl_printf(o, "uptime %llus\nctl commands %llu, errors %llu, clients refused %llu, timed out %llu\n",
					(unsigned long long)up,
					(unsigned long long)ctl->commands,
					(unsigned long long)ctl->errors,
					(unsigned long long)ctl->rejected,
					(unsigned long long)ctl->timed_out);
		if (ctl->ops.show_stats)
			ctl->ops.show_stats(ctl->ops.arg, o, c->json);
		else if (c->json)
			disp_ctl_printf(o, "null");
		if (c->json)
			disp_ctl_printf(o, "}\n");
		return 0;
	}
	disp_ctl_printf(o, "unknown 'show %s' (expected backends, conns, stats or table)\n",
			what);
	return -EINVAL;
}

int disp_ctl_exec(struct disp_ctl *ctl, const char *line, size_t len,
		  struct disp_ctl_out *o)
{
	struct cmd c;
	int r;

	r = split(line, len, &c, o);
	if (r < 0)
		return r;
	if (c.n == 0) {
		disp_ctl_printf(o, "empty command; %s\n", usage);
		return -EINVAL;
	}
	if (strcmp(c.w[0], "show") == 0)
		r = cmd_show(ctl, &c, o);
	else if (strcmp(c.w[0], "backend") == 0)
		r = cmd_backend(ctl, &c, o);
	else if (strcmp(c.w[0], "flush") == 0)
		r = cmd_flush(ctl, &c, o);
	else if (strcmp(c.w[0], "help") == 0 && c.n == 1)
		r = disp_ctl_printf(o, "%s\n", usage);
	else if (strcmp(c.w[0], "quit") == 0 && c.n == 1)
		r = disp_ctl_printf(o, "bye\n");
	else {
		disp_ctl_printf(o, "unknown command '%s'; %s\n", c.w[0], usage);
		return -EINVAL;
	}
	return r == -ENOBUFS ? 0 : r; /* a cut reply is still a reply */
}
