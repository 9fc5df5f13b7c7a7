#!/usr/bin/env bash
# The withsplice wrapper's contract, run for real: argument and config
# errors name the problem (file:line for config), setuid targets are
# refused, LD_PRELOAD is appended to and never replaced, the policy reaches
# the program's environment, --help covers every flag, and --no-inherit
# keeps the shim out of programs the target executes. Prints TAP.
set -uo pipefail
build=${SPLICEKIT_BUILD:?run through meson test}
ws=$build/preload/withsplice
T=$(mktemp -d /tmp/sh-wrap.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; printf '#   %s\n' "$@"; }
# expect DESC RC PATTERN -- CMD...: CMD exits RC and its stderr matches PATTERN.
expect() {
  local desc=$1 rc=$2 pat=$3; shift 4
  local out got
  out=$("$@" 2>&1 >/dev/null); got=$?
  if [ "$got" -eq "$rc" ] && grep -qE -- "$pat" <<<"$out"; then ok "$desc"; else not_ok "$desc" "exit $got" "$out"; fi
}
echo "1..18"

expect "bad rule named with its position" 2 "--rule #2: unknown word: 'sideways'" -- \
  "$ws" --rule 'tcp port 80' --rule 'sctp sideways' -- true
expect "bad port range" 2 "port range upside down: '90-80'" -- "$ws" --rule 'mptcp port 90-80' -- true
printf 'default mptcp\n# comment\n\nmptcp listen port 80\nsctp addr 10.0.0.0/99\n' > "$T/bad.conf"
expect "config error carries file:line" 2 "$T/bad.conf:5: bad prefix length" -- "$ws" --config "$T/bad.conf" -- true
printf 'mptcp port 80\nfrobnicate yes\n' > "$T/bad2.conf"
expect "unknown config setting carries file:line" 2 "$T/bad2.conf:2: unknown setting 'frobnicate'" -- \
  "$ws" --config "$T/bad2.conf" -- true
expect "missing config file" 2 "cannot read config $T/none" -- "$ws" --config "$T/none" -- true
expect "bad transport in config" 2 "default transport 'udp'" -- \
  bash -c "printf 'default udp\n' > $T/c3 && exec $ws --config $T/c3 -- true"
expect "missing program" 127 "nonexistent-prog: command not found" -- "$ws" --tcp -- nonexistent-prog
cp /bin/true "$T/suid" && chmod u+s "$T/suid"
expect "setuid target refused" 126 "is setuid/setgid: the dynamic loader ignores LD_PRELOAD" -- "$ws" --mptcp -- "$T/suid"
expect "bad --log level" 2 "--log loud: want error, warn, info or debug" -- "$ws" --log loud -- true
expect "bad --multihome address named" 2 "--multihome: not an IPv4 or IPv6 address: '10.0.0.300'" -- \
  "$ws" --mptcp --multihome 10.0.0.1,10.0.0.300 -- true
expect "--peer group of one named" 2 "--peer: a peer group needs ADDR=ADDR\[,ADDR...\], not '10.0.0.9'" -- \
  "$ws" --mptcp --peer '10.0.0.1=10.0.0.2;10.0.0.9' -- true

# Environment handed to the program.
env_out=$(LD_PRELOAD=/lib/x86_64-linux-gnu/libdl.so.2 "$ws" --mptcp --rule 'tcp port 25' \
  --rule 'mptcp listen' --fallback-ms 500 --multihome 10.1.0.1 -- env)
if grep -qx "LD_PRELOAD=/lib/x86_64-linux-gnu/libdl.so.2 $build/preload/libwithsplice.so" <<<"$env_out" &&
   grep -qx "WITHSPLICE_DEFAULT=mptcp" <<<"$env_out" &&
   grep -qx "WITHSPLICE_RULES=tcp port 25;mptcp listen" <<<"$env_out" &&
   grep -qx "WITHSPLICE_FALLBACK_MS=500" <<<"$env_out" && grep -qx "WITHSPLICE_MULTIHOME=10.1.0.1" <<<"$env_out"; then
  ok "LD_PRELOAD appended, policy passed in the environment"
else
  not_ok "environment" "$(grep -E 'LD_PRELOAD|WITHSPLICE' <<<"$env_out")"
fi
lib_env=$(WITHSPLICE_LIB=$build/preload/libwithsplice.so "$ws" --tcp -- env | grep "^LD_PRELOAD=" | grep -o libwithsplice | wc -l)
if [ "$lib_env" -eq 1 ]; then ok "WITHSPLICE_LIB override used once"; else not_ok "WITHSPLICE_LIB" "$lib_env"; fi
expect "WITHSPLICE_LIB pointing nowhere" 1 "WITHSPLICE_LIB=$T/nolib.so" -- env WITHSPLICE_LIB="$T/nolib.so" "$ws" --tcp -- true

missing=()
help=$("$ws" --help)
for f in tcp sctp mptcp rule config multihome peer failover-ms fallback fallback-ms shutwr half-close loopback no-inherit log log-file help; do
  grep -q -- "--$f" <<<"$help" || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ] && grep -q "Examples:" <<<"$help"; then ok "--help documents every flag, with examples"; else not_ok "--help" "missing: ${missing[*]}"; fi

# --no-inherit: the program itself runs under the shim, what it executes does not.
# bash is the program (shim loaded); the env it executes is the child.
with=$("$ws" --mptcp -- bash -c 'exec env' | grep -c '^LD_PRELOAD=.*libwithsplice')
out=$("$ws" --mptcp --no-inherit -- bash -c 'grep -q libwithsplice /proc/$$/maps && echo LOADED; exec env')
without=$(grep -c '^LD_PRELOAD=.*libwithsplice' <<<"$out")
if [ "$with" -eq 1 ] && [ "$without" -eq 0 ] && grep -qx LOADED <<<"$out"; then
  ok "--no-inherit: the program has the shim, what it executes does not"
else
  not_ok "--no-inherit" "children with inherit: $with, without: $without"
fi

# Log lines go to the program's stderr, but never into a file or a socket
# it has since put on fd 2 (daemons do; a line there corrupts a protocol).
# The program listens on loopback after the dup2, which logs at info.
logprog='
import os, socket, sys
if sys.argv[1] == "file":
    os.dup2(os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
elif sys.argv[1] == "socket":
    a, b = socket.socketpair()
    os.dup2(a.fileno(), 2)
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen()
if sys.argv[1] == "socket":
    b.setblocking(False)
    try:
        print("socket got", b.recv(4096))
    except BlockingIOError:
        print("socket clean")
'
plain=$("$ws" --mptcp --loopback --log info -- python3 -c "$logprog" none 2>&1 >/dev/null | grep -c 'python3 info:')
"$ws" --mptcp --loopback --log info -- python3 -c "$logprog" file "$T/fd2" 2>/dev/null
infile=$(grep -c withsplice "$T/fd2")
if [ "$plain" -ge 1 ] && [ "$infile" -eq 0 ]; then ok "log lines go to stderr, not to a file dup'ed onto fd 2"
else not_ok "log and a file on fd 2" "lines on plain stderr: $plain, in the program's file: $infile"; fi
sock=$("$ws" --mptcp --loopback --log info -- python3 -c "$logprog" socket 2>/dev/null)
if [ "$sock" = "socket clean" ]; then ok "no log line into a socket dup'ed onto fd 2"
else not_ok "log and a socket on fd 2" "$sock"; fi
