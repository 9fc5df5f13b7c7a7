#!/usr/bin/env bash
# spliced's life cycle as systemd sees it, with real peers for both ends of
# the protocol: a datagram socket in NOTIFY_SOCKET collects sd_notify
# messages (READY=1 with a STATUS=, STOPPING=1), and stderr is a file named
# in JOURNAL_STREAM, so log lines must carry journald's <N> priorities.
# Every signal an operator or the kernel may send is sent: spliced stays up
# and answers splicectl after each, logs the ones it handles, and stops
# cleanly (exit 0, control socket removed) on SIGQUIT. An admin state and a
# weight set through splicectl are in the state file and back after a
# restart.
set -uo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (netns, AF_PACKET)"; exit 77; }
b=${SPLICEKIT_BUILD:?}
ns=opsd$$
tmp=$(mktemp -d /tmp/ops-life.XXXXXX)
pid= lpid=
cleanup()
{
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; sed 's/^/  log: /' "$tmp/err" 2>/dev/null | tail -20; exit 1; }

ip netns add "$ns" && ip -n "$ns" link set lo up || fail "netns"
cat >"$tmp/s.conf" <<CONF
control-socket $tmp/s.sock
state-file $tmp/state
service web {
	vip 10.0.0.100:80
	client-interface lo
	io packet
	backend 10.0.0.2:80
}
CONF

python3 - "$tmp/notify.sock" "$tmp/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
lpid=$!
for ((t = 0; t < 50; t++)); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done
: >"$tmp/err"
js=$(stat -c '%d:%i' "$tmp/err")
NOTIFY_SOCKET=$tmp/notify.sock JOURNAL_STREAM=$js WATCHDOG_USEC=400000 \
	ip netns exec "$ns" "$b/dispatcher/spliced" -c "$tmp/s.conf" >"$tmp/out" 2>>"$tmp/err" &
pid=$!
for ((t = 0; t < 50; t++)); do
	grep -q '^READY=1' "$tmp/notify.log" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || fail "spliced exited at start"
	sleep 0.1
done
ready=$(grep '^READY=1' "$tmp/notify.log") || fail "no READY=1 (got: $(cat "$tmp/notify.log"))"
[[ $ready == *"|STATUS=forwarding: 1 service, 1 worker"* ]] || fail "READY without status: $ready"
echo "notify: $ready"
grep -q '^<6>info: forwarding: ' "$tmp/err" || fail "info line without <6> prefix"
grep -qE '^[0-9]{4}-' "$tmp/err" && fail "timestamped lines under journald"
echo "journal: $(grep -m1 '^<6>' "$tmp/err")"

alive()
{
	kill -0 "$pid" 2>/dev/null || fail "spliced died on $1"
	"$b/tools/splicectl" -s "$tmp/s.sock" show stats >/dev/null || fail "no control socket after $1"
}
for s in USR1 USR2 HUP PIPE ALRM VTALRM PROF IO XFSZ TTIN TTOU TSTP PWR STKFLT RTMIN RTMIN+5 RTMAX; do
	kill -s "$s" "$pid" || fail "kill -$s"
	sleep 0.2
	alive "SIG$s"
done
echo "alive and answering after SIGUSR1, USR2, HUP, PIPE, ALRM, VTALRM, PROF, IO, XFSZ, TTIN, TTOU, TSTP, PWR, STKFLT, RTMIN, RTMIN+5, RTMAX"
grep -q '^<5>notice: SIGUSR1: forwarding: 1 service' "$tmp/err" || fail "SIGUSR1 logged no status line"
grep -q '^<5>notice: SIGUSR2: ' "$tmp/err" || fail "SIGUSR2 not logged"
grep -q '^<5>notice: SIGHUP: ' "$tmp/err" || fail "SIGHUP not logged"
# WatchdogSec=0.4s: WATCHDOG=1 about every 100 ms while the worker turns.
n=$(grep -c '^WATCHDOG=1' "$tmp/notify.log")
[ "$n" -ge 10 ] || fail "only $n WATCHDOG=1 in about 4 s with a 400 ms watchdog"
echo "watchdog: $n WATCHDOG=1 messages"
# HUP and USR2 reload the (unchanged) file: RELOADING=1, then READY=1.
grep -q '^<5>notice: no change' "$tmp/err" || fail "SIGHUP did not reload"
grep -A1 '^RELOADING=1' "$tmp/notify.log" | grep -q '^READY=1' ||
	fail "no RELOADING=1 then READY=1 around the reload: $(cat "$tmp/notify.log")"

ctl=("$b/tools/splicectl" -s "$tmp/s.sock")
"${ctl[@]}" backend web/10.0.0.2:80 drain >/dev/null || fail "backend drain"
"${ctl[@]}" set weight web/10.0.0.2:80 5 >/dev/null || fail "set weight"
grep -qx 'backend web 10.0.0.2:80 admin DRAIN weight 5' "$tmp/state" ||
	fail "state file after the change: $(cat "$tmp/state" 2>&1)"

kill -QUIT "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] || fail "SIGQUIT: exit $rc"
[ ! -e "$tmp/s.sock" ] || fail "control socket left behind"
grep -q '^<6>info: SIGQUIT: stopping' "$tmp/err" || fail "stop not logged"
grep -q '^STOPPING=1' "$tmp/notify.log" || fail "no STOPPING=1"
# The restart: the state file puts the admin state and weight back.
ip netns exec "$ns" "$b/dispatcher/spliced" -c "$tmp/s.conf" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for ((t = 0; t < 50; t++)); do
	"${ctl[@]}" show backends --json >"$tmp/be.json" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || fail "restart failed"
	sleep 0.1
done
grep -q '"address":"10.0.0.2:80","state":"DRAIN","admin":"DRAIN",.*"weight":5' "$tmp/be.json" ||
	fail "after restart: $(cat "$tmp/be.json")"
grep -q 'state-file .*: 1 backends restored' "$tmp/err" || fail "restore not logged"
echo "restart: backend DRAIN with weight 5 restored from the state file"
kill -TERM "$pid"; wait "$pid"; pid=
echo "PASS: READY/STATUS/STOPPING sent, <N> priorities, every signal handled or ignored, clean stop"
