#!/usr/bin/env bash
# splice mode with a protocol where the server speaks first (an SMTP or
# SSH banner): the client sends nothing, so after `timeout hello` (300 ms
# here) spliced balances on what it knows, opens the backend leg with no
# data to replay, and the banner reaches the client. Then a client that
# sends a line after the banner gets its echo back, so both directions of
# the spliced connection work after an empty replay.
#
# Needs root (namespaces, raw sockets); exits 77 (skip) otherwise.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require socat ethtool

nb_init sb
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
for i in 1 2 3; do
	nb_bg "${NB_SRV[i]}" socat TCP-LISTEN:80,reuseaddr,fork \
		"SYSTEM:echo banner srv$i; head -n1"
	nb_wait_port "${NB_SRV[i]}" 80 10 || en_fail "socat $i"
done
en_config "$NB_DIR/splice.conf" timeout "hello 300ms"
sed -i 's/mode nat/mode splice/' "$NB_DIR/splice.conf"
en_dispatcher "$NB_DIR/splice.conf"

for n in 1 2 3; do
	start=$(date +%s%N)
	out=$( (sleep 1.5; echo "line $n") | nb_exec "$NB_CLI" timeout 10 \
		socat - "TCP:$NB_VIP4:80" 2>&1)
	first_ms=$(($(date +%s%N) - start))
	grep -q "^banner srv[123]\$" <<<"$out" || en_fail "no banner: '$out'"
	grep -q "^line $n\$" <<<"$out" || en_fail "the client's line did not come back: '$out'"
	echo "connection $n: $(head -1 <<<"$out"), echo ok"
done
# The banner cannot come before the hello timeout, nor much later. (The
# server waits for a line that never comes; the timer stops at the
# banner, and timeout ends the connection.)
start=$(date +%s%N)
read -r ms out < <(nb_exec "$NB_CLI" timeout 3 socat -u "TCP:$NB_VIP4:80" - 2>&1 |
	{ IFS= read -r l; echo "$((($(date +%s%N) - start) / 1000000)) $l"; })
echo "banner after $ms ms (hello timeout 300 ms): $out"
grep -q '^banner' <<<"$out" || en_fail "no banner for a read-only client"
[ "$ms" -ge 280 ] && [ "$ms" -lt 2000 ] || en_fail "banner after $ms ms, want 300..2000"
en_dispatcher_stop
echo "PASS: splice_server_first"
