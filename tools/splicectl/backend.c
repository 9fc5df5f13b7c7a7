/* splicectl backend IP:PORT up|down|drain */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "splicectl.h"

int sc_cmd_backend(int argc, char **argv, const struct sc_global *g)
{
	const char *words[4] = { "backend", NULL, NULL, "json" };
	bool json = false;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: splicectl backend [SERVICE/]IP:PORT up|down|drain [--json]\n"
		       "  down: no new flows, marked DOWN; drain: no new flows, existing\n"
		       "  ones continue; up: clears down/drain (a failing health check\n"
		       "  still keeps the backend DOWN). SERVICE/ sets it in that service\n"
		       "  only; without it, the address in every service\n");
		return SC_EXIT_OK;
	}
	for (int i = 3; i < argc; i++) {
		if (json || strcmp(argv[i], "--json") != 0) {
			fprintf(stderr, "splicectl backend: unexpected '%s'%s\n", argv[i],
				json ? " after --json" : " (expected --json)");
			return SC_EXIT_USAGE;
		}
		json = true;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: splicectl backend [SERVICE/]IP:PORT up|down|drain [--json]\n");
		return SC_EXIT_USAGE;
	}
	if (strcasecmp(argv[2], "up") != 0 && strcasecmp(argv[2], "down") != 0 &&
	    strcasecmp(argv[2], "drain") != 0) {
		fprintf(stderr, "splicectl backend: '%s' is not a state (expected up, down or drain)\n",
			argv[2]);
		return SC_EXIT_USAGE;
	}
	words[1] = argv[1];
	words[2] = argv[2];
	return sc_ctl_run(g->socket, words, json ? 4 : 3);
}
