/* splicectl show backends|conns|stats|table [--json] */
#include <stdio.h>
#include <string.h>

#include "splicectl.h"

int sc_cmd_show(int argc, char **argv, const struct sc_global *g)
{
	static const char *const what[] = { "backends", "conns", "stats", "table" };
	const char *words[3] = { "show", NULL, NULL };
	bool known = false, json = false;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: splicectl show backends|conns|stats|table [--json]\n"
		       "  table columns: session ID, server IP address, server port,\n"
		       "  timestamp, server state\n");
		return SC_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "splicectl show: unknown option '%s' (expected --json)\n", argv[i]);
			return SC_EXIT_USAGE;
		} else if (words[1]) {
			fprintf(stderr, "splicectl show: one topic only, '%s' is a second\n", argv[i]);
			return SC_EXIT_USAGE;
		} else {
			words[1] = argv[i];
		}
	}
	if (!words[1]) {
		fprintf(stderr, "usage: splicectl show backends|conns|stats|table [--json]\n");
		return SC_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++)
		known |= strcmp(words[1], what[i]) == 0;
	if (!known) {
		fprintf(stderr, "splicectl show: unknown topic '%s' (expected backends, conns, stats or table)\n",
			words[1]);
		return SC_EXIT_USAGE;
	}
	words[2] = "json";
	return sc_ctl_run(g->socket, words, json ? 3 : 2);
}
