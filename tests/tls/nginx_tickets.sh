#!/usr/bin/env bash
# Real peers: nginx with an ssl_session_ticket_key file, openssl s_client
# resuming through a socat relay that records both directions. The
# recorded ClientHello of the resumption must route (by the key file's
# key_name) to the backend that owns the key, for TLS 1.2 and TLS 1.3.
# Loopback only; everything lives in a temp dir removed on exit.
set -euo pipefail
check=${1:?usage: nginx_tickets.sh PATH/tls_stream_check}
for t in nginx socat openssl; do
  command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

tmp=$(mktemp -d /tmp/tl-nginx.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ngx=$(free_port)

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$tmp/k.pem" -out "$tmp/c.pem" -days 1 -subj /CN=tickets.example 2>/dev/null
openssl rand 80 > "$tmp/ticket.key"
mkdir -p "$tmp/logs"
cat > "$tmp/nginx.conf" <<CONF
daemon off;
master_process off;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $tmp/cb; proxy_temp_path $tmp/px;
  fastcgi_temp_path $tmp/fc; uwsgi_temp_path $tmp/uw; scgi_temp_path $tmp/sc;
  server {
    listen 127.0.0.1:$ngx ssl;
    ssl_certificate $tmp/c.pem;
    ssl_certificate_key $tmp/k.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets on;
    ssl_session_ticket_key $tmp/ticket.key;
    location / { return 200 "ok\n"; }
  }
}
CONF
nginx -p "$tmp" -c "$tmp/nginx.conf" &
pids+=($!)
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$ngx) 2>/dev/null && break
  sleep 0.1
done

# One connection through a recording relay: $1 tag, rest s_client args.
conn() {
  local tag=$1; shift
  local port; port=$(free_port)
  timeout 10 socat -r "$tmp/$tag.c2s" -R "$tmp/$tag.s2c" \
    TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr TCP:127.0.0.1:$ngx &
  local sp=$!
  sleep 0.3
  printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -connect 127.0.0.1:$port \
    -servername tickets.example -ign_eof "$@" > "$tmp/$tag.out" 2>&1 || true
  wait $sp || true
}

fail=0
expect() { # file key=value
  if ! grep -qx "$2" "$1"; then
    echo "FAIL: $1: want $2, got:"; cat "$1"; fail=1
  fi
}

for v in 1_2 1_3; do
  conn full$v -tls$v -sess_out "$tmp/sess$v.pem"
  conn resume$v -tls$v -sess_in "$tmp/sess$v.pem"
  grep -q "^Reused" "$tmp/resume$v.out" || { echo "FAIL: s_client did not resume (TLS $v)"; fail=1; }
  "$check" "$tmp/ticket.key" "$tmp/full$v.c2s" "$tmp/full$v.s2c" > "$tmp/full$v.chk" || fail=1
  "$check" "$tmp/ticket.key" "$tmp/resume$v.c2s" "$tmp/resume$v.s2c" > "$tmp/resume$v.chk" || fail=1
  for f in full$v resume$v; do
    expect "$tmp/$f.chk" "ch=done"
    expect "$tmp/$f.chk" "sni=tickets.example"
  done
  expect "$tmp/full$v.chk" "key=none:-1"
  expect "$tmp/full$v.chk" "resumed=0"
  expect "$tmp/resume$v.chk" "resumed=1"
  if [ $v = 1_2 ]; then
    # nginx's ticket, seen in clear, carries the key file's key_name.
    expect "$tmp/full$v.chk" "new_ticket_prefix_ok=1"
    expect "$tmp/full$v.chk" "srv=done"
    expect "$tmp/resume$v.chk" "key=ticket:1"
  else
    expect "$tmp/full$v.chk" "version=0304"
    expect "$tmp/resume$v.chk" "key=psk:1"
  fi
done
# curl (libcurl's own OpenSSL settings: ALPN h2 and http/1.1).
if command -v curl >/dev/null; then
  port=$(free_port)
  timeout 10 socat -r "$tmp/curl.c2s" -R "$tmp/curl.s2c" \
    TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr TCP:127.0.0.1:$ngx &
  sp=$!
  sleep 0.3
  curl -sk --max-time 5 --resolve tickets.example:$port:127.0.0.1 \
    "https://tickets.example:$port/" > "$tmp/curl.body" || true
  wait $sp || true
  grep -qx ok "$tmp/curl.body" || { echo "FAIL: curl got no answer"; fail=1; }
  "$check" "$tmp/ticket.key" "$tmp/curl.c2s" "$tmp/curl.s2c" > "$tmp/curl.chk" || fail=1
  expect "$tmp/curl.chk" "ch=done"
  expect "$tmp/curl.chk" "sni=tickets.example"
  expect "$tmp/curl.chk" "alpn=h2,http/1.1"
  expect "$tmp/curl.chk" "srv=done"
fi

for f in "$tmp"/*.chk; do echo "$(basename "$f" .chk): $(paste -sd' ' "$f")"; done
[ $fail -eq 0 ] && echo "nginx ticket routing: TLS 1.2 and 1.3 resumptions route to the key's backend"
exit $fail
