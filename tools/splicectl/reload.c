/* splicectl reload [--json]: have spliced re-read its config file. It
 * answers what changed, or, when the file fails its check or asks for
 * something only a restart can do, why nothing changed (FILE:LINE: ...,
 * and a non-zero exit). */
#include <stdio.h>
#include <string.h>

#include "splicectl.h"

int sc_cmd_reload(int argc, char **argv, const struct sc_global *g)
{
	const char *words[2] = { "reload", "json" };
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: splicectl reload [--json]\n"
			       "  re-read spliced's config file and apply it without dropping\n"
			       "  connections; a file that fails its check, or a change that\n"
			       "  needs a restart, changes nothing and is reported (exit 1)\n");
			return SC_EXIT_OK;
		}
		if (strcmp(argv[i], "--json") != 0) {
			fprintf(stderr, "splicectl reload: unexpected '%s' (usage: splicectl reload [--json])\n",
				argv[i]);
			return SC_EXIT_USAGE;
		}
		json = true;
	}
	return sc_ctl_run(g->socket, words, json ? 2 : 1);
}
