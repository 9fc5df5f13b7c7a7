#!/bin/sh
# tests/fuzz/run.sh HARNESS ARG...: run a libFuzzer harness as a test.
# First the self-check: the same command line with SPLICEKIT_FUZZ_CRASH set
# (tests/fuzz/fuzz_selfcheck.c aborts on the first input) must exit 1, or
# a real crash would not fail the test (libFuzzer's default exit code 77
# reads as SKIP in meson). Then the harness runs for real, via exec.
set -u
exe=$1
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuzzcheck.XXXXXX") || exit 1
# Later flags override earlier ones: one run, crash files kept out of the
# harness's artifact directory.
SPLICEKIT_FUZZ_CRASH=1 "$exe" "$@" -runs=1 -artifact_prefix="$tmp/" >"$tmp/log" 2>&1
rc=$?
if [ "$rc" -ne 1 ] || ! grep -q "deadly signal" "$tmp/log"; then
	echo "FAIL: self-check: an injected crash in $(basename "$exe") exited $rc, want 1 (is -error_exitcode=1 given?)"
	tail -5 "$tmp/log"
	rm -rf "$tmp"
	exit 1
fi
rm -rf "$tmp"
echo "self-check: an injected crash fails this harness (exit 1)"
exec "$exe" "$@"
