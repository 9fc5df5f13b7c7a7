#!/usr/bin/env bash
# The paper's selection rule, observed live: two backends hold the SAME TLS
# session; a resumption goes to one that is not BUSY, and among IDLE ones
# to the oldest timestamp.
#
# Two backends in the config are two addresses of one nginx (one shared
# session cache, TLS 1.2, tickets off), so a session made on either
# resumes on both and the mapping table can learn the same session ID on
# A and on B. "/" answers with the address the connection came to.
#
#   1. full handshake -> backend A (whatever round-robin picks first)
#   2. a resumption kept open (s_client reading a FIFO) -> A, now BUSY
#   3. resumptions until the scheduler has put one on B (A is BUSY, so the
#      table has no candidate: at most two tries with round-robin); the
#      table learns the session on B, IDLE once that closes
#   4. five resumptions while A is still held: every one must go to B;
#      `splicectl show table` must show A BUSY and B IDLE for the session
#   5. A's connection closes: both IDLE, A newer. The next resumptions
#      alternate B, A, B: each time the older one wins and, used, becomes
#      the newer.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/tls_lib.sh"
nb_require_root
nb_require nginx openssl ethtool

nb_init sb
nb_setup --servers 1 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads off "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
# Backend B: a second address on server 1.
B_IP=10.0.11.3
ip -n "$NB_SRV1" addr add "$B_IP/24" dev "$NB_SRV1_IF" || en_fail "second address"
tl_pki || en_fail "certificates"
tl_nginx 1 --proto 1.2 --tickets off --cache on || en_fail "nginx"
TL_NBACKENDS=2
TL_BACKEND_ADDR=([1]=$NB_SRV1_IP4 [2]=$B_IP)
tl_config "$NB_DIR/busy.conf" splice session-table on
en_dispatcher "$NB_DIR/busy.conf"
sess=$NB_DIR/s.sess
copt=(-tls1_2 -no_ticket)

# addr_of OUTFILE: the backend address that answered, "" if none did.
addr_of() { tl_parse "$1" | awk '{ print $3 }'; }
resume() {
	tl_sclient "$NB_DIR/r.out" -sess_in "$sess" "${copt[@]}"
	local r
	r=$(tl_parse "$NB_DIR/r.out")
	case $r in
	Reused*) awk '{ print $3 }' <<<"$r" ;;
	*) en_fail "resumption through the VIP got '${r:-no answer}'" ;;
	esac
}
table() { tl_ctl show table 2>&1; }

# 1.
tl_sclient "$NB_DIR/full.out" -sess_out "$sess" "${copt[@]}"
A=$(addr_of "$NB_DIR/full.out")
[ -n "$A" ] && [ -s "$sess" ] || en_fail "first handshake: $(tail -3 "$NB_DIR/full.out")"
if [ "$A" = "$NB_SRV1_IP4" ]; then B=$B_IP; else B=$NB_SRV1_IP4; fi
echo "1. full handshake on A=$A (B=$B)"

# 2.
hold=$NB_DIR/hold.out
# s_client reads a FIFO this shell holds open, so the connection stays up
# (and nothing but s_client itself is left to kill).
mkfifo "$NB_DIR/hold.in" || en_fail "mkfifo"
ip netns exec "$NB_CLI" timeout 70 openssl s_client -connect "$NB_VIP4:$TL_PORT" \
	-servername "$TL_SNI" -CAfile "$TL_PKI/ca.crt" -sess_in "$sess" "${copt[@]}" \
	<"$NB_DIR/hold.in" >"$hold" 2>&1 &
HOLD_PID=$!
NB_BGPIDS+=("$HOLD_PID")
exec 9>"$NB_DIR/hold.in"
printf 'GET / HTTP/1.1\r\nHost: %s\r\n\r\n' "$TL_SNI" >&9
for ((t = 0; t < 50; t++)); do
	grep -q '^srv1 ' "$hold" && break
	sleep 0.1
done
[ "$(addr_of "$hold")" = "$A" ] ||
	en_fail "held resumption went to '$(addr_of "$hold")', want A=$A: $(tail -3 "$hold")"
echo "2. resumption held open on A"

# 3.
for ((t = 1; t <= 4; t++)); do
	[ "$(resume)" = "$B" ] && break
done
[ $t -le 4 ] || en_fail "the scheduler never put a resumption on B in 4 tries"
echo "3. B learned the session after $t resumption(s) through the scheduler"

# 4.
for ((t = 1; t <= 5; t++)); do
	got=$(resume)
	[ "$got" = "$B" ] || { table >&2; en_fail "A BUSY, B IDLE: resumption $t went to $got, want B=$B"; }
done
tab=$(table)
echo "4. A BUSY -> 5/5 resumptions on B; splicectl show table:"
sed 's/^/     /' <<<"$tab"
sid=$(grep -o -m1 '^ *Session-ID: *[0-9A-F]*' "$NB_DIR/full.out" | awk '{ print $2 }' | tr A-F a-f)
[ -n "$sid" ] || en_fail "no Session-ID in s_client's output"
rowA=$(tr A-F a-f <<<"$tab" | grep "^$sid .* $A  *$TL_PORT ")
rowB=$(tr A-F a-f <<<"$tab" | grep "^$sid .* $B  *$TL_PORT ")
grep -qi busy <<<"$rowA" || en_fail "show table: no BUSY row for A=$A and session $sid"
grep -qi idle <<<"$rowB" || en_fail "show table: no IDLE row for B=$B and session $sid"

# 5.
exec 9>&-
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
for ((t = 0; t < 30; t++)); do
	table | grep -i "$A " | grep -qi busy || break
	sleep 0.1
done
[ $t -lt 30 ] || en_fail "A still BUSY 3 s after its connection closed"
want=("$B" "$A" "$B")
for ((t = 0; t < 3; t++)); do
	sleep 0.2   # distinct millisecond timestamps
	got=$(resume)
	[ "$got" = "${want[t]}" ] || { table >&2; en_fail "both IDLE: resumption $((t + 1)) went to $got, want the older ${want[t]}"; }
done
echo "5. both IDLE: resumptions went B, A, B (the older timestamp each time)"
table | sed 's/^/     /'
tl_ctl show stats 2>&1 | grep -i 'resum\|full\|guard' | sed 's/^/     /'
en_dispatcher_stop
echo "PASS: splice_busy (BUSY avoided, oldest IDLE chosen)"
