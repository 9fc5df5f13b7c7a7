#!/usr/bin/env bash
# splice mode when backends fail before health checks notice (none are
# configured here): backend 2's nginx is stopped, so its kernel answers our
# SYN with an RST; backend 3 silently drops everything (nftables), so our
# SYN goes unanswered. spliced has already answered the client's handshake
# and holds its request: every one of 12 requests must still be served,
# by backend 1, after an RST moved it on at once or after SYN retries
# moved it on. Passive health (passive-hold 30) must then hold each dead
# backend DOWN after its first failure, so within the hold no request pays
# for it again: one skip and one silent attempt each, shown in show stats
# and show backends. Then with every backend gone the client must get a
# clean RST, not hang.
#
# Needs root (namespaces, raw sockets); exits 77 (skip) otherwise.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl nft ethtool

nb_init sx
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads off "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
for i in 1 2 3; do en_nginx $i || en_fail "nginx $i"; done
en_config "$NB_DIR/splice.conf"
sed -i 's/mode nat/mode splice\npassive-hold 30/' "$NB_DIR/splice.conf"
en_dispatcher "$NB_DIR/splice.conf"
stat() { nb_exec "$NB_DISP" "$SPLICEKIT_BUILD/tools/splicectl" -s "$NB_DIR/spliced.sock" \
	show stats | awk -v k="$1" '$1 == k { print $2 }'; }

kill "$EN_NGINX2_PID"
nb_exec "${NB_SRV[3]}" nft add table inet dead &&
	nb_exec "${NB_SRV[3]}" nft add chain inet dead in '{ type filter hook input priority 0; policy drop; }' ||
	en_fail "nft"
sleep 0.3

start=$(date +%s%N)
out=$(nb_exec "$NB_CLI" curl -sS --max-time 60 --connect-timeout 3 \
	-H 'Connection: close' "http://$NB_VIP4/?n=[1-12]" 2>"$NB_DIR/curl.err")
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 0 ] || en_fail "curl exit $rc: $(head -3 "$NB_DIR/curl.err")"
n=$(grep -c '^srv1$' <<<"$out")
[ "$n" -eq 12 ] || en_fail "$n of 12 requests served by the live backend"
refused=$(stat splice_be_refused) retries=$(stat splice_be_retries) pdown=$(stat be_passive_down)
echo "12 of 12 served by srv1 in $ms ms; backends skipped: $refused, SYN retries: $retries, held down: $pdown"
# Without passive health round-robin sent 4 requests to each dead backend
# (8 skips, 8 SYN retries, 20 s). With it each fails once and is then held
# DOWN for the 30 s hold: srv2 skipped once, srv3 costs one silent attempt
# (2 SYN retries), and no further attempt reaches either.
[ "${pdown:-0}" -eq 2 ] || en_fail "be_passive_down=$pdown, want 2 (srv2 and srv3 held once each)"
[ "${refused:-0}" -eq 2 ] || en_fail "splice_be_refused=$refused, want 2 (one failure per dead backend within the hold)"
[ "${retries:-0}" -eq 2 ] || en_fail "splice_be_retries=$retries, want 2 (a single silent attempt on srv3)"
backends=$(nb_exec "$NB_DISP" "$SPLICEKIT_BUILD/tools/splicectl" -s "$NB_DIR/spliced.sock" show backends)
echo "$backends"
for i in 2 3; do
	row=$(awk -v b="${NB_SRV_IP4[$i]}:80" '$1 == b' <<<"$backends")
	[ "$(awk '{ print $2, $8 }' <<<"$row")" = "DOWN 1" ] ||
		en_fail "srv$i: want DOWN with 1 passive down, got '$row'"
done

# Nothing left: the client is reset once the last backend fails.
kill "$EN_NGINX1_PID"
sleep 0.3
start=$(date +%s%N)
err=$(nb_exec "$NB_CLI" curl -sS --max-time 20 "http://$NB_VIP4/" 2>&1)
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
echo "no backend left: curl exit $rc after $ms ms: $err"
[ $rc -eq 56 ] || [ $rc -eq 52 ] || en_fail "want a reset (curl 56 or 52), got $rc"
[ $ms -lt 10000 ] || en_fail "the reset took $ms ms"
en_dispatcher_stop
echo "PASS: splice_refused"
