#!/usr/bin/env bash
# TLS session routing end to end, with real peers: three nginx TLS backends,
# each with its own session cache and its own ticket key (so a session is
# resumable on the backend that made it and nowhere else), spliced in front
# with round-robin for new sessions. openssl s_client makes one full
# handshake through the VIP (-sess_out), then reconnects 20 times with that
# session (-sess_in), each time fetching "/" so the answer names the backend.
#
#   variant   server side                      client        routing key
#   sid12     TLS 1.2, tickets off, cache on   -tls1_2       session ID
#   tick12    TLS 1.2, ticket key, cache off   -tls1_2       ticket (learned)
#   tick13    TLS 1.3, ticket key, cache off   -tls1_3       ticket key_name
#                                                            (ticket-key-file)
#
# With session routing every reconnect must report "Reused" on the backend
# of the first handshake (20/20); with it off (session-table off, and for
# TLS 1.3 no ticket-key-file, since the prefix is the only key TLS 1.3
# shows) round-robin spreads them and only about one in three can resume.
# The test prints both and asserts on = 20/20, off in 3..12.
#
#   MODE=splice (default): both halves.  MODE=nat: only the "off" half
#   (nat mode has no session routing), which checks the harness and the
#   1-in-3 baseline.  Arguments: [--mode nat|splice] [VARIANT...] (default
#   all three).
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/tls_lib.sh"
nb_require_root
nb_require nginx openssl ethtool
MODE=${MODE:-splice}
if [ "${1:-}" = --mode ]; then MODE=${2:-}; shift 2; fi
case $MODE in nat | splice) ;; *) echo "MODE wants nat or splice" >&2; exit 2 ;; esac
variants=${*:-sid12 tick12 tick13}
N=20

nb_init sr
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads off "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
tl_pki || en_fail "certificates"

# run_half VARIANT on|off CLIENT_OPTS...: one spliced run, prints the line
# and sets $reused and $per (the backends) and $first.
run_half()
{
	local v=$1 table=$2 i line
	shift 2
	TL_BACKEND_OPTS=()
	local extra=()
	if [ "$MODE" = splice ]; then
		if [ "$table" = on ]; then
			if [ "$v" = tick13 ]; then
				for i in 1 2 3; do TL_BACKEND_OPTS[i]="ticket-key-file $(tl_ticket_key $i)"; done
			fi
			extra=(session-table on)
		else
			extra=(session-table off)
		fi
	fi
	tl_config "$NB_DIR/$v.$table.conf" "$MODE" "${extra[@]}"
	en_dispatcher "$NB_DIR/$v.$table.conf"
	line=$(tl_resume $N "$@") || {
		sed 's/^/  /' "$NB_DIR/resume.log" >&2
		en_fail "$v table $table: a connection through the VIP failed ($line)"
	}
	echo "$MODE $v session-table $table: $line"
	if [ "$MODE" = splice ]; then
		echo "  splicectl show table:"
		tl_ctl show table 2>&1 | sed 's/^/    /'
		tl_ctl show stats 2>&1 | sed "s/^/    /"
	fi
	en_dispatcher_stop
	reused=$(sed 's/.*reused=\([0-9]*\)\/.*/\1/' <<<"$line")
	first=$(sed 's/.*first=\([^ ]*\).*/\1/' <<<"$line")
	per=$(sed 's/.*backends=//' <<<"$line")
}

declare -A on_r off_r
for v in $variants; do
	case $v in
	sid12) sopt=(--proto 1.2 --tickets off --cache on); copt=(-tls1_2 -no_ticket) ;;
	tick12) sopt=(--proto 1.2 --tickets key --cache off); copt=(-tls1_2) ;;
	tick13) sopt=(--proto 1.3 --tickets key --cache off); copt=(-tls1_3) ;;
	*) en_fail "unknown variant '$v'" ;;
	esac
	for i in 1 2 3; do tl_nginx_stop $i; tl_nginx $i "${sopt[@]}" || en_fail "nginx $i"; done

	if [ "$MODE" = splice ]; then
		run_half "$v" on "${copt[@]}"
		on_r[$v]=$reused
		[ "$reused" -eq $N ] ||
			{ sed 's/^/  /' "$NB_DIR/resume.log"; en_fail "$v with session routing: $reused/$N reused, want $N/$N"; }
		[ "$per" = "$first:$N" ] ||
			en_fail "$v with session routing: reconnects went to $per, want all on $first"
	fi
	run_half "$v" off "${copt[@]}"
	off_r[$v]=$reused
	# Round-robin over three backends puts 6 or 7 of 20 on the one that
	# holds the session; 3..12 leaves room for another scheduler order but
	# fails if routing happens where it should not, or never resumes at all
	# (which would mean the harness cannot see resumption).
	[ "$reused" -ge 3 ] && [ "$reused" -le 12 ] ||
		{ sed 's/^/  /' "$NB_DIR/resume.log"; en_fail "$v without session routing: $reused/$N reused, want about 1 in 3 (3..12)"; }
done

echo
echo "summary ($MODE mode, $N reconnects each):"
for v in $variants; do
	printf '  %-7s with session routing: %5s   without: %s/%d\n' "$v" \
		"${on_r[$v]:-n/a}${on_r[$v]:+/$N}" "${off_r[$v]}" $N
done
echo "PASS: splice_resume ($MODE: $variants)"
