/* splicectl add backend SERVICE IP:PORT [weight N] and splicectl del
 * backend SERVICE/IP:PORT: change a running service's backends without
 * editing the file (spliced checks the names, the address and the weight;
 * the state file keeps the change across restarts, a reload undoes it). */
#include <stdio.h>
#include <string.h>

#include "splicectl.h"

#define ADD_USAGE "usage: splicectl add backend SERVICE IP:PORT [weight 1..256]\n"
#define DEL_USAGE "usage: splicectl del backend SERVICE/IP:PORT\n"

static bool help(int argc, char **argv, const char *usage, const char *more)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s%s", usage, more);
			return true;
		}
	return false;
}

int sc_cmd_add(int argc, char **argv, const struct sc_global *g)
{
	const char *words[6] = { "add", "backend" };

	if (help(argc, argv, ADD_USAGE,
		 "  the backend starts UP and gets new connections at once\n"))
		return SC_EXIT_OK;
	if ((argc != 4 && argc != 6) || strcmp(argv[1], "backend") != 0 ||
	    (argc == 6 && strcmp(argv[4], "weight") != 0)) {
		if (argc > 1 && strcmp(argv[1], "backend") != 0)
			fprintf(stderr, "splicectl add: '%s' is not something to add (expected backend)\n",
				argv[1]);
		fputs(ADD_USAGE, stderr);
		return SC_EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++)
		words[i] = argv[i];
	return sc_ctl_run(g->socket, words, (size_t)argc);
}

int sc_cmd_del(int argc, char **argv, const struct sc_global *g)
{
	const char *words[3] = { "del", "backend" };

	if (help(argc, argv, DEL_USAGE,
		 "  no new connections go to it; open ones finish, then it is gone\n"))
		return SC_EXIT_OK;
	if (argc != 3 || strcmp(argv[1], "backend") != 0 || !strchr(argv[2], '/')) {
		if (argc > 1 && strcmp(argv[1], "backend") != 0)
			fprintf(stderr, "splicectl del: '%s' is not something to delete (expected backend)\n",
				argv[1]);
		fputs(DEL_USAGE, stderr);
		return SC_EXIT_USAGE;
	}
	words[2] = argv[2];
	return sc_ctl_run(g->socket, words, 3);
}
