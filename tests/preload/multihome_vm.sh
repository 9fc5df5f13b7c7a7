#!/usr/bin/env bash
# Multihoming under kernel SCTP (run in the guest by tests/vm/run): client
# and server namespaces joined by two veth paths; both programs are plain
# TCP programs under withsplice (--multihome, --peer, --failover-ms). The
# active path is taken down during a steady transfer; the association must
# carry on over the other path. Prints TAP and the measured outage.
set -uo pipefail

src=${SPLICEKIT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SPLICEKIT_BUILD:?SPLICEKIT_BUILD must name the build directory}
ws=$build/preload/withsplice
peer=$src/tests/preload/ws_mh_peer.py
failover=${WS_FAILOVER_MS:-1500}  # 0: kernel defaults, no tuning
id=$$
C=shc$id S=shs$id
T=$(mktemp -d /tmp/sh-mh.XXXXXX)
cleanup() {
  for ns in $C $S; do
    ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del $ns 2>/dev/null
  done
  rm -rf "$T"
}
trap cleanup EXIT

if ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()' 2>/dev/null; then
  echo "1..0 # SKIP kernel has no SCTP (run through tests/vm/run)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP needs root for namespaces"; exit 0; fi
echo "1..2"

ip netns add $C && ip netns add $S
ip -n $C link set lo up; ip -n $S link set lo up
for p in 1 2; do
  ip link add sh${id}a$p netns $C type veth peer name sh${id}b$p netns $S
  ip -n $C addr add 10.91.$p.1/24 dev sh${id}a$p
  ip -n $S addr add 10.91.$p.2/24 dev sh${id}b$p
  ip -n $C link set sh${id}a$p up; ip -n $S link set sh${id}b$p up
done

secs=8
tune=(--failover-ms "$failover"); [ "$failover" = 0 ] && tune=()
ip netns exec $S "$ws" --sctp --log info --log-file "$T/shim.log" "${tune[@]}" \
  --multihome 10.91.1.2,10.91.2.2 -- python3 "$peer" server 19100 $secs > "$T/srv" 2>&1 &
for _ in $(seq 100); do ip netns exec $S grep -q " 19100 " /proc/net/sctp/eps 2>/dev/null && break; sleep 0.1; done
ip netns exec $C "$ws" --sctp --log info --log-file "$T/shim.log" "${tune[@]}" \
  --multihome 10.91.1.1,10.91.2.1 --peer 10.91.1.2=10.91.2.2 -- \
  python3 "$peer" client 10.91.1.2 19100 $secs > "$T/cli" 2>&1 &
cpid=$!
for _ in $(seq 100); do grep -q connected "$T/cli" && break; sleep 0.1; done
sleep 1
assoc=$(ip netns exec $C cat /proc/net/sctp/assocs | grep " 19100 ")
if echo "$assoc" | grep -q "10.91.1.2" && echo "$assoc" | grep -q "10.91.2.2"; then
  echo "ok 1 - association has both peer addresses (/proc/net/sctp/assocs)"
else
  echo "not ok 1 - association has both peer addresses"; echo "# $assoc"; sed 's/^/# /' "$T/shim.log"
fi
rxb() { ip netns exec $S cat /sys/class/net/sh${id}b$1/statistics/rx_bytes; }
b1_before=$(rxb 1) b2_before=$(rxb 2)
# WS_DOWN=server takes the far end down instead: the client's own link
# stays up, so only retransmission timeouts and heartbeats find the failure.
# WS_DOWN=loss drops every packet on the client's path 1 with netem while
# both links stay up: the hardest case, found by timeouts alone.
case "${WS_DOWN:-client}" in
  server) ip -n $S link set sh${id}b1 down ;;
  loss) tc -n $C qdisc add dev sh${id}a1 root netem loss 100% ;;
  *) ip -n $C link set sh${id}a1 down ;;
esac
wait $cpid
b2_after=$(rxb 2)
for _ in $(seq 300); do grep -q received "$T/srv" && break; sleep 0.1; done
res=$(cat "$T/srv" "$T/cli" | tr '\n' ' ')
sent=$(sed -n 's/^sent \([0-9]*\) bytes/\1/p' "$T/cli")
got=$(sed -n 's/^received \([0-9]*\) bytes.*/\1/p' "$T/srv")
gap=$(sed -n 's/.*longest gap \([0-9.]*\) s/\1/p' "$T/srv")
# Path 1 carried the data before (primary), path 2 after the failure.
if [ -n "$sent" ] && [ "$sent" = "$got" ] && awk -v g="$gap" 'BEGIN {exit !(g < 3.0)}' &&
   [ "$b1_before" -gt 20000 ] && [ $((b2_after - b2_before)) -gt 20000 ]; then
  echo "ok 2 - transfer survived the active path going down; outage ${gap} s (--failover-ms $failover; path1 rx $b1_before B before, path2 rx $((b2_after - b2_before)) B after)"
else
  echo "not ok 2 - transfer across path loss: $res path1 before $b1_before, path2 $b2_before -> $b2_after"; sed 's/^/# /' "$T/shim.log"
fi
