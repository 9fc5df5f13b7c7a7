#!/usr/bin/env bash
# nginx, curl and wrk all under `withsplice --mptcp`, on loopback, proving
# the sockets really are MPTCP: `ss -M` lists the listener and the live wrk
# connections, and the shim's own log line carries getsockopt(SO_PROTOCOL)
# = 262 for the clients' connected sockets. Payloads are compared by hash.
# Needs no root; skips (77) when a tool or kernel MPTCP is missing.
set -euo pipefail

build=${SPLICEKIT_BUILD:?run through meson test}
ws=$build/preload/withsplice
for t in nginx curl wrk ss python3; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262).close()' 2>/dev/null ||
  { echo "SKIP: kernel has no MPTCP (net.mptcp.enabled=0?)"; exit 77; }

T=$(mktemp -d /tmp/sh-mptcp.XXXXXX)
chmod 755 "$T"
nginx_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

# A free port: ask the kernel, then hand it to nginx.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/www" "$T/tmp"
head -c 1048576 /dev/urandom > "$T/www/blob"
echo hello > "$T/www/index.html"
cat > "$T/nginx.conf" <<CONF
daemon off;
worker_processes 1;
error_log $T/error.log warn;
pid $T/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $T/tmp; proxy_temp_path $T/tmp; fastcgi_temp_path $T/tmp;
  uwsgi_temp_path $T/tmp; scgi_temp_path $T/tmp;
  server { listen 127.0.0.1:$port; root $T/www; }
}
CONF
[ "$(id -u)" -eq 0 ] && sed -i '1i user root;' "$T/nginx.conf"

log=$T/shim.log
"$ws" --mptcp --loopback --log info --log-file "$log" -- \
  nginx -p "$T" -c "$T/nginx.conf" -e "$T/error.log" &
nginx_pid=$!
# A readiness poll, generous: under load nginx under the shim can take
# seconds to start.
for _ in $(seq 300); do
  ss -Mlnt "sport = :$port" 2>/dev/null | grep -q ":$port" && break
  sleep 0.1
done
fail() { echo "FAIL: $*"; echo "--- shim log"; cat "$log" 2>/dev/null; echo "--- nginx"; cat "$T/error.log" 2>/dev/null; exit 1; }

ss -Mlnt "sport = :$port" | grep -q ":$port" || fail "nginx's listener is not an MPTCP socket (ss -M)"
grep -q "nginx info: fd [0-9]* listening on 127.0.0.1:$port over mptcp" "$log" ||
  fail "no listen conversion logged for nginx"

# curl: byte-identical 1 MiB through sendfile + tcp_nopush (TCP_CORK).
"$ws" --mptcp --loopback --log info --log-file "$log" -- \
  curl -sS --max-time 60 -o "$T/got" "http://127.0.0.1:$port/blob" || fail "curl failed"
cmp -s "$T/www/blob" "$T/got" || fail "curl payload differs"
grep -q "curl info: fd [0-9]* connect 127.0.0.1:$port: mptcp (SO_PROTOCOL=262)" "$log" ||
  fail "curl's socket was not MPTCP"
echo "ok curl: 1 MiB identical over MPTCP"

# wrk: 2 s of load; ss -M must see its connections established meanwhile.
# Polled while wrk runs (a fixed "sleep 1" missed them when wrk started
# slowly under load); --timeout 10s so a slow answer on a loaded machine
# is not a socket error.
"$ws" --mptcp --loopback --log info --log-file "$log" -- \
  timeout 60 wrk -t1 -c8 -d2s --timeout 10s "http://127.0.0.1:$port/index.html" > "$T/wrk.out" 2>&1 &
wrk_pid=$!
est=0
while kill -0 "$wrk_pid" 2>/dev/null; do
  est=$(ss -Mnt state established "dport = :$port" | grep -c ":$port" || true)
  [ "$est" -ge 1 ] && break
  sleep 0.05
done
wait "$wrk_pid" || fail "wrk failed: $(cat "$T/wrk.out")"
[ "$est" -ge 1 ] || fail "ss -M saw no established MPTCP connection from wrk"
reqs=$(awk '/requests in/ {print $1}' "$T/wrk.out")
[ "${reqs:-0}" -gt 0 ] || fail "wrk made no requests: $(cat "$T/wrk.out")"
grep -q "Non-2xx\|Socket errors" "$T/wrk.out" && fail "wrk saw errors: $(cat "$T/wrk.out")"
n=$(grep -c "wrk info: fd [0-9]* connect 127.0.0.1:$port: mptcp (SO_PROTOCOL=262)" "$log" || true)
[ "$n" -ge 8 ] || fail "only $n of wrk's 8 connections were MPTCP"
echo "ok wrk: $reqs requests, $est MPTCP connections seen by ss -M, $n logged"

# A converted socket inherited across exec is recognised by the new image
# (sshd and inetd-style servers hand connections on this way).
"$ws" --mptcp --loopback --log debug --log-file "$log" -- python3 -c "
import os, socket
s = socket.socket(); s.connect(('127.0.0.1', $port)); s.set_inheritable(True)
os.execvp('sh', ['sh', '-c', 'exec true', str(s.fileno())])" || fail "exec test failed"
grep -q "sh debug: fd [0-9]* inherited as mptcp" "$log" || fail "inherited MPTCP socket not recognised after exec"
echo "ok exec: inherited MPTCP socket recognised"
