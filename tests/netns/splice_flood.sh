#!/usr/bin/env bash
# SYN flood against splice mode: tests/netns/synflood sends 10^5 spoofed
# SYNs to the VIP at 20,000/s (5 s, bounded) from random sources in
# 10.9.0.0/16, a network the dispatcher routes via the client namespace (as
# a flood arriving across a router: the SYN-ACKs go to one neighbour, which
# drops them; spoofing on-link sources would instead test the dispatcher
# kernel's ARP table, which overflows and evicts the real client), while a real client makes TLS connections
# through the VIP with openssl s_client and curl. Every real connection
# must succeed; afterwards `splicectl show stats` must show that spliced
# answered SYNs with stateless cookies (the half-open table filled up), and
# its memory (VmRSS) must not have grown by more than FLOOD_RSS_KB.
#
# The bound (16 MB by default): spliced allocates its flow tables and the
# half-open table when it starts, so a flood may only fault in pages of
# memory that is already reserved; the half-open table is the largest part
# a flood touches (capacity x ~64-byte entries; 4 MB for 2^16 entries).
# A spoofed SYN never completes a handshake, so it must never get a flow
# or a buffer: had each of the 10^5 SYNs cost even 170 bytes, RSS would grow
# by more than 16 MB and the test fails.
#   splice_flood.sh [COUNT [RATE]]
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/tls_lib.sh"
nb_require_root
nb_require nginx openssl curl ethtool
COUNT=${1:-100000}
RATE=${2:-20000}
FLOOD_RSS_KB=${FLOOD_RSS_KB:-16384}
flood=$SPLICEKIT_BUILD/tests/netns/sk_synflood
[ -x "$flood" ] || en_fail "$flood not built"

nb_init sf
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads off "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
tl_pki || en_fail "certificates"
for i in 1 2 3; do tl_nginx $i || en_fail "nginx $i"; done
ip -n "$NB_DISP" route add 10.9.0.0/16 via "$NB_CLI_IP4" || en_fail "route for the spoofed net"
tl_config "$NB_DIR/flood.conf" splice
en_dispatcher "$NB_DIR/flood.conf"
stat() { tl_ctl show stats 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
rss() { awk '/VmRSS/ { print $2 }' "/proc/$EN_DISP_PID/status"; }

# Warm up (first connections fault in code and the first table pages).
for i in 1 2 3; do [[ $(tl_get -tls1_3) == New\ srv* ]] || en_fail "before the flood: no answer"; done
rss0=$(rss)
echo "before: VmRSS ${rss0} kB"

nb_bg "$NB_CLI" timeout 60 "$flood" "$NB_VIP4" "$TL_PORT" 10.9.0.0/16 "$COUNT" "$RATE"
FLOOD_PID=$NB_LASTPID FLOOD_LOG=$NB_LASTLOG
sleep 0.5
ok=0 tries=0 rssmax=$rss0
while kill -0 "$FLOOD_PID" 2>/dev/null && [ $tries -lt 200 ]; do
	tries=$((tries + 1))
	if [ $((tries % 2)) = 1 ]; then
		r=$(tl_get -tls1_2)
		[[ $r == New\ srv* ]] && ok=$((ok + 1)) || echo "  s_client during the flood: '${r:-no answer}'"
	else
		r=$(nb_exec "$NB_CLI" curl -sS --max-time 5 --cacert "$TL_PKI/ca.crt" \
			--resolve "$TL_SNI:$TL_PORT:$NB_VIP4" "https://$TL_SNI:$TL_PORT/" 2>&1)
		[[ $r == srv* ]] && ok=$((ok + 1)) || echo "  curl during the flood: '$r'"
	fi
	r=$(rss) && [ "${r:-0}" -gt "$rssmax" ] && rssmax=$r
done
wait "$FLOOD_PID"
frc=$?
cat "$FLOOD_LOG"
[ $frc -eq 0 ] || en_fail "synflood failed (exit $frc)"
echo "real clients during the flood: $ok of $tries connected and were served"
[ $tries -ge 3 ] || en_fail "the flood ended before 3 real connections were tried"
[ $ok -eq $tries ] || en_fail "$((tries - ok)) of $tries real connections failed during the flood"
r=$(tl_get -tls1_3)
[[ $r == New\ srv* ]] || en_fail "after the flood: '${r:-no answer}'"

tl_ctl show stats | grep '^splice_\|^flows_\|^refused' | sed 's/^/  /'
synacks=$(stat splice_synacks) cookies=$(stat splice_cookies) flows=$(stat flows_created)
rss1=$(rss)
echo "after: VmRSS ${rss1} kB (max seen ${rssmax} kB, bound +${FLOOD_RSS_KB} kB)"
[ "${synacks:-0}" -ge $((COUNT / 2)) ] || en_fail "splice_synacks = ${synacks:-none}: spliced answered under half the flood"
[ "${cookies:-0}" -gt 0 ] || en_fail "splice_cookies = ${cookies:-none}: the flood never switched spliced to stateless cookies"
[ "${flows:-0}" -lt 1000 ] || en_fail "flows_created = $flows: spoofed SYNs got flows"
[ $((rssmax - rss0)) -le "$FLOOD_RSS_KB" ] ||
	en_fail "VmRSS grew by $((rssmax - rss0)) kB during the flood (bound $FLOOD_RSS_KB kB)"
en_dispatcher_stop
echo "PASS: splice_flood ($COUNT SYNs, $cookies cookies, $ok/$tries real clients served, RSS +$((rssmax - rss0)) kB)"
