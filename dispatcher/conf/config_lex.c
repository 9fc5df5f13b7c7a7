/* Line tokenizer for the config parser; see config_lex.h. */
#include <errno.h>
#include <stdio.h>

#include "conf/config_lex.h"

void disp_cfg_lex_init(struct cfg_lexer *lx, const char *text, size_t len)
{
	raw_cur_init(&lx->cur, text, len);
	lx->lineno = 0;
}

/* Splits buf in place into words. Returns 0 or -EINVAL (too many). */
static int split(struct cfg_line *ln, char *err, size_t errlen)
{
	char *p = ln->buf;

	ln->ntok = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			return 0;
		if (ln->ntok == CFG_TOK_MAX) {
			snprintf(err, errlen, "too many words on one line (at most %d)",
				 CFG_TOK_MAX);
			return -EINVAL;
		}
		ln->tok[ln->ntok++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '#')
			p++;
		if (*p == '#') {
			*p = '\0';
			return 0;
		}
		if (*p != '\0')
			*p++ = '\0';
	}
}

int disp_cfg_lex_next(struct cfg_lexer *lx, struct cfg_line *ln, char *err,
		      size_t errlen)
{
	while (raw_cur_left(&lx->cur) > 0) {
		size_t n = 0;
		uint8_t ch;

		lx->lineno++;
		ln->lineno = lx->lineno;
		while (raw_cur_u8(&lx->cur, &ch) == 0 && ch != '\n') {
			if (ch == '\r' && (raw_cur_left(&lx->cur) == 0 ||
					   *raw_cur_ptr(&lx->cur) == '\n'))
				continue; /* tolerate CRLF files */
			if (ch != '\t' && (ch < 0x20 || ch == 0x7f)) {
				snprintf(err, errlen,
					 "control byte 0x%02x in the text (expected printable text)",
					 ch);
				return -EINVAL;
			}
			if (n == CFG_LINE_MAX) {
				snprintf(err, errlen, "line longer than %d bytes",
					 CFG_LINE_MAX);
				return -EINVAL;
			}
			ln->buf[n++] = (char)ch;
		}
		ln->buf[n] = '\0';
		if (split(ln, err, errlen) < 0)
			return -EINVAL;
		if (ln->ntok > 0)
			return 1;
	}
	return 0;
}
