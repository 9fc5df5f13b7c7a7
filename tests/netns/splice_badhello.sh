#!/usr/bin/env bash
# Malformed and odd ClientHellos against splice mode (tests/netns/badhello.py
# is the client): truncated (with and without FIN), oversized record,
# handshake length beyond the record, inner lengths past the end, an empty
# record, plain HTTP, random bytes, a client that sends nothing, and a real
# hello split into 1-byte segments. After each: spliced is still running,
# a good openssl s_client through the VIP is served, and the bad flow ended
# in a way a client can live with (answered by the backend after a
# fallback, closed, or reset; silence only where the client itself sent
# nothing usable). The 1-byte hello must complete and be served. At the end
# the counters must show the fallbacks: splice_not_tls for the non-TLS
# starts, splice_hello_timeout for the undecidable ones.
#   splice_badhello.sh [--mode nat|splice]   (default splice; nat checks the
#   client tool and the testbed against plain forwarding, without counters)
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/tls_lib.sh"
nb_require_root
nb_require nginx openssl python3 ethtool
MODE=splice
[ "${1:-}" = --mode ] && MODE=$2

nb_init sh
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads off "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
tl_pki || en_fail "certificates"
for i in 1 2 3; do tl_nginx $i || en_fail "nginx $i"; done
extra=()
[ "$MODE" = splice ] && extra=(timeout "hello 1s")
tl_config "$NB_DIR/bad.conf" "$MODE" "${extra[@]}"
en_dispatcher "$NB_DIR/bad.conf"

stat() { tl_ctl show stats 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
good() {
	local r
	r=$(tl_get -tls1_3)
	[[ $r == New\ srv* ]] || en_fail "after '$1': a good client got '${r:-no answer}'"
}

cases="truncated truncfin oversized biglen wronglen zerolen nottls garbage nothing split1"
for c in $cases; do
	out=$(nb_exec "$NB_CLI" timeout 30 python3 "$SPLICEKIT_SRC/tests/netns/badhello.py" \
		"$NB_VIP4" "$TL_PORT" "$c" --ca "$TL_PKI/ca.crt" --wait 4 2>&1)
	rc=$?
	echo "  $out"
	[ $rc -eq 0 ] || en_fail "case $c: $out"
	kill -0 "$EN_DISP_PID" 2>/dev/null || en_fail "spliced died after case $c"
	good "$c"
done
# Several at once, interleaved, to catch state shared between flows.
pids=()
for c in split1 nottls truncated garbage split1 wronglen; do
	nb_exec "$NB_CLI" timeout 30 python3 "$SPLICEKIT_SRC/tests/netns/badhello.py" \
		"$NB_VIP4" "$TL_PORT" "$c" --ca "$TL_PKI/ca.crt" --wait 4 >>"$NB_DIR/par.out" 2>&1 &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
sed 's/^/  parallel: /' "$NB_DIR/par.out"
[ $fails -eq 0 ] || en_fail "$fails of the parallel bad clients failed"
good parallel

if [ "$MODE" = splice ]; then
	tl_ctl show stats | grep '^splice_' | sed 's/^/  /'
	nt=$(stat splice_not_tls) ho=$(stat splice_hello_timeout) bound=$(stat splice_bound)
	# nottls, garbage (x2 with the parallel run) start with a byte that is
	# no TLS record type; nothing/truncated (x3) never give a whole hello.
	[ "${nt:-0}" -ge 3 ] || en_fail "splice_not_tls = ${nt:-none}, want >= 3"
	[ "${ho:-0}" -ge 3 ] || en_fail "splice_hello_timeout = ${ho:-none}, want >= 3"
	[ "${bound:-0}" -ge 12 ] || en_fail "splice_bound = ${bound:-none}, want >= 12 (good and split clients)"
fi
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$EN_DISP_PID/status" 2>/dev/null)
echo "spliced VmRSS after $(( $(echo $cases | wc -w) + 6 )) bad flows: ${rss:-?} kB"
en_dispatcher_stop
echo "PASS: splice_badhello ($MODE)"
