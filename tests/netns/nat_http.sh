#!/usr/bin/env bash
# nat mode end to end: 1000 HTTP requests from curl (a new connection each)
# through the VIP to three real nginx backends, every one answered and the
# round-robin spread exact (333 or 334 each); then wrk with a new
# connection per request for 3 s without a single error.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl wrk ethtool
nb_init en
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads off "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
for i in 1 2 3; do en_nginx $i || en_fail "nginx $i"; done
en_config "$NB_DIR/nat.conf"
en_dispatcher "$NB_DIR/nat.conf"

out=$(nb_exec "$NB_CLI" curl -sS --max-time 120 --connect-timeout 3 \
	-H 'Connection: close' "http://$NB_VIP4/?n=[1-1000]" 2>"$NB_DIR/curl.err")
rc=$?
[ $rc -eq 0 ] || en_fail "curl exit $rc: $(head -3 "$NB_DIR/curl.err")"
total=$(grep -c '^srv[123]$' <<<"$out")
[ "$total" -eq 1000 ] || en_fail "$total of 1000 requests answered"
for i in 1 2 3; do
	n=$(grep -c "^srv$i\$" <<<"$out")
	echo "backend $i: $n requests"
	[ "$n" -ge 333 ] && [ "$n" -le 334 ] || en_fail "round-robin spread: srv$i got $n of 1000"
done

wrk_out=$(nb_exec "$NB_CLI" timeout 20 wrk -t1 -c8 -d3s -H 'Connection: close' \
	"http://$NB_VIP4/" 2>&1) || en_fail "wrk failed: $wrk_out"
echo "$wrk_out" | sed 's/^/  wrk: /'
reqs=$(awk '/requests in/ { print $1 }' <<<"$wrk_out")
grep -q "Socket errors\|Non-2xx" <<<"$wrk_out" && en_fail "wrk saw errors"
[ "${reqs:-0}" -ge 100 ] || en_fail "wrk completed only ${reqs:-0} requests"

en_dispatcher_stop
created=$(en_stat flows_created)
echo "flows created: $created, refused: $(en_stat refused_full)"
[ "${created:-0}" -ge $((1000 + reqs)) ] || en_fail "engine counted ${created:-0} flows"
echo "PASS: 1000 curl + $reqs wrk requests through nat mode"
