/* Runs the built splicectl binary against a control socket, for the tests
 * that check what an operator sees (tests/dispatcher/test_splicectl.c,
 * splice_route_ctl.c). */
#ifndef SPLICEKIT_TESTS_RUN_SPLICECTL_H
#define SPLICEKIT_TESTS_RUN_SPLICECTL_H

#include <stddef.h>

/* Runs "$SPLICEKIT_BUILD/tools/splicectl -s SOCK ARGS" (args is a shell
 * word list, quoted by the caller), stdout into out and stderr, through
 * the scratch file errfile, into err (both NUL-terminated, truncated to
 * their sizes). Returns splicectl's exit code, -1 if it did not exit, or
 * -2 if SPLICEKIT_BUILD is unset or the command could not start. */
int run_splicectl(const char *sock, const char *args, const char *errfile,
		  char *out, size_t outlen, char *err, size_t errlen);

#endif
