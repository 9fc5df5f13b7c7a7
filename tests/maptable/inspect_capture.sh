#!/usr/bin/env bash
# Runs INSIDE a private network namespace (unshare -n): real openssl
# s_server / s_client handshakes on loopback, captured by dumpcap.
#   inspect_capture.sh WORKDIR   (WORKDIR holds cert.pem/key.pem; writes
#                                 cap.pcap and client logs)
# Scenarios: TLS 1.2 full + session-ID resumption, TLS 1.2 full + ticket
# resumption, TLS 1.3 full + PSK resumption, TLS 1.3 HelloRetryRequest,
# SNI and ALPN throughout, one connection over IPv6, and loopback MTU 1280 so hellos with a long
# ALPN list and every certificate span several TCP segments.
set -euo pipefail
w=$1
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

ip link set lo up
ip link set lo mtu 1280

# -a duration: a backstop so a stuck run can never leave dumpcap behind.
dumpcap -q -i lo -f 'tcp portrange 4433-4434' -P -a duration:60 \
  -w "$w/cap.pcap" 2>"$w/dumpcap.log" &
pids+=($!)
for _ in $(seq 50); do
  grep -q 'Capturing on' "$w/dumpcap.log" 2>/dev/null && break
  sleep 0.1
done
sleep 0.3

timeout 60 openssl s_server -quiet -accept 4433 -cert "$w/cert.pem" \
  -key "$w/key.pem" -alpn h2,http/1.1 -naccept 16 >/dev/null 2>"$w/srv1.log" &
pids+=($!)
# A server that only does P-384 makes a client whose first key share is
# X25519 go through a HelloRetryRequest.
timeout 60 openssl s_server -quiet -accept 4434 -cert "$w/cert.pem" \
  -key "$w/key.pem" -groups P-384 -naccept 2 >/dev/null 2>"$w/srv2.log" &
pids+=($!)
sleep 0.5

n=0
cl() {
  local port=$1; shift
  n=$((n + 1))
  local host=127.0.0.1
  if [ "$port" = 6 ]; then host='[::1]'; port=4433; fi
  # One retry: s_client has been seen to exit 1 after a complete, reused
  # handshake on a loaded machine. The comparison below does not care: both
  # tshark and inspect read the same capture, retry included.
  local try
  for try in 1 2; do
    echo Q | timeout 10 openssl s_client -connect $host:$port -ign_eof "$@" \
      >"$w/client$n.log" 2>&1 && return 0
    echo "client $n attempt $try failed: $*" >&2
  done
  cat "$w/client$n.log" >&2
  exit 1
}
long_alpn=$(for i in $(seq 8); do printf 'proto-%s-%0200d,' $i 0; done)h2

cl 4433 -tls1_2 -no_ticket -servername a.example -alpn http/1.1 -sess_out "$w/s1"
cl 4433 -tls1_2 -no_ticket -servername a.example -alpn http/1.1 -sess_in "$w/s1"
cl 4433 -tls1_2 -servername b.example -sess_out "$w/s2"
cl 4433 -tls1_2 -servername b.example -sess_in "$w/s2"
cl 4433 -tls1_3 -servername c.example -alpn h2 -sess_out "$w/s3"
cl 4433 -tls1_3 -servername c.example -alpn h2 -sess_in "$w/s3"
cl 4433 -tls1_3 -servername long.example -alpn "$long_alpn"
cl 4434 -tls1_3 -servername hrr.example -groups X25519:P-384
cl 6 -tls1_2 -servername v6.example   # port "6": the same server over ::1
sleep 0.5
