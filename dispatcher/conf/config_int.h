/* Internals of the config parser shared by config.c (the grammar and the
 * nat keywords) and config_splice.c (splice-mode session routing). */
#ifndef DISP_CONFIG_INT_H
#define DISP_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

#include "conf/config_lex.h"

struct parser {
	const char *name;
	struct disp_config *cfg;
	struct disp_service_conf *svc; /* open block, or NULL at top level */
	uint32_t seen;                 /* keywords seen in the open block */
	uint32_t seen_global;          /* global keywords seen */
	bool seen_source;              /* source-nat or transparent given */
	/* First splice-only setting in the open block (0: none), checked
	 * against the mode at '}' since `mode` may come after it. */
	unsigned splice_line;
	char splice_what[32];
	size_t backends_cap;
	char *err;
	size_t errlen;
};

/* Writes "NAME:LINE: message" into p's error buffer. Returns -EINVAL. */
__attribute__((format(printf, 3, 0)))
int disp_cfg_vfail(struct parser *p, unsigned line, const char *fmt, va_list ap);

/* As disp_cfg_vfail, with arguments. Returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
int disp_cfg_fail(struct parser *p, unsigned line, const char *fmt, ...);

/* Decimal s in [min, max] into *v: 0, or -EINVAL after disp_cfg_fail
 * naming what and the range. */
int disp_cfg_want_uint(struct parser *p, unsigned line, const char *what,
		       const char *s, unsigned long min, unsigned long max,
		       unsigned long *v);

/* Notes the block's first splice-only setting (line, what); end of block
 * refuses it unless the service is `mode splice`. */
void disp_cfg_splice_only(struct parser *p, unsigned line, const char *what);

/* A splice option of `backend` (key "ticket-key-file" or
 * "session-id-prefix", value val) into *b. 0 or -EINVAL (message set). */
int disp_cfg_backend_splice(struct parser *p, unsigned line,
			    struct disp_backend_conf *b, const char *key,
			    const char *val);

/* isn-secret-file PATH (top level) */
int disp_cfg_kw_isn_secret(struct parser *p, const struct cfg_line *ln);

/* session-table on|off, session-table-size N, load-guard PCT [min N]|off */
int disp_cfg_kw_session_table(struct parser *p, const struct cfg_line *ln);
int disp_cfg_kw_session_table_size(struct parser *p, const struct cfg_line *ln);
int disp_cfg_kw_load_guard(struct parser *p, const struct cfg_line *ln);

#endif
