/* splicectl watch: redraws backends and statistics every interval over one
 * control connection, like top. -c bounds the number of refreshes (for
 * scripts and tests); otherwise it runs until interrupted. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "splicectl.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_count(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return (errno || *end || end == s || *s == '-' || *v == 0 || *v > max) ? -1 : 0;
}

int sc_cmd_watch(int argc, char **argv, const struct sc_global *g)
{
	static const char *const backends[] = { "show", "backends" };
	static const char *const stats[] = { "show", "stats" };
	unsigned long interval = 1, count = 0;
	bool tty = isatty(STDOUT_FILENO);
	struct sigaction sa = { .sa_handler = on_signal };
	int fd, rc = SC_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
			if (parse_count(argv[i + 1], argv[i][1] == 'n' ? 3600 : 1000000,
					argv[i][1] == 'n' ? &interval : &count) < 0) {
				fprintf(stderr, "splicectl watch: %s needs a positive number, not '%s'\n",
					argv[i], argv[i + 1]);
				return SC_EXIT_USAGE;
			}
			i++;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: splicectl watch [-n SECONDS] [-c COUNT]\n");
			return SC_EXIT_OK;
		} else {
			fprintf(stderr, "splicectl watch: %s '%s' (usage: splicectl watch [-n SECONDS] [-c COUNT])\n",
				strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "-c") == 0 ?
				"no number after" : "unexpected", argv[i]);
			return SC_EXIT_USAGE;
		}
	}
	fd = sc_ctl_connect(g->socket);
	if (fd < 0)
		return SC_EXIT_FAIL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (unsigned long n = 0; !stop && (count == 0 || n < count); n++) {
		char *b1 = NULL, *b2 = NULL, when[32];
		time_t now = time(NULL);

		if (sc_ctl_request(fd, backends, 2, &b1) != 1 ||
		    sc_ctl_request(fd, stats, 2, &b2) != 1) {
			free(b1);
			free(b2);
			rc = SC_EXIT_FAIL;
			break;
		}
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&now));
		/* Clear and home only on a terminal; piped output stays a log. */
		printf("%sspliced %s  (every %lus, %s)\n\n%s\n%s", tty ? "\033[H\033[2J" : "",
		       g->socket, interval, when, b1, b2);
		if (!tty)
			printf("\n");
		fflush(stdout);
		free(b1);
		free(b2);
		if (count == 0 || n + 1 < count)
			sleep((unsigned)interval); /* a signal cuts it short */
	}
	close(fd);
	return rc;
}
