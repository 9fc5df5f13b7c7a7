#!/usr/bin/env bash
# Regenerates the golden TLS byte files in this directory (run by hand, not
# by the tests; the files are committed). Loopback only.
#
#   ch12.bin   openssl s_client -tls1_2 -servername golden.example
#              -alpn h2,http/1.1 -no_ticket   (ClientHello as sent)
#   ch13.bin   openssl s_client -tls1_3 -servername golden.example
#              -alpn h2,http/1.1 -groups X25519   (ClientHello as sent)
#   sh12.bin   openssl s_server -tls1_2 (P-256 cert) answering ch12.bin:
#              ServerHello, Certificate, ServerKeyExchange, ServerHelloDone
#   sh13.bin   openssl s_server -tls1_3 answering ch13.bin: ServerHello,
#              CCS, then encrypted records (first 600 bytes kept)
#   Expected fields are in ../test_tls_golden.c; after regenerating, update
#   them from `tshark -r` of a capture or `openssl s_client -msg`.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=$((20000 + RANDOM % 20000))

capture_hello() { # out, s_client args...
  local out=$1; shift
  socat -u TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr OPEN:"$tmp/raw",creat,trunc &
  sleep 0.3
  timeout 2 openssl s_client -connect 127.0.0.1:$port "$@" </dev/null >/dev/null 2>&1 || true
  wait || true
  # Keep the first handshake record(s): s_client sends nothing else yet.
  cp "$tmp/raw" "$out"
}

answer() { # in, out, s_server args...
  local in=$1 out=$2; shift 2
  openssl s_server -accept 127.0.0.1:$port -cert "$tmp/c.pem" -key "$tmp/k.pem" \
    -naccept 1 -quiet "$@" >/dev/null 2>&1 &
  sleep 0.5
  (cat "$in"; sleep 1) | timeout 3 socat -t 1 - TCP:127.0.0.1:$port > "$tmp/out" || true
  wait || true
  head -c "${KEEP:-4096}" "$tmp/out" > "$out"
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$tmp/k.pem" -out "$tmp/c.pem" -days 1 -subj /CN=golden.example 2>/dev/null

capture_hello ch12.bin -tls1_2 -servername golden.example -alpn h2,http/1.1 -no_ticket
capture_hello ch13.bin -tls1_3 -servername golden.example -alpn h2,http/1.1 -groups X25519
answer ch12.bin sh12.bin -tls1_2
KEEP=600 answer ch13.bin sh13.bin -tls1_3
ls -l ./*.bin
