/* Line tokenizer for the spliced config format (internal to config*.c).
 *
 * A config is lines of whitespace-separated words; '#' starts a comment
 * that runs to the end of the line. There is no quoting: no value in the
 * format needs spaces. Lines and words are bounded so a hostile or
 * corrupted file cannot make the parser allocate without limit.
 */
#ifndef DISP_CONFIG_LEX_H
#define DISP_CONFIG_LEX_H

#include <stddef.h>

#include <splicekit/cursor.h>

#define CFG_LINE_MAX 1024 /* bytes per line, newline excluded */
#define CFG_TOK_MAX 24    /* words per line */

struct cfg_line {
	unsigned lineno;
	size_t ntok;
	const char *tok[CFG_TOK_MAX]; /* NUL-terminated, point into buf */
	char buf[CFG_LINE_MAX + 1];
};

struct cfg_lexer {
	struct raw_cur cur;
	unsigned lineno;
};

/* Starts reading text[0..len). */
void disp_cfg_lex_init(struct cfg_lexer *lx, const char *text, size_t len);

/* Reads the next line that has at least one word into *ln. Returns 1 for a
 * line, 0 at end of input, or -EINVAL with a message (without the FILE:LINE
 * prefix) in err and the offending line number in lx->lineno. */
int disp_cfg_lex_next(struct cfg_lexer *lx, struct cfg_line *ln, char *err,
		      size_t errlen);

#endif
