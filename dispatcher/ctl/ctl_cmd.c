/* Control-socket commands: one line in, one reply body out.
 *
 * The line is untrusted (any local process with access to the socket), so
 * it is read through a cursor, only printable ASCII is accepted, and words
 * are copied into bounded buffers before any comparison.
 */
#include <errno.h>
#include <string.h>

#include <splicekit/cursor.h>

#include "ctl/ctl_int.h"

/* A verb and at most DISP_CTL_ARGS_MAX more words. */
#define CMD_WORDS_MAX (DISP_CTL_ARGS_MAX + 1)
#define CMD_WORD_MAX DISP_CTL_WORD_MAX

struct cmd {
	size_t n;
	char w[CMD_WORDS_MAX][CMD_WORD_MAX];
	bool json;
};

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

/* No registered command matched: say what would have. */
static int unmatched(const struct disp_ctl *ctl, const struct cmd *c,
		     struct disp_ctl_out *o)
{
	for (size_t i = 0; i < ctl->ncmds; i++) {
		if (strcmp(ctl->cmds[i].verb, c->w[0]) != 0)
			continue;
		/* A known verb whose nouns did not match. */
		if (c->n < 2)
			disp_ctl_printf(o, "usage: %s ", c->w[0]);
		else
			disp_ctl_printf(o, "unknown '%s %s' (expected ", c->w[0], c->w[1]);
		disp_ctl_nouns(ctl, c->w[0], o);
		disp_ctl_printf(o, c->n < 2 ? "\n" : ")\n");
		return -EINVAL;
	}
	disp_ctl_printf(o, "unknown command '%s'; ", c->w[0]);
	disp_ctl_usage(ctl, o);
	disp_ctl_printf(o, "\n");
	return -EINVAL;
}

int disp_ctl_exec(struct disp_ctl *ctl, const char *line, size_t len,
		  struct disp_ctl_out *o)
{
	const struct disp_ctl_cmd *cmd;
	struct disp_ctl_args a = { 0 };
	size_t used = 0;
	struct cmd c;
	int r;

	r = split(line, len, &c, o);
	if (r < 0)
		return r;
	if (c.n == 0) {
		disp_ctl_printf(o, "empty command; ");
		disp_ctl_usage(ctl, o);
		disp_ctl_printf(o, "\n");
		return -EINVAL;
	}
	cmd = disp_ctl_lookup(ctl, c.w, c.n, &used);
	if (!cmd)
		return unmatched(ctl, &c, o);
	if (c.n - used > DISP_CTL_ARGS_MAX || (!cmd->args && c.n > used)) {
		disp_ctl_printf(o, "usage: %s%s%s%s%s\n", cmd->verb,
				cmd->noun ? " " : "", cmd->noun ? cmd->noun : "",
				cmd->args ? " " : "", cmd->args ? cmd->args : "");
		return -EINVAL;
	}
	for (size_t i = used; i < c.n; i++)
		a.w[a.n++] = c.w[i];
	a.json = c.json;
	r = cmd->fn(cmd->arg, &a, o);
	return r == -ENOBUFS ? 0 : r; /* a cut reply is still a reply */
}
