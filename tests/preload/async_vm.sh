#!/usr/bin/env bash
# The asynchronous fallback, in the VM (kernel SCTP): event-loop clients
# under withsplice --sctp connect to a TCP-only server whose SCTP side is
# refused (the kernel answers INIT with ABORT) or silent (an nft rule drops
# SCTP). A non-blocking connect() must return EINPROGRESS at once (the
# check: under half the 600 ms deadline, since TCG emulation makes every
# system call slow; the figures are printed beside plain TCP's) and the
# fallback complete in the program's own poll/epoll/select; curl (a poll
# loop) must fetch the same bytes. Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh
vm_init
vm_ws_find
nb=$VM_BUILD/tests/preload/ws_nbconnect
[ -x "$nb" ] || { echo "1..0 # SKIP $nb not built"; exit 0; }
tap_plan 7

T=$VM_TMP
vm_pair async
mkdir -p "$T/www"
head -c 2000000 /dev/urandom > "$T/www/blob"
sum=$(sha256sum < "$T/www/blob" | cut -d' ' -f1)
# A TCP-only server on two ports: 8081 refuses SCTP (no SCTP socket there,
# the kernel ABORTs), 8082 is silent (INIT dropped).
# Not our jobs (vm_unpair kills what runs in the namespaces).
for p in 8081 8082; do
  ( ip netns exec "$S" python3 -m http.server "$p" --bind 10.77.1.2 --directory "$T/www" \
    > /dev/null 2>&1 & )
done
ip netns exec "$S" nft -f - <<'NFT'
table inet wsasync {
  chain in { type filter hook input priority 0; sctp dport 8082 drop; }
}
NFT
vm_wait_port "$S" tcp 8081 && vm_wait_port "$S" tcp 8082

# nbcase MODE PORT WHAT: one ws_nbconnect run, checked.
nbcase() {
  local mode=$1 port=$2 what=$3 out us
  out=$(vm_ws "$C" "$T/ws-$mode-$port.log" --sctp --fallback-ms 600 -- \
        "$nb" "$mode" 10.77.1.2 "$port" /blob 2>&1)
  local rc=$?
  us=$(sed -n 's/.*connect_us=\([0-9]*\).*/\1/p' <<<"$out")
  note "$mode $what: $out"
  if [ $rc -eq 0 ] && grep -q "connect_errno=115 " <<<"$out" && grep -q "proto=6 " <<<"$out" &&
     [ -n "$us" ] && [ "$us" -lt 300000 ] &&
     grep -q "falling back to TCP" "$T/ws-$mode-$port.log"; then
    ok "$mode, SCTP $what: connect() returned EINPROGRESS in $us us, TCP fallback completed in the loop"
  else
    not_ok "$mode, SCTP $what" "rc=$rc $out $(tail -3 "$T/ws-$mode-$port.log")"
  fi
}
note "plain TCP, no shim: $(ip netns exec "$C" "$nb" poll 10.77.1.2 8081 /blob 2>&1)"
nbcase poll 8081 refused
nbcase poll 8082 silent
nbcase epoll 8082 silent
nbcase select 8082 silent
nbcase epoll 8081 refused

# The silent case must take the deadline (600 ms), not less: SCTP was
# really given its chance.
out=$(vm_ws "$C" "$T/ws-t.log" --sctp --fallback-ms 600 -- "$nb" poll 10.77.1.2 8082 /blob 2>&1)
ms=$(sed -n 's/.*total_ms=\([0-9]*\).*/\1/p' <<<"$out")
if [ -n "$ms" ] && [ "$ms" -ge 550 ]; then
  ok "silent SCTP: fallback after the 600 ms deadline (total $ms ms)"
else
  not_ok "silent SCTP deadline" "$out"
fi

# curl: non-blocking connect and poll; the whole body arrives over TCP.
for p in 8081 8082; do
  vm_ws "$C" "$T/ws-curl-$p.log" --sctp --fallback-ms 600 -- \
    curl -sS --max-time 30 -o "$T/got-$p" -w '%{time_connect} %{time_total}\n' \
    "http://10.77.1.2:$p/blob" > "$T/curl-$p.out" 2>&1
  note "curl port $p: time_connect time_total = $(cat "$T/curl-$p.out")"
done
if [ "$(sha256sum < "$T/got-8081" | cut -d' ' -f1)" = "$sum" ] &&
   [ "$(sha256sum < "$T/got-8082" | cut -d' ' -f1)" = "$sum" ] &&
   grep -q "falling back to TCP" "$T/ws-curl-8082.log"; then
  ok "curl over the fallback (refused and silent SCTP): 2 MB sha256 equal"
else
  not_ok "curl over the fallback" "$(cat "$T"/curl-*.out; tail -3 "$T"/ws-curl-*.log)"
fi
vm_unpair
tap_done
