#!/usr/bin/env bash
# The shim's SCTP paths under a kernel that has SCTP. Run in the guest by
# tests/vm/run (meson suite vm), or directly on any host with kernel SCTP.
# Prints TAP. Every check proves SCTP was really used (SO_PROTOCOL from
# inside, /proc/net/sctp/assocs from outside) and compares payloads.
set -uo pipefail

src=${SPLICEKIT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SPLICEKIT_BUILD:?SPLICEKIT_BUILD must name the build directory}
ws=$build/preload/withsplice
peer=$src/tests/preload/ws_sctp_peer.py
T=$(mktemp -d /tmp/sh-sctp.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

if ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()' 2>/dev/null; then
  echo "1..0 # SKIP kernel has no SCTP (run through tests/vm/run)"
  exit 0
fi
echo "1..6"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; printf '#   %s\n' "$@"; }
wait_sctp_port() { for _ in $(seq 150); do grep -q " $1 " /proc/net/sctp/eps && return 0; sleep 0.1; done; return 1; }
wait_tcp_port() { for _ in $(seq 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
S="$ws --sctp --loopback --log info --log-file $T/shim.log --"

head -c 6000000 /dev/urandom > "$T/data"

# 1. write path and options, both ends under the shim.
$S python3 "$peer" server 19001 > "$T/srv1" 2>&1 & pids+=($!)
wait_sctp_port 19001
$S python3 "$peer" client 19001 "$T/data" > "$T/cli1" 2>&1 &
cpid=$!
sleep 1
assocs=$(grep -c ' 19001 ' /proc/net/sctp/assocs)
wait "$cpid"; rc=$?
if [ $rc -eq 0 ] && grep -q "client proto 132" "$T/cli1" && grep -q "server proto 132" "$T/srv1" &&
   grep -q "client sha256 ok" "$T/cli1"; then
  ok "6 MB over SCTP: large send, zero-length send, sendmsg, sendfile, TCP_CORK, TCP_INFO (assocs seen: $assocs)"
else
  not_ok "write path over SCTP" "$(cat "$T/cli1" "$T/srv1" "$T/shim.log")"
fi

# 2. python http.server and curl, both converted.
mkdir "$T/www" && cp "$T/data" "$T/www/blob"
(cd "$T/www" && exec $S python3 -m http.server 19002 --bind 127.0.0.1) > "$T/http.log" 2>&1 & pids+=($!)
wait_sctp_port 19002
$S curl -sS --max-time 60 -o "$T/got" http://127.0.0.1:19002/blob; rc=$?
if [ $rc -eq 0 ] && cmp -s "$T/data" "$T/got" &&
   grep -q "curl info: fd [0-9]* connected to 127.0.0.1:19002: sctp (SO_PROTOCOL=132)" "$T/shim.log"; then
  ok "python3 http.server (SOCK_CLOEXEC sockets) to curl over SCTP, byte-identical"
else
  not_ok "http.server to curl over SCTP" "curl rc=$rc" "$(tail -5 "$T/shim.log")"
fi

# 3. TCP-only server: the SCTP client falls back, works, logs it.
(cd "$T/www" && exec python3 -m http.server 19003 --bind 127.0.0.1) > /dev/null 2>&1 & pids+=($!)
wait_tcp_port 19003
$S curl -sS --max-time 60 -o "$T/got3" http://127.0.0.1:19003/blob; rc=$?
if [ $rc -eq 0 ] && cmp -s "$T/data" "$T/got3" &&
   grep -q "SCTP to 127.0.0.1:19003 failed (Connection refused); falling back to TCP" "$T/shim.log"; then
  ok "SCTP client against a TCP-only server falls back to TCP, logged"
else
  not_ok "fallback to TCP" "curl rc=$rc" "$(tail -5 "$T/shim.log")"
fi

# 4. --fallback none reports the refusal instead.
$ws --sctp --loopback --fallback none -- curl -sS --max-time 20 -o /dev/null http://127.0.0.1:19003/blob 2>/dev/null
rc=$?
if [ $rc -eq 7 ]; then
  ok "--fallback none: connect to a TCP-only server fails (curl exit 7)"
else
  not_ok "--fallback none" "curl rc=$rc"
fi

# 5, 6. Dual listening: one server, TCP and SCTP clients on the same port.
# python3 http.server waits in poll(); nginx in epoll.
dual_check() { # NAME PORT
  local tcp_rc sctp_rc
  curl -sS --max-time 60 -o "$T/d_tcp" "http://127.0.0.1:$2/blob"; tcp_rc=$?
  $S curl -sS --max-time 60 -o "$T/d_sctp" "http://127.0.0.1:$2/blob"; sctp_rc=$?
  if [ $tcp_rc -eq 0 ] && [ $sctp_rc -eq 0 ] && cmp -s "$T/data" "$T/d_tcp" && cmp -s "$T/data" "$T/d_sctp" &&
     grep -q "curl info: fd [0-9]* connected to 127.0.0.1:$2: sctp (SO_PROTOCOL=132)" "$T/shim.log" &&
     grep -q "listening on 127.0.0.1:$2 over tcp and sctp (dual" "$T/shim.log"; then
    ok "dual listening ($1): a TCP client and an SCTP client on port $2, both byte-identical"
  else
    not_ok "dual listening ($1)" "tcp rc=$tcp_rc sctp rc=$sctp_rc" "$(tail -5 "$T/shim.log")"
  fi
}
(cd "$T/www" && exec $ws --sctp --loopback --rule 'sctp listen dual' --log info --log-file "$T/shim.log" -- \
  python3 -m http.server 19004 --bind 127.0.0.1) > /dev/null 2>&1 & pids+=($!)
wait_sctp_port 19004; wait_tcp_port 19004
dual_check "python3 http.server, poll" 19004

mkdir -p "$T/ng" && chmod 755 "$T" "$T/ng" "$T/www"
cat > "$T/ng/nginx.conf" <<CONF
user root;
daemon off;
worker_processes 1;
error_log $T/ng/error.log warn;
pid $T/ng/nginx.pid;
events { worker_connections 64; }
http {
  access_log off; sendfile on; tcp_nopush on;
  client_body_temp_path $T/ng; proxy_temp_path $T/ng; fastcgi_temp_path $T/ng;
  uwsgi_temp_path $T/ng; scgi_temp_path $T/ng;
  server { listen 127.0.0.1:19005; root $T/www; }
}
CONF
$ws --sctp --loopback --rule 'sctp listen dual' --log info --log-file "$T/shim.log" -- \
  nginx -p "$T/ng" -c "$T/ng/nginx.conf" -e "$T/ng/error.log" > /dev/null 2>&1 & pids+=($!)
wait_sctp_port 19005; wait_tcp_port 19005
dual_check "nginx, epoll, sendfile + tcp_nopush" 19005
