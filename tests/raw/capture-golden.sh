#!/usr/bin/env bash
# Regenerates tests/raw/golden_pkts.h from real kernel TCP traffic.
#
#   sudo tests/raw/capture-golden.sh            (run from the source root)
#
# Two network namespaces joined by a veth pair (offloads off, so captured
# checksums are the ones on the wire). curl in the client namespace
# fetches a small file over IPv4 and IPv6 from
# python3's http.server; a larger fetch runs while nftables (inside the
# client namespace only) drops a share of the server's segments, so the
# client sends SACK blocks. tshark captures on the client's veth; the
# expected fields in the table are tshark's dissection of the same frames.
# This kernel has no 8021q module, so the VLAN cases are the IPv4 frames
# with an 802.1Q tag (VID 10) inserted by golden_gen.py and dissected by
# tshark again from a second pcap.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "needs root (namespaces, capture)"; exit 77; }
src=$(cd "$(dirname "$0")/../.." && pwd)
id=$$
A=rp${id}c B=rp${id}s VA=rp${id}a VB=rp${id}b
tmp=$(mktemp -d)
cleanup() {
	[ -n "${srvpid:-}" ] && kill "$srvpid" 2>/dev/null || true
	[ -n "${capid:-}" ] && kill "$capid" 2>/dev/null || true
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$A"
ip netns add "$B"
ip -n "$A" link add "$VA" type veth peer name "$VB" netns "$B"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set "$VA" up
ip -n "$B" link set "$VB" up
ip netns exec "$A" ethtool -K "$VA" tx off rx off tso off gso off gro off >/dev/null
ip netns exec "$B" ethtool -K "$VB" tx off rx off tso off gso off gro off >/dev/null
ip -n "$A" addr add 10.77.0.1/24 dev "$VA"
ip -n "$B" addr add 10.77.0.2/24 dev "$VB"
ip -n "$A" addr add fd00:77::1/64 dev "$VA" nodad
ip -n "$B" addr add fd00:77::2/64 dev "$VB" nodad

mkdir "$tmp/www"
printf 'splicekit golden packet body\n' > "$tmp/www/small"
head -c 300000 /dev/zero | tr '\0' 'x' > "$tmp/www/big"
(cd "$tmp/www" && exec ip netns exec "$B" timeout 60 python3 -m http.server \
	--bind :: 8080 >/dev/null 2>&1) &
srvpid=$!
ip netns exec "$A" timeout 60 tshark -q -i "$VA" -w "$tmp/cap.pcap" -F pcap \
	-f tcp >/dev/null 2>&1 &
capid=$!
sleep 2
c() { ip netns exec "$A" curl -s --max-time 10 -o /dev/null "$@"; }
c http://10.77.0.2:8080/small
c 'http://[fd00:77::2]:8080/small'
# Drop at the client's prerouting: segments arrive one per frame there
# (GRO off), and the capture tap has already seen them, so the trace shows
# the hole and the SACK that reports it.
ip netns exec "$A" nft -f - <<'NFT'
table inet rploss {
	chain in {
		type filter hook prerouting priority 0;
		tcp sport 8080 meta length > 1000 numgen random mod 8 == 0 counter drop
	}
}
NFT
c --limit-rate 2M http://10.77.0.2:8080/big
c --limit-rate 2M 'http://[fd00:77::2]:8080/big'
sleep 1
[ -n "${KEEP_PCAP:-}" ] && ip netns exec "$A" nft list ruleset
kill "$capid"; wait "$capid" 2>/dev/null || true
capid=
[ -n "${KEEP_PCAP:-}" ] && cp "$tmp/cap.pcap" "$KEEP_PCAP"
python3 "$src/tests/raw/golden_gen.py" "$tmp/cap.pcap" > "$src/tests/raw/golden_pkts.h"
echo "wrote tests/raw/golden_pkts.h"
