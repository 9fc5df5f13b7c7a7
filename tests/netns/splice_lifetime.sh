#!/usr/bin/env bash
# Mapping-table expiry, live: with `session-lifetime 5s`, a session that
# has not been used for longer than that is forgotten (so load evens out
# and old sessions stop pinning clients): three nginx TLS 1.2 backends with
# session caches (tickets off), one full handshake, resumptions routed by
# the table every half second (in use within its lifetime, the entry
# stays); then 7 s of silence; then the next resumption is not routed by
# the table (the scheduler places it), spliced counts the entry expired
# and `splicectl show table` no longer lists it.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/tls_lib.sh"
nb_require_root
nb_require nginx openssl ethtool

nb_init sl
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads off "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
tl_pki || en_fail "certificates"
for i in 1 2 3; do tl_nginx $i --proto 1.2 --tickets off || en_fail "nginx $i"; done
tl_config "$NB_DIR/life.conf" splice session-lifetime 5s
en_dispatcher "$NB_DIR/life.conf"
sess=$NB_DIR/s.sess
copt=(-tls1_2 -no_ticket)
resume() {
	tl_sclient "$NB_DIR/r.out" -sess_in "$sess" "${copt[@]}"
	tl_parse "$NB_DIR/r.out"
}

now_ms() { date +%s%3N; }
prev=$(now_ms) # start of the last handshake
tl_sclient "$NB_DIR/full.out" -sess_out "$sess" "${copt[@]}"
first=$(tl_parse "$NB_DIR/full.out" | awk '{ print $3 }')
[ -n "$first" ] || en_fail "first handshake failed: $(tail -3 "$NB_DIR/full.out")"
sid=$(grep -o -m1 '^ *Session-ID: *[0-9A-F]*' "$NB_DIR/full.out" | awk '{ print $2 }' | tr A-F a-f)
[ -n "$sid" ] || en_fail "no Session-ID in s_client's output"

# In use within the lifetime: every resumption refreshes the entry. What
# counts is the gap between two hellos, and under load one s_client in a
# namespace can take seconds to start; the previous handshake's start to
# this one's end bounds that gap. A lifetime of 5 s leaves room for that;
# should a gap still exceed it, the entry may rightly be gone and the
# rest says nothing: the loop stops there, and at least 2 checks must
# have been made.
checked=0
for ((t = 0; t < 4; t++)); do
	start=$(now_ms)
	r=$(resume)
	gap=$(($(now_ms) - prev))
	prev=$start
	if [ $gap -ge 5000 ]; then
		echo "  resumption $((t + 1)): up to ${gap} ms after the last one (load): not a test of the lifetime, stopping here ('$r')"
		break
	fi
	[ "$(awk '{ print $1, $3 }' <<<"$r")" = "Reused $first" ] ||
		en_fail "resumption $((t + 1)) within the lifetime (hellos at most ${gap} ms apart) got '$r', want Reused on $first"
	checked=$((checked + 1))
	sleep 0.5
done
[ $checked -ge 2 ] || en_fail "only $checked resumptions came within the lifetime: the machine is too loaded to test it"
echo "$checked resumptions, each at most 5 s after the last (lifetime 5s): all Reused on $first"

sleep 7
# Routing first: an expired candidate must not be used.
hits0=$(tl_rstat table_hits)
r=$(resume)
hits1=$(tl_rstat table_hits)
[ -n "$r" ] || en_fail "resumption after expiry got no answer"
[ "${hits1:-x}" = "${hits0:-y}" ] || en_fail "after 7 s idle (lifetime 5s) the table still routed the session: table_hits $hits0 -> $hits1"
echo "7 s idle: the next resumption was not routed by the table ($r)"
# Then the table itself: periodic expiry must have dropped the stale
# entry (show stats: "table_entries N/M (evicted E, expired X)") and show
# table must no longer list it on the old backend.
exp=$(tl_ctl show stats | grep -m1 '^ *table_entries' | sed -n 's/.*expired \([0-9]*\)).*/\1/p')
echo "show stats: ${exp:-no} table entries expired"
[ "${exp:-0}" -ge 1 ] || { tl_ctl show table >&2; en_fail "show stats counts ${exp:-no} expired table entries 2 s after the lifetime (5s) ran out"; }
# (Unless the scheduler happened to put that resumption back on $first,
# which relearns the session there with a fresh timestamp.)
if [ "$(awk '{ print $3 }' <<<"$r")" != "$first" ]; then
	tl_ctl show table | grep "$sid" | grep -q " $first " &&
		{ tl_ctl show table >&2; en_fail "show table still lists the expired entry on $first"; }
fi
en_dispatcher_stop
tl_sanitizer_check
echo "PASS: splice_lifetime"
