/* See run_splicectl.h. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "run_splicectl.h"

int run_splicectl(const char *sock, const char *args, const char *errfile,
		  char *out, size_t outlen, char *err, size_t errlen)
{
	char cmd[1024];
	const char *b = getenv("SPLICEKIT_BUILD");
	FILE *p, *f;
	size_t n;
	int st;

	out[0] = err[0] = '\0';
	if (!b)
		return -2;
	snprintf(cmd, sizeof(cmd), "%s/tools/splicectl -s %s %s 2>%s", b, sock, args,
		 errfile);
	p = popen(cmd, "r");
	if (!p)
		return -2;
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	f = fopen(errfile, "r");
	n = f ? fread(err, 1, errlen - 1, f) : 0;
	err[n] = '\0';
	if (f)
		fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
