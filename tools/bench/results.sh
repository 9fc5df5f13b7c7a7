# shellcheck shell=bash
# tools/bench/results.sh: every benchmark appends its figures to one
# tab-separated file, so runs can be compared later (tools/bench/summary).
#
#   br_open BENCH SETTING...   start a run of BENCH; each SETTING is
#                              key=value, and only runs with the same
#                              settings are compared (smoke=1 included)
#   br_put PATH METRIC VALUE UNIT [RATIO]
#                              one figure: PATH (what was measured: kernel,
#                              haproxy, spliced-afp...), METRIC (gbps,
#                              conn_s...), and its ratio to the run's
#                              baseline if the bench computes one; a VALUE
#                              of "-" or "" (not measured) is left out
#
# The file is $SPLICEKIT_BENCH_RESULTS, by default bench-results.tsv at the
# top of the checkout (ignored by git); "off" records nothing. Columns:
#   run commit host kernel bench settings path metric value unit ratio
# run is the run's start (UTC, ISO 8601), commit `git describe --dirty`.

BR_FILE=
BR_ROW=

br_open()
{
	local bench=$1 src settings commit
	shift
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	BR_FILE=${SPLICEKIT_BENCH_RESULTS:-$src/bench-results.tsv}
	[ "$BR_FILE" = off ] && { BR_FILE=; return 0; }
	settings=$(IFS=';'; echo "$*")
	commit=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
	BR_ROW=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)$'\t'$commit$'\t'$(hostname)$'\t'$(uname -r)$'\t'$bench$'\t'$settings
	if [ ! -s "$BR_FILE" ]; then
		printf 'run\tcommit\thost\tkernel\tbench\tsettings\tpath\tmetric\tvalue\tunit\tratio\n' >"$BR_FILE" ||
			{ echo "results: cannot write $BR_FILE; not recording" >&2; BR_FILE=; }
	fi
}

br_put()
{
	[ -n "$BR_FILE" ] || return 0
	case ${3:-} in "" | -) return 0 ;; esac
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$BR_ROW" "$1" "$2" "$3" "$4" "${5:--}" >>"$BR_FILE"
}
