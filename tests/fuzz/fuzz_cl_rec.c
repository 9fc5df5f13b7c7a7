/* libFuzzer harness for cluster records (dispatcher/cluster/cl_rec.c):
 * bytes from Redis. A rejected input must name a reason; an accepted one
 * must satisfy every rule of the format and re-encode to exactly the same
 * bytes (the format has one encoding per record). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cl_rec.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_rec r;
	const char *why = NULL;
	uint8_t out[CL_WIRE_MAX];

	if (cl_rec_decode(data, size, &r, &why) != 0) {
		CHECK(why != NULL);
		return 0;
	}
	CHECK(size <= CL_WIRE_MAX);
	CHECK(r.origin_len >= 1 && r.origin_len <= CL_ORIGIN_MAX);
	CHECK(r.key_len >= 1 && r.key_len <= CL_KEY_MAX);
	CHECK(r.n_cands >= 1 && r.n_cands <= CL_CANDS_MAX);
	CHECK(r.type == CL_REC_SESSION || r.n_cands == 1);
	int n = cl_rec_encode(&r, out, sizeof(out));
	CHECK(n == (int)size);
	CHECK(memcmp(out, data, size) == 0);
	return 0;
}
