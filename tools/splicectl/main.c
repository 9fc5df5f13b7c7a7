/* splicectl: the operator's CLI. Global options, then a subcommand from
 * the table below; everything else lives in the subcommand's own file. */
#include <stdio.h>
#include <string.h>

#include "splicectl.h"

static const struct {
	const char *name;
	sc_cmd_fn fn;
	const char *help;
} cmds[] = {
	{ "inspect", sc_cmd_inspect, "FILE.pcap [--json]  decode TLS handshakes in a capture" },
	{ "show", sc_cmd_show, "backends|conns|stats|table [--json]  query spliced" },
	{ "backend", sc_cmd_backend, "[SVC/]IP:PORT up|down|drain  set a backend's state" },
	{ "set", sc_cmd_set, "weight [SVC/]IP:PORT N  change a backend's weight" },
	{ "flush", sc_cmd_flush, "[--older-than S] [--json]  forget TLS session table entries" },
	{ "add", sc_cmd_add, "backend SVC IP:PORT [weight N]  add a backend now" },
	{ "del", sc_cmd_del, "backend SVC/IP:PORT  remove a backend (it drains)" },
	{ "reload", sc_cmd_reload, "[--json]  re-read the config file and apply it" },
	{ "watch", sc_cmd_watch, "[-n SECONDS] [-c COUNT]  live view of backends and stats" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: splicectl [-s SOCKET] COMMAND [ARGS]\n\n"
		   "  -s SOCKET   spliced control socket (default %s)\n"
		   "  -h, --help  this text; COMMAND --help for one command\n"
		   "  -V, --version  print the version\n\n"
		   "commands:\n", SC_DEFAULT_SOCKET);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
	struct sc_global g = { .socket = SC_DEFAULT_SOCKET };
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return SC_EXIT_OK;
		}
		if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("splicectl %s\n", SPLICEKIT_VERSION);
			return SC_EXIT_OK;
		}
		if (strcmp(argv[i], "-s") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '\0') {
				fprintf(stderr, "splicectl: -s needs a socket path\n");
				return SC_EXIT_USAGE;
			}
			g.socket = argv[i + 1];
			i += 2;
			continue;
		}
		fprintf(stderr, "splicectl: unknown option '%s'\n", argv[i]);
		usage(stderr);
		return SC_EXIT_USAGE;
	}
	if (i >= argc) {
		usage(stderr);
		return SC_EXIT_USAGE;
	}
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (strcmp(argv[i], cmds[k].name) == 0)
			return cmds[k].fn(argc - i, argv + i, &g);
	fprintf(stderr, "splicectl: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return SC_EXIT_USAGE;
}
