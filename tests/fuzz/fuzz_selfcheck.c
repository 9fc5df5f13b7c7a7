/* Linked into every libFuzzer harness with -Wl,--wrap=LLVMFuzzerTestOneInput:
 * libFuzzer's main then calls this wrapper instead of the harness. With
 * SPLICEKIT_FUZZ_CRASH set it aborts on the first input, so tests/fuzz/run.sh
 * can prove that a crash under the harness's real command line fails the
 * test (exit 1, not libFuzzer's default 77, which meson reads as SKIP);
 * otherwise it only forwards to the harness. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int __real_LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int __wrap_LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int crash = -1;

	if (crash < 0)
		crash = getenv("SPLICEKIT_FUZZ_CRASH") != NULL;
	if (crash)
		abort();
	return __real_LLVMFuzzerTestOneInput(data, size);
}
