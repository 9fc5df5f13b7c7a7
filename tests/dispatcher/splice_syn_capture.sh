#!/usr/bin/env bash
# Captures real Linux SYNs (and the kernel's own SYN-ACKs) for the
# splice_syn golden table, as hex lines "label frame-hex" (raw IP, no link
# header):
#
#   sudo tests/dispatcher/splice_syn_capture.sh > syns.txt
#
# Two namespaces joined by a veth pair (offloads off). socat in the client
# namespace connects to socat in the server namespace twice, with the
# client's TCP sysctls (per namespace, so the root namespace is untouched)
# set so the SYNs carry option sets the existing golden frames lack:
#   v4-bare  IPv4, MTU 1280, no timestamps, no SACK, no window scaling
#   v6-ts    IPv6, MTU 9000, timestamps only
# tshark captures on the server's veth. The output is pasted into
# splice_syn_golden_gen.py's input (see that script).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, capture)" >&2; exit 77; }
for c in tshark socat ethtool python3; do
	command -v "$c" >/dev/null || { echo "SKIP: $c missing" >&2; exit 77; }
done
id=$$
A=ss${id}c B=ss${id}s VA=ss${id}a VB=ss${id}b
tmp=$(mktemp -d)
cleanup() {
	[ -n "${capid:-}" ] && kill "$capid" 2>/dev/null || true
	[ -n "${srvpid:-}" ] && kill "$srvpid" 2>/dev/null || true
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$A"
ip netns add "$B"
ip -n "$A" link add "$VA" type veth peer name "$VB" netns "$B"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" addr add 10.78.0.1/24 dev "$VA"
ip -n "$B" addr add 10.78.0.2/24 dev "$VB"
ip -n "$A" addr add fd00:78::1/64 dev "$VA" nodad
ip -n "$B" addr add fd00:78::2/64 dev "$VB" nodad
ip -n "$A" link set "$VA" up
ip -n "$B" link set "$VB" up
for ns in "$A:$VA" "$B:$VB"; do
	ip netns exec "${ns%%:*}" ethtool -K "${ns#*:}" tx off rx off gso off tso off gro off >/dev/null 2>&1 || true
done

ip netns exec "$B" timeout 20 socat TCP6-LISTEN:8443,fork,reuseaddr,ipv6only=0 SYSTEM:'cat' &
srvpid=$!
ip netns exec "$B" timeout 20 tshark -q -i "$VB" -w "$tmp/cap.pcap" -F pcap -f 'tcp port 8443' >/dev/null 2>&1 &
capid=$!
sleep 2

conn() { # sysctl values ts sack ws, mtu, target
	ip netns exec "$A" sysctl -qw net.ipv4.tcp_timestamps="$1" net.ipv4.tcp_sack="$2" \
		net.ipv4.tcp_window_scaling="$3"
	ip -n "$A" link set "$VA" mtu "$4"
	ip -n "$B" link set "$VB" mtu "$4"
	echo hi | ip netns exec "$A" timeout 5 socat - "$5" >/dev/null
}
conn 0 0 0 1280 TCP4:10.78.0.2:8443
conn 1 0 0 9000 'TCP6:[fd00:78::2]:8443'
sleep 1
kill "$capid"; wait "$capid" 2>/dev/null || true; capid=

# pcap (Ethernet) -> raw IP hex of each SYN and SYN-ACK
python3 - "$tmp/cap.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
off, n = 24, 0
labels = {0: 'v4-bare', 1: 'v6-ts'}
conn = -1
while off + 16 <= len(d):
    incl = struct.unpack_from('<I', d, off + 8)[0]
    f = d[off + 16:off + 16 + incl]
    off += 16 + incl
    ip = f[14:]
    if ip[0] >> 4 == 4:
        tcp = ip[(ip[0] & 15) * 4:]
    else:
        tcp = ip[40:]
    flags = tcp[13]
    if flags == 0x02:
        conn += 1
        print(labels.get(conn, 'x'), 'syn', ip.hex())
    elif flags == 0x12:
        print(labels.get(conn, 'x'), 'synack', ip.hex())
PY
