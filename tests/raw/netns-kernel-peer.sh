#!/usr/bin/env bash
# netns test: tests/raw/kernel_peer.c against a real Linux TCP stack, over
# IPv4 and IPv6. Two namespaces joined by a veth pair; the server side runs
# a small python echo server (uppercases what it reads) with rx/tx checksum
# offload off, so its kernel checks our checksums in software. The client's
# address is fake (not configured anywhere): the server reaches it through
# a static neighbour entry, and the client kernel drops the replies as
# not-for-me, so only kernel_peer's AF_PACKET socket answers.
#   netns-kernel-peer.sh PATH/TO/kernel_peer
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for namespaces and AF_PACKET"; exit 77; }
for c in ip ethtool python3; do
	command -v "$c" >/dev/null || { echo "SKIP: $c missing"; exit 77; }
done
peer=$1
id=rp$(printf '%x' $$)
C=$id-c S=$id-s VC=${id}c VS=${id}s
cleanup() {
	ip netns pids "$S" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$C" 2>/dev/null || true
	ip netns del "$S" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ip netns add "$C"
ip netns add "$S"
ip -n "$C" link add "$VC" type veth peer name "$VS" netns "$S"
for ns in "$C" "$S"; do ip -n "$ns" link set lo up; done
ip -n "$C" link set "$VC" up
ip -n "$S" link set "$VS" up
ip netns exec "$C" ethtool -K "$VC" tx off rx off tso off gso off gro off >/dev/null
ip netns exec "$S" ethtool -K "$VS" tx off rx off tso off gso off gro off >/dev/null
ip netns exec "$C" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
ip -n "$C" addr add 10.79.0.1/24 dev "$VC"
ip -n "$S" addr add 10.79.0.2/24 dev "$VS"
ip -n "$C" addr add fd00:79::1/64 dev "$VC" nodad
ip -n "$S" addr add fd00:79::2/64 dev "$VS" nodad
cmac=$(ip -n "$C" -br link show "$VC" | awk '{print $3}')
smac=$(ip -n "$S" -br link show "$VS" | awk '{print $3}')
ip -n "$S" neigh add 10.79.0.100 lladdr "$cmac" dev "$VS" nud permanent
ip -n "$S" neigh add fd00:79::100 lladdr "$cmac" dev "$VS" nud permanent

ip netns exec "$S" timeout 30 python3 -c '
import socket, threading
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 7007)); s.listen(8)
def serve(c):
    c.settimeout(10)
    try:
        d = c.recv(100)
        if d: c.sendall(d.upper())
        c.recv(100)
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
' &
for _ in $(seq 50); do
	ip netns exec "$S" ss -Hltn 'sport = :7007' | grep -q . && break
	sleep 0.1
done

ip netns exec "$C" timeout 20 "$peer" "$VC" "$smac" 4 10.79.0.100 10.79.0.2 7007
ip netns exec "$C" timeout 20 "$peer" "$VC" "$smac" 6 fd00:79::100 fd00:79::2 7007
echo "PASS: IPv4 and IPv6 segments built and rewritten by raw/ accepted by the kernel"
