#!/usr/bin/env bash
# nat mode bulk transfer: a 100 MB file from a real nginx backend through
# the VIP arrives byte-identical (sha256), with the testbed's offloads off
# and then on (TSO/GSO/GRO and checksum offload on every veth, so the
# dispatcher sees partial checksums and super-packets).
#   nat_bulk.sh [off|on|both]   (default both)
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl sha256sum ethtool
modes=${1:-both}
[ "$modes" = both ] && modes="off on"
nb_init en
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
mkdir -p "$NB_DIR/www"
head -c $((100 * 1024 * 1024)) /dev/urandom >"$NB_DIR/www/big.bin"
want=$(sha256sum <"$NB_DIR/www/big.bin" | cut -d' ' -f1)
for i in 1 2 3; do en_nginx $i || en_fail "nginx $i"; done
en_config "$NB_DIR/nat.conf"
en_dispatcher "$NB_DIR/nat.conf"

for mode in $modes; do
	nb_offloads "$mode" || en_fail "offloads $mode"
	start=$(date +%s.%N)
	got=$(nb_exec "$NB_CLI" curl -sS --max-time 60 --connect-timeout 3 \
		"http://$NB_VIP4/files/big.bin" 2>"$NB_DIR/curl.err" | sha256sum | cut -d' ' -f1)
	end=$(date +%s.%N)
	[ "$got" = "$want" ] || en_fail "offloads $mode: sha256 $got, want $want ($(head -2 "$NB_DIR/curl.err"))"
	echo "offloads $mode: 100 MB byte-identical in $(echo "$end - $start" | bc -l | cut -c1-5) s"
done
en_dispatcher_stop
echo "dispatcher: $(tr '\n' ' ' <"$NB_DIR/disp.stats")"
echo "PASS: 100 MB sha256 through nat mode (offloads: $modes)"
