# shellcheck shell=bash
# tools/demo-splice.sh: the splice-mode part of tools/demo, sourced by it
# once the namespaces exist (uses its step, die and ctl, and tls_lib.sh).
#
# Three nginx TLS backends, each with its own session cache and its own
# ticket key, so a session resumes only on the backend that made it.
# spliced runs in splice mode with round-robin for new sessions; clients
# resume TLS 1.2 sessions by session ID and by ticket, and TLS 1.3 sessions
# by ticket; one connection is held open so the table shows it BUSY. Then
# the same clients run with session routing off, and the rates are
# compared.

N=10
step "Starting nginx with TLS in each backend namespace"
tl_pki || die "certificates"
for i in 1 2 3; do
	tl_nginx "$i" --proto both --tickets key || die "nginx $i"
	TL_BACKEND_OPTS[i]="ticket-key-file $(tl_ticket_key "$i")"
	echo "backend $i: nginx on ${NB_SRV_IP4[i]}:$TL_PORT, own session cache, ticket key $(tl_ticket_key "$i")"
done

start_spliced()
{
	tl_config "$NB_DIR/demo.conf" splice session-table "$1" \
		health "tcp interval 1s timeout 500ms fall 2 rise 2"
	en_dispatcher "$NB_DIR/demo.conf"
}

# Runs the three client kinds; fills rate[kind] with "R/N".
declare -A rate_on rate_off
clients()
{
	local -n rate=$1
	local kind opts line
	for kind in tls13-ticket tls12-ticket tls12-session-id; do
		case $kind in
		tls13-ticket) opts=(-tls1_3) ;;
		tls12-ticket) opts=(-tls1_2) ;;
		tls12-session-id) opts=(-tls1_2 -no_ticket) ;;
		esac
		line=$(tl_resume "$N" "${opts[@]}") || die "$kind: a connection failed ($line)"
		printf '    %-17s %s\n' "$kind" "$line"
		rate[$kind]=$(sed 's/.*reused=\([0-9]*\/[0-9]*\).*/\1/' <<<"$line")
	done
}

step "Starting spliced (splice mode, session routing on)"
start_spliced on
sed 's/^/    /' "$NB_DIR/demo.conf"

step "Clients: a full handshake, then $N resumptions each, through the VIP"
clients rate_on

step "splicectl show table, with one TLS 1.2 connection held open (BUSY)"
{
	printf 'GET / HTTP/1.1\r\nHost: %s\r\n\r\n' "$TL_SNI"
	sleep 2
} | nb_exec "$NB_CLI" timeout 10 openssl s_client -connect "$NB_VIP4:$TL_PORT" \
	-servername "$TL_SNI" -CAfile "$TL_PKI/ca.crt" -tls1_2 -no_ticket \
	-sess_in "$NB_DIR/resume.sess" >"$NB_DIR/held.out" 2>&1 &
held=$!
sleep 1
ctl show table || die "splicectl show table"
wait "$held"
grep -q '^Reused' "$NB_DIR/held.out" || die "the held connection did not resume"
sleep 0.2
echo "    after it closed:"
ctl show table | sed 's/^/    /'

step "splicectl show stats"
ctl show stats || die "splicectl show stats"
en_dispatcher_stop

step "The same clients with session routing off (session-table off)"
start_spliced off
clients rate_off
en_dispatcher_stop

step "Resumption rate: splice mode with and without session routing"
printf '    %-17s %-18s %s\n' client "with routing" without
for kind in tls13-ticket tls12-ticket tls12-session-id; do
	printf '    %-17s %-18s %s\n' "$kind" "${rate_on[$kind]}" "${rate_off[$kind]}"
	[ "${rate_on[$kind]}" = "$N/$N" ] || die "$kind resumed ${rate_on[$kind]} with session routing"
done
