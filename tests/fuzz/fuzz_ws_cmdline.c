/* libFuzzer harness for withsplice's command line (preload/ws_args.c):
 * the bytes, split at NUL, are argv[1..]. Arguments starting "--c" are
 * dropped, because --config (and its abbreviations) would open whatever
 * path the input names, a FIFO included. The result must be an index
 * inside argv, 0 with --help, or -EINVAL. */
#include "ws_args.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARGS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ws_opts o;
	char *copy, *argv[ARGS_MAX + 2], err[256];
	int argc = 1, rc;

	if (size > 4096)
		return 0;
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "withsplice";
	for (char *p = copy; p < copy + size + 1 && argc < ARGS_MAX; p += strlen(p) + 1)
		if (strncmp(p, "--c", 3) != 0)
			argv[argc++] = p;
	argv[argc] = NULL;
	ws_opts_init(&o);
	rc = ws_opts_argv(&o, argc, argv, err, sizeof(err));
	if (!(rc == -EINVAL || (rc == 0 && (o.help || o.version)) || (rc > 0 && rc < argc)))
		abort();
	free(copy);
	return 0;
}
