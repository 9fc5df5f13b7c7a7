#!/usr/bin/env bash
# Two packet workers (AF_PACKET fanout steered by client port) with source
# NAT: 600 requests from curl all answered, every backend sees the
# source-NAT address instead of the client's, and both workers carried
# flows, so both directions of each flow met on one worker.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl
nb_init en
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
for i in 1 2 3; do en_nginx $i || en_fail "nginx $i"; done
snat=10.0.200.1
EN_WORKERS=2 EN_IO=packet en_config "$NB_DIR/nat.conf" source-nat $snat
en_dispatcher "$NB_DIR/nat.conf"

out=$(nb_exec "$NB_CLI" curl -sS --max-time 120 --connect-timeout 3 \
	-H 'Connection: close' "http://$NB_VIP4/ip?n=[1-600]" 2>"$NB_DIR/curl.err")
rc=$?
[ $rc -eq 0 ] || en_fail "curl exit $rc: $(head -3 "$NB_DIR/curl.err")"
total=$(grep -c . <<<"$out")
seen=$(grep -c "^$snat\$" <<<"$out")
[ "$total" -eq 600 ] || en_fail "$total of 600 requests answered"
[ "$seen" -eq 600 ] || en_fail "backends saw $snat on $seen of 600 requests: $(sort <<<"$out" | uniq -c | head -3)"

en_dispatcher_stop
w0=$(en_stat worker0_flows) w1=$(en_stat worker1_flows)
echo "workers=$(en_stat workers) worker0 flows=$w0 worker1 flows=$w1"
[ "$(en_stat workers)" = 2 ] || en_fail "engine did not start 2 workers"
[ "${w0:-0}" -ge 100 ] && [ "${w1:-0}" -ge 100 ] || en_fail "fanout did not use both workers"
echo "PASS: 2 workers, source NAT, 600 of 600 answered"
