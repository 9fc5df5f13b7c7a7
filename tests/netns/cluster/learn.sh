#!/usr/bin/env bash
# Sessions learned on one instance reach the others through a real
# redis-server on the LAN (TCP across the veths), with N = 2 or 3
# instances, each in its own namespace:
#   1. steady: every instance publishes 400 sessions at 200/s; every
#      instance collects all the others' (p50/p99 learn latency printed);
#   2. outage: while they publish 600 more at 100/s, redis-server is killed
#      with -9 (once every probe has reached it) and started again empty 1.5 s later. Every publisher's
#      cl_session calls stay fast through it (at most 2 over 50 ms: workers
#      never wait), each counts the outage, and every instance still ends up
#      with all the others' sessions (republished after the restart).
# Usage: learn.sh N
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/cluster/lib.sh"
nb_require_root
nb_require redis-server
n=${1:?usage: learn.sh N}
probe=$SPLICEKIT_BUILD/tests/cluster/cl_probe
[ -x "$probe" ] || { echo "SKIP: $probe not built (no hiredis)" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

nb_init cll
cl_setup --instances "$n" --servers 1 --return snat || fail "testbed setup"
redis_ip=$CL_LAN_NET.250
ip -n "$CL_LAN" addr add "$redis_ip/24" dev "${NB_ID}br" || fail "redis address"
redis_up() {
	nb_bg "$CL_LAN" redis-server --bind "$redis_ip" --port 6379 --protected-mode no \
		--save '' --appendonly no --dir "$NB_DIR"
	REDIS_PID=$NB_LASTPID
	nb_wait_port "$CL_LAN" 6379 10 || fail "redis-server did not start"
}
redis_up

round=0

# joined LOG...: wait (up to 20 s) until each probe has reached Redis once.
joined() {
	local log t
	for log in "$@"; do
		for ((t = 0; t < 200; t++)); do
			grep -qs 'joined through redis' "$log" && break
			sleep 0.1
		done
		grep -qs 'joined through redis' "$log" || fail "a probe never reached redis ($log)"
	done
}

# run_round COUNT RATE [outage]: publishers and collectors on every instance.
run_round() {
	local count=$1 rate=$2 outage=${3:-} i pubs=() subs=() slogs=() plogs=()
	local pfx=r$((++round))
	for ((i = 1; i <= n; i++)); do
		nb_bg "${CL_DISP[i]}" env CL_PROBE_PREFIX="$pfx" "$probe" "$redis_ip:6379" "d$i" sub $((count * (n - 1))) 40
		subs+=("$NB_LASTPID") slogs+=("$NB_LASTLOG")
	done
	joined "${slogs[@]}"  # collectors subscribed before the first record
	for ((i = 1; i <= n; i++)); do
		nb_bg "${CL_DISP[i]}" env CL_PROBE_PREFIX="$pfx" "$probe" "$redis_ip:6379" "d$i" pub "$count" "$rate"
		pubs+=("$NB_LASTPID") plogs+=("$NB_LASTLOG")
	done
	if [ -n "$outage" ]; then
		joined "${plogs[@]}"
		sleep 1
		kill -9 "$REDIS_PID"
		wait "$REDIS_PID" 2>/dev/null
		echo "redis-server killed at $(date +%T.%N)"
		sleep 1.5
		redis_up
		echo "redis-server started again (empty) at $(date +%T.%N)"
	fi
	local bad=0
	for ((i = 0; i < n; i++)); do
		wait "${subs[i]}" || bad=1
		echo "instance $((i + 1)) collect: $(grep '^received' "${slogs[i]}")"
		grep 'cluster:' "${slogs[i]}" | sed "s/^/  instance $((i + 1)) collector: /"
	done
	for ((i = 0; i < n; i++)); do
		kill -TERM "${pubs[i]}"
		wait "${pubs[i]}"
		echo "instance $((i + 1)) publish: $(grep '^published' "${plogs[i]}")"
		grep 'cluster:' "${plogs[i]}" | sed "s/^/  instance $((i + 1)): /"
		# A worker that waited for Redis would be slow on every call of
		# the outage (~150 here); a loaded 2-core host deschedules a
		# thread now and then, which makes one or two slow calls.
		slow=$(sed -n 's/.*slow_calls \([0-9]*\).*/\1/p' "${plogs[i]}")
		[ "${slow:-999}" -le 2 ] || fail "${slow:-?} cl_session calls took over 50 ms"
		if [ -n "$outage" ]; then
			grep -q 'outages [1-9]' "${plogs[i]}" || fail "instance $((i + 1)) never saw the outage"
		fi
	done
	[ $bad = 0 ] || fail "an instance did not learn every other instance's sessions"
}

echo "== steady, $n instances"
run_round 400 200
echo "== redis killed and restarted, $n instances"
run_round 600 100 outage
echo "PASS: $n instances learn each other's sessions, also across a Redis restart"
