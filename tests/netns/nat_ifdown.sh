#!/usr/bin/env bash
# The client-side interface goes down under spliced (io packet): the
# worker must not spin on the socket error (under 0.5 s of CPU in 2 s; a
# spinning poll loop burns a whole core), and when the interface comes back
# up, forwarding resumes without a restart.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl
nb_init en
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
for i in 1 2 3; do en_nginx $i || en_fail "nginx $i"; done
EN_IO=packet en_config "$NB_DIR/nat.conf"
en_dispatcher "$NB_DIR/nat.conf"
get() { nb_exec "$NB_CLI" curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$NB_VIP4/"; }
[ "$(get)" = 200 ] || en_fail "no answer before the interface went down"

cpu() { awk '{ print $14 + $15 }' "/proc/$EN_DISP_PID/stat"; }
ip -n "$NB_DISP" link set "$NB_DISP_CLI_IF" down
sleep 0.5
c0=$(cpu)
sleep 2
used=$(($(cpu) - c0))
hz=$(getconf CLK_TCK)
echo "CPU while the interface was down: $used ticks in 2 s (${hz}/s)"
[ "$used" -lt $((hz / 2)) ] || en_fail "spliced spins while its interface is down"
grep -q "capture 0: Network is down" "$EN_DISP_LOG" || en_fail "the socket error was not logged"

ip -n "$NB_DISP" link set "$NB_DISP_CLI_IF" up
ok=0
for ((i = 0; i < 20; i++)); do
	[ "$(get)" = 200 ] && { ok=1; break; }
	sleep 0.25
done
[ $ok = 1 ] || en_fail "forwarding did not resume after the interface came back"
en_dispatcher_stop
echo "PASS: no spinning while down, forwarding resumed after up"
