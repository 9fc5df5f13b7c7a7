/* splicectl set weight [SERVICE/]IP:PORT N [--json]: change a backend's
 * weight in a running spliced (the daemon checks the range and names). */
#include <stdio.h>
#include <string.h>

#include "splicectl.h"

#define SET_USAGE "usage: splicectl set weight [SERVICE/]IP:PORT 1..256 [--json]\n"

int sc_cmd_set(int argc, char **argv, const struct sc_global *g)
{
	const char *words[5] = { "set", "weight", NULL, NULL, "json" };
	bool json = false;
	int n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf(SET_USAGE "  the new weight applies to the next new flow; without\n"
			       "  SERVICE/ the address in every service\n");
			return SC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") == 0 && !json) {
			json = true;
		} else if (n == 0 && strcmp(argv[i], "weight") != 0) {
			fprintf(stderr, "splicectl set: '%s' is not a setting (expected weight)\n", argv[i]);
			return SC_EXIT_USAGE;
		} else if (n >= 3) {
			fprintf(stderr, "splicectl set: unexpected '%s'\n" SET_USAGE, argv[i]);
			return SC_EXIT_USAGE;
		} else {
			if (n > 0)
				words[1 + n] = argv[i];
			n++;
		}
	}
	if (n != 3) {
		fputs(SET_USAGE, stderr);
		return SC_EXIT_USAGE;
	}
	return sc_ctl_run(g->socket, words, json ? 5 : 4);
}
