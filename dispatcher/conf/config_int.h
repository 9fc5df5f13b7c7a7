/* Internals of the config parser shared by config.c (the grammar and the
 * global keywords) and the keyword files of each subsystem:
 * config_service.c, config_backend.c, config_splice.c. */
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
	uint64_t seen;                 /* keywords seen in the open block */
	uint64_t seen_global;          /* global keywords seen */
	bool seen_source;              /* source-nat or transparent given */
	/* First splice-only setting in the open block (0: none), checked
	 * against the mode at '}' since `mode` may come after it. */
	unsigned splice_line;
	char splice_what[32];
	size_t backends_cap;
	/* Content pools of the open service: the pool block open (1 + index,
	 * 0: none), the first pool keyword's line and word (refused at '}'
	 * in a nat service). */
	unsigned sched_line;           /* of `scheduler`, for lard's checks */
	unsigned pool_open;
	unsigned pool_kw_line;
	const char *pool_kw;
	char *err;
	size_t errlen;
};

/* Writes "NAME:LINE: message" into p's error buffer. Returns -EINVAL. */
__attribute__((format(printf, 3, 0)))
int disp_cfg_vfail(struct parser *p, unsigned line, const char *fmt, va_list ap);

/* As disp_cfg_vfail, with arguments. Returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
int disp_cfg_fail(struct parser *p, unsigned line, const char *fmt, ...);

/* One keyword: its argument count, where it may appear, and the usage
 * string the argument-count error quotes. Each subsystem's file keeps the
 * table of its keywords; config.c dispatches over all of them and builds
 * the "unknown keyword" hint from them, so the hint cannot drift. */
struct disp_cfg_kw {
	const char *name;
	unsigned min_args, max_args;
	bool in_service; /* else top level */
	bool once;       /* at most once per block */
	const char *usage;
	int (*fn)(struct parser *p, const struct cfg_line *ln);
};

/* The tables: config.c (globals), config_service.c, config_backend.c,
 * config_splice.c. */
extern const struct disp_cfg_kw disp_cfg_global_kw[], disp_cfg_service_kw[],
	disp_cfg_backend_kw[], disp_cfg_splice_kw[], disp_cfg_pool_kw[];
extern const size_t disp_cfg_global_nkw, disp_cfg_service_nkw,
	disp_cfg_backend_nkw, disp_cfg_splice_nkw, disp_cfg_pool_nkw;

/* Returns the number of keywords in all tables / keyword i of them (NULL
 * past the end). */
size_t disp_cfg_keyword_count(void);
const struct disp_cfg_kw *disp_cfg_keyword(size_t i);

/* Writes the "unknown keyword" hint: every keyword allowed at the top
 * level (in_service false) or in a block (then also '}'), as "a, b or c",
 * cut to len bytes. */
void disp_cfg_hint(bool in_service, char *buf, size_t len);

/* "on" or "off" into *v: 0, or -EINVAL after disp_cfg_fail naming what. */
int disp_cfg_want_onoff(struct parser *p, unsigned line, const char *what,
			const char *s, bool *v);

/* Decimal s in [min, max] into *v: 0, or -EINVAL after disp_cfg_fail
 * naming what and the range. */
int disp_cfg_want_uint(struct parser *p, unsigned line, const char *what,
		       const char *s, unsigned long min, unsigned long max,
		       unsigned long *v);

/* s as IP:PORT (port true) or IP into *out: 0, or -EINVAL (message set). */
int disp_cfg_want_addr(struct parser *p, unsigned line, const char *what,
		       const char *s, bool port, struct disp_addr *out);

/* s as a duration with a unit (500ms, 5s, 2m, 1h) into *ms: 0, or -EINVAL
 * (message set). */
int disp_cfg_want_duration(struct parser *p, unsigned line, const char *what,
			   const char *s, unsigned *ms);

/* Whether s is a name of 1..max-1 of A-Z a-z 0-9 . _ - */
bool disp_cfg_valid_name(const char *s, size_t max);

/* config_service.c: a new service's defaults / the checks at its '}'
 * (0 or -EINVAL with the message set). */
void disp_cfg_service_defaults(struct disp_service_conf *s);
int disp_cfg_end_service(struct parser *p, unsigned line);

/* config_pool.c: closes the open pool block at '}' / checks the
 * service's pools and rules at its '}' (0 or -EINVAL, message set). */
int disp_cfg_end_pool(struct parser *p, unsigned line);
int disp_cfg_check_pools(struct parser *p);

/* Notes the block's first splice-only setting (line, what); end of block
 * refuses it unless the service is `mode splice`. */
void disp_cfg_splice_only(struct parser *p, unsigned line, const char *what);

/* A splice option of `backend` (key "ticket-key-file" or
 * "session-id-prefix", value val) into *b. 0 or -EINVAL (message set). */
int disp_cfg_backend_splice(struct parser *p, unsigned line,
			    struct disp_backend_conf *b, const char *key,
			    const char *val);


#endif
