#!/usr/bin/env bash
# The load guard, live: a backend that holds many sessions must not take
# every resumption when it is far busier than the others. Three nginx TLS
# 1.2 backends (session caches, tickets off), `load-guard 150 min 4`: a
# candidate whose active connections exceed 150% of the mean over the UP
# backends (and are at least 4) is refused, and the scheduler places the
# connection instead.
#
#   1. full handshakes until 8 sessions live on backend A (round-robin puts
#      every third there)
#   2. resume them one by one, holding each connection open: the first
#      ones go to A (table hits, Reused); once A's load passes the guard,
#      a resumption is refused by the guard (guard_refused counts it) and
#      the scheduler serves it elsewhere (a full handshake); every move off
#      A must be a counted refusal
#   3. all held connections closed: A is idle again and a resumption of one
#      of its sessions is routed back to A (Reused)
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/tls_lib.sh"
nb_require_root
nb_require nginx openssl ethtool

nb_init sg
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads off "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
tl_pki || en_fail "certificates"
for i in 1 2 3; do tl_nginx $i --proto 1.2 --tickets off || en_fail "nginx $i"; done
tl_config "$NB_DIR/guard.conf" splice load-guard "150 min 4"
en_dispatcher "$NB_DIR/guard.conf"
copt=(-tls1_2 -no_ticket)
NS=8

# 1.
A="" k=0
for ((t = 0; t < 40 && k < NS; t++)); do
	tl_sclient "$NB_DIR/full.out" -sess_out "$NB_DIR/cand.sess" "${copt[@]}"
	b=$(tl_parse "$NB_DIR/full.out" | awk '{ print $3 }')
	[ -n "$b" ] || en_fail "full handshake $t failed: $(tail -3 "$NB_DIR/full.out")"
	[ -z "$A" ] && A=$b
	[ "$b" = "$A" ] || continue
	k=$((k + 1))
	mv "$NB_DIR/cand.sess" "$NB_DIR/s$k.sess"
done
[ $k -eq $NS ] || en_fail "only $k sessions on A=$A after $t handshakes"
echo "1. $NS sessions on A=$A ($t full handshakes)"

# 2. Each held connection: s_client reading a FIFO this shell keeps open.
fds=() hold_pids=() onA=0 moved=0
for ((k = 1; k <= NS; k++)); do
	mkfifo "$NB_DIR/h$k.in"
	ip netns exec "$NB_CLI" timeout 60 openssl s_client -connect "$NB_VIP4:$TL_PORT" \
		-servername "$TL_SNI" -CAfile "$TL_PKI/ca.crt" -sess_in "$NB_DIR/s$k.sess" \
		"${copt[@]}" <"$NB_DIR/h$k.in" >"$NB_DIR/h$k.out" 2>&1 &
	hold_pids+=($!)
	NB_BGPIDS+=($!)
	exec {fd}>"$NB_DIR/h$k.in"
	fds+=("$fd")
	printf 'GET / HTTP/1.1\r\nHost: %s\r\n\r\n' "$TL_SNI" >&"$fd"
	for ((t = 0; t < 50; t++)); do
		grep -q '^srv[0-9]' "$NB_DIR/h$k.out" && break
		sleep 0.1
	done
	r=$(tl_parse "$NB_DIR/h$k.out")
	[ -n "$r" ] || en_fail "held resumption $k got no answer: $(tail -3 "$NB_DIR/h$k.out")"
	echo "   held $k: $r  (guard_refused $(tl_rstat guard_refused))"
	if [ "$(awk '{ print $1, $3 }' <<<"$r")" = "Reused $A" ]; then
		onA=$((onA + 1))
	else
		moved=$((moved + 1))
	fi
done
gr=$(tl_rstat guard_refused)
echo "2. held resumptions: $onA on A, $moved placed elsewhere; guard_refused ${gr:-?}"
[ $onA -ge 3 ] || en_fail "only $onA resumptions reached A before the guard (A had 0..2 active, below min 4)"
[ $moved -ge 1 ] || en_fail "A took all $NS held resumptions: the load guard never refused it"
# Each session lives only on A and is held by one connection at most, so
# nothing but the guard can send its resumption elsewhere. (After a
# refusal the scheduler may still pick A: round-robin does not look at
# the guard, so a refused resumption can land on A too.)
[ "${gr:-0}" -ge $moved ] || en_fail "guard_refused = ${gr:-none}, but $moved resumptions were moved off A"
tl_ctl show backends 2>&1 | sed 's/^/     /'

# 3.
for fd in "${fds[@]}"; do exec {fd}>&-; done
for p in "${hold_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
sleep 1
tl_sclient "$NB_DIR/back.out" -sess_in "$NB_DIR/s1.sess" "${copt[@]}"
r=$(tl_parse "$NB_DIR/back.out")
[ "$(awk '{ print $1, $3 }' <<<"$r")" = "Reused $A" ] || en_fail "A idle again: resumption got '$r', want Reused on A=$A"
echo "3. A idle again: resumption routed back to A ($r)"
en_dispatcher_stop
tl_sanitizer_check
echo "PASS: splice_guard (load guard refused A under load, A used again once idle)"
