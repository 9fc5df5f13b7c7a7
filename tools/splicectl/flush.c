/* splicectl flush [--older-than SECONDS] [--json]: forget mapping-table
 * entries (all of them, or those untouched for SECONDS) in every splice
 * service. spliced replies "flushed N entries". */
#include <stdio.h>
#include <string.h>

#include "splicectl.h"

#define FLUSH_MAX_S 315360000ul /* ten years; spliced refuses more */

static int usage(FILE *f, int code)
{
	fprintf(f, "usage: splicectl flush [--older-than SECONDS] [--json]\n"
		   "  forget TLS session mapping-table entries: all of them, or\n"
		   "  those not used for SECONDS (1..%lu)\n", FLUSH_MAX_S);
	return code;
}

/* Digits only, 1..FLUSH_MAX_S: the daemon checks too, but a typo should
 * fail here with the reason, not as a remote error. */
static bool seconds_ok(const char *s)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
		return false;
	for (; *s; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	return v >= 1 && v <= FLUSH_MAX_S;
}

int sc_cmd_flush(int argc, char **argv, const struct sc_global *g)
{
	const char *words[4] = { "flush", NULL, NULL, NULL };
	const char *older = NULL;
	bool json = false;
	size_t n = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout, SC_EXIT_OK);
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--older-than") == 0 && !older) {
			if (i + 1 >= argc) {
				fprintf(stderr, "splicectl flush: --older-than needs a number of seconds\n");
				return usage(stderr, SC_EXIT_USAGE);
			}
			older = argv[++i];
			if (!seconds_ok(older)) {
				fprintf(stderr, "splicectl flush: --older-than '%s' is not a number of seconds in 1..%lu\n",
					older, FLUSH_MAX_S);
				return SC_EXIT_USAGE;
			}
		} else {
			fprintf(stderr, "splicectl flush: unexpected '%s'\n", argv[i]);
			return usage(stderr, SC_EXIT_USAGE);
		}
	}
	if (older) {
		words[n++] = "older-than";
		words[n++] = older;
	}
	if (json)
		words[n++] = "json";
	return sc_ctl_run(g->socket, words, n);
}
