/* CHECK(x): a fuzz harness's invariant; aborts (a libFuzzer crash) with
 * the expression and where it is when x is false. */
#ifndef SPLICEKIT_FUZZ_CHECK_H
#define SPLICEKIT_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(x)                                                              \
	do {                                                                  \
		if (!(x)) {                                                   \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #x, \
				__FILE__, __LINE__);                          \
			abort();                                              \
		}                                                             \
	} while (0)

#endif
