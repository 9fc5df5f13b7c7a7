#!/usr/bin/env bash
# tools/bench/results.sh and tools/bench/summary together: three recorded
# runs (two comparable, one smoke) give the expected side-by-side table
# with the change between the last two; a value of "-" is not recorded;
# a broken file is refused with its line named.
set -u
src=${SPLICEKIT_SRC:?}
tmp=$(mktemp -d /tmp/ops-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
export SPLICEKIT_BENCH_RESULTS=$tmp/r.tsv
. "$src/tools/bench/results.sh"

run() # SETTINGS... -- then "path metric value unit ratio" lines on stdin
{
	local line
	br_open demo "$@"
	while read -r line; do
		# shellcheck disable=SC2086 # the fields are the words
		br_put $line
	done
}
run seconds=5 smoke=0 <<'R'
kernel throughput 10.0 Gbit/s 1.00
spliced throughput 5.0 Gbit/s 0.50
spliced connections 1000 conn/s -
R
run seconds=5 smoke=1 <<'R'
kernel throughput 1.0 Gbit/s 1.00
R
run seconds=5 smoke=0 <<'R'
kernel throughput 10.0 Gbit/s 1.00
spliced throughput 6.0 Gbit/s 0.60
spliced connections 900 conn/s -
haproxy throughput - Gbit/s -
R

rows=$(($(wc -l <"$SPLICEKIT_BENCH_RESULTS") - 1))
[ "$rows" -eq 7 ] && ok "7 figures recorded, the unmeasured one left out" || bad "$rows rows recorded, wanted 7"

out=$("$src/tools/bench/summary" 2>&1 | sed -E 's/[0-9]{4}-[0-9-]+T[0-9:.]+Z  .*/RUN/')
want='## demo  (seconds=5;smoke=0)
  run 1: RUN
  run 2: RUN

  throughput (Gbit/s)
  path     run 1  run 2  change  ratio
  kernel      10     10   +0.0%   1.00
  spliced      5      6  +20.0%   0.60

  connections (conn/s)
  path     run 1  run 2  change  ratio
  spliced   1000    900  -10.0%      -'
[ "$out" = "$want" ] && ok "summary compares the two comparable runs" ||
	bad "summary gave:$(printf '\n%s' "$out" | sed 's/^/# /')"

out=$("$src/tools/bench/summary" --smoke --bench demo 2>&1)
grep -q 'smoke=1' <<<"$out" && ok "--smoke shows smoke runs apart" || bad "--smoke: $out"

printf 'run\tbench\n' >"$tmp/bad.tsv"
out=$("$src/tools/bench/summary" "$tmp/bad.tsv" 2>&1)
[ $? -eq 1 ] && [[ $out == *"bad.tsv: not a results file"* ]] && ok "wrong header refused: $out" || bad "wrong header: $out"
{ head -1 "$SPLICEKIT_BENCH_RESULTS"; printf 'a\tb\tc\td\tdemo\ts\tp\tm\tfast\tu\t-\n'; } >"$tmp/bad2.tsv"
out=$("$src/tools/bench/summary" "$tmp/bad2.tsv" 2>&1)
[ $? -eq 1 ] && [[ $out == *"bad2.tsv:2: value 'fast' is not a number"* ]] && ok "bad value refused: $out" || bad "bad value: $out"

echo "1..$n"
[ $fails -eq 0 ]
