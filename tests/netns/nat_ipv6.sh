#!/usr/bin/env bash
# nat mode (or splice mode: argument "splice") over IPv6, two workers: 300
# curl connections to [VIP6]:80 all answered with the exact round-robin
# spread (100 each), and a 30 MB file byte-identical with offloads on
# (IPv6 super-packets segmented).
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl sha256sum
nb_init en
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
mkdir -p "$NB_DIR/www"
head -c $((30 * 1024 * 1024)) /dev/urandom >"$NB_DIR/www/big.bin"
want=$(sha256sum <"$NB_DIR/www/big.bin" | cut -d' ' -f1)
for i in 1 2 3; do en_nginx $i || en_fail "nginx $i"; done
# Per-worker counters come from the test harness (spliced prints totals).
EN_HARNESS=1
EN_FAMILY=6 EN_WORKERS=2 en_config "$NB_DIR/nat.conf"
mode=${1:-nat}
sed -i "s/mode nat/mode $mode/" "$NB_DIR/nat.conf"
en_dispatcher "$NB_DIR/nat.conf"

# -g (needed for the IPv6 literal) turns curl's URL globbing off: list
# the 300 URLs instead.
urls=()
for ((n = 1; n <= 300; n++)); do urls+=("http://[$NB_VIP6]/?n=$n"); done
out=$(nb_exec "$NB_CLI" curl -sS -g --max-time 60 --connect-timeout 3 \
	-H 'Connection: close' "${urls[@]}" 2>"$NB_DIR/curl.err")
[ $? -eq 0 ] || en_fail "curl: $(head -3 "$NB_DIR/curl.err")"
for i in 1 2 3; do
	n=$(grep -c "^srv$i\$" <<<"$out")
	[ "$n" -eq 100 ] || en_fail "srv$i answered $n of 300 (want 100)"
done
echo "300 requests over IPv6: spread 100/100/100"
nb_offloads on || en_fail "offloads on"
got=$(nb_exec "$NB_CLI" curl -sS -g --max-time 30 "http://[$NB_VIP6]/files/big.bin" |
	sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || en_fail "30 MB over IPv6: sha256 differs"
en_dispatcher_stop
echo "gso_packets=$(en_stat gso_packets) worker flows: $(en_stat worker0_flows)/$(en_stat worker1_flows)"
[ "$(en_stat worker0_flows)" -gt 0 ] && [ "$(en_stat worker1_flows)" -gt 0 ] ||
	en_fail "IPv6 steering used one worker only"
echo "PASS: IPv6 $mode, 300 requests spread 100/100/100, 30 MB sha256 with offloads on"
