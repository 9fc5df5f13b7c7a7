/* Bounded reply buffers for the control socket. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl_int.h"

uint64_t disp_ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Makes room for n more bytes plus a NUL, growing geometrically up to the
 * reply cap. */
static int reserve(struct disp_ctl_out *o, size_t n)
{
	size_t want, cap;
	char *nb;

	if (o->truncated)
		return -ENOBUFS;
	if (n > DISP_CTL_REPLY_MAX - o->len) {
		o->truncated = true;
		return -ENOBUFS;
	}
	want = o->len + n + 1;
	if (want <= o->cap)
		return 0;
	cap = o->cap ? o->cap : 1024;
	while (cap < want)
		cap *= 2;
	nb = realloc(o->buf, cap);
	if (!nb) {
		o->truncated = true;
		return -ENOBUFS;
	}
	o->buf = nb;
	o->cap = cap;
	return 0;
}

int disp_ctl_printf(struct disp_ctl_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(o, (size_t)n) < 0)
		return -ENOBUFS;
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
	return 0;
}

int disp_ctl_json_str(struct disp_ctl_out *o, const char *s)
{
	if (disp_ctl_printf(o, "\"") < 0)
		return -ENOBUFS;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int r;

		if (ch == '"' || ch == '\\')
			r = disp_ctl_printf(o, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			r = disp_ctl_printf(o, "\\u%04x", ch);
		else
			r = disp_ctl_printf(o, "%c", ch);
		if (r < 0)
			return r;
	}
	return disp_ctl_printf(o, "\"");
}

void disp_ctl_out_reset(struct disp_ctl_out *o)
{
	o->len = 0;
	o->truncated = false;
	if (o->buf)
		o->buf[0] = '\0';
}

struct disp_ctl_out *disp_ctl_out_new(void)
{
	return calloc(1, sizeof(struct disp_ctl_out));
}

void disp_ctl_out_free(struct disp_ctl_out *o)
{
	if (!o)
		return;
	free(o->buf);
	free(o);
}

const char *disp_ctl_out_str(const struct disp_ctl_out *o, size_t *len)
{
	if (len)
		*len = o->len;
	return o->buf ? o->buf : "";
}
