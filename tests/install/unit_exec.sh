#!/usr/bin/env bash
# The installed unit's own command lines run: `meson install --destdir`,
# then in a namespace testbed with two nginx backends, ExecStartPre and
# ExecStart exactly as the installed spliced.service writes them (binary and
# config moved under the destdir and to the testbed's config), under the
# unit's CapabilityBoundingSet, NoNewPrivileges and UMask applied with
# setpriv, with the config's `user nobody`. Then HTTP through the VIP
# reaches both backends, the installed splicectl talks to it, and SIGTERM
# stops it cleanly. Arguments: KEY=VALUE layout lines from meson.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl setpriv
declare -A L
for kv in "$@"; do L[${kv%%=*}]=${kv#*=}; done
nb_init opsu || exit 1
[ -d "$NB_DIR" ] || en_fail "no scratch directory"
dest=$NB_DIR/root
meson install -C "$SPLICEKIT_BUILD" --destdir "$dest" --no-rebuild --quiet >"$NB_DIR/install.log" 2>&1 ||
	en_fail "meson install: $(tail -3 "$NB_DIR/install.log")"
unit=$dest${L[unitdir]}/spliced.service
[ -f "$unit" ] || en_fail "no unit at ${L[unitdir]}/spliced.service"
key() { sed -n "s/^$1=//p" "$unit" | tail -1; }

nb_setup --servers 2 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads off "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
for i in 1 2; do en_nginx $i || en_fail "nginx $i"; done
en_config "$NB_DIR/svc.conf"
conf=$NB_DIR/spliced.conf
# Creating the socket needs write access to its directory as root without
# CAP_DAC_OVERRIDE, removing it at exit needs it as `user`: a directory of
# its own, owned by root and writable by the user's group (as the README
# says; in /run the file stays behind, and the next start removes it).
run=$NB_DIR/run
mkdir -m 0770 "$run" && chgrp "$(id -gn nobody)" "$run" && chmod o+x "$NB_DIR"
sock=$run/spliced.sock
{
	echo "user nobody"
	sed "s|^control-socket .*|control-socket $sock|" "$NB_DIR/svc.conf"
} >"$conf"

# The unit's command line with its paths moved into the destdir and to
# this testbed's config; every other word as the unit has it.
cmdline()
{
	local line
	line=$(key "$1")
	[ -n "$line" ] || en_fail "unit has no $1="
	line=${line//${L[sysconfdir]}\/spliced.conf/$conf}
	[[ $line == "${L[sbindir]}/spliced "* ]] || en_fail "$1 does not start ${L[sbindir]}/spliced: $line"
	echo "$dest$line"
}
# The unit's confinement that a plain process can have: its bounding set,
# no_new_privs, umask.
caps=$(key CapabilityBoundingSet)
[ -n "$caps" ] || en_fail "unit has no CapabilityBoundingSet"
bset=-all
for c in $caps; do bset+=",+$(tr 'A-Z' 'a-z' <<<"${c#CAP_}")"; done
confine=(setpriv --bounding-set "$bset")
[ "$(key NoNewPrivileges)" = yes ] && confine+=(--no-new-privs)
um=$(key UMask)

read -ra pre <<<"$(cmdline ExecStartPre)"
out=$(ip netns exec "$NB_DISP" "${confine[@]}" "${pre[@]}" 2>&1) ||
	en_fail "ExecStartPre failed: $out"
[[ $out == *": OK, 1 service, 2 backends"* ]] || en_fail "ExecStartPre said: $out"
echo "ExecStartPre: $out"

read -ra start <<<"$(cmdline ExecStart)"
EN_DISP_LOG=$NB_DIR/disp.log
(umask "${um:-0022}"; exec ip netns exec "$NB_DISP" "${confine[@]}" "${start[@]}") \
	>"$NB_DIR/disp.stats" 2>"$EN_DISP_LOG" &
EN_DISP_PID=$!
NB_BGPIDS+=("$EN_DISP_PID")
ctl=("$dest${L[bindir]}/splicectl" -s "$sock")
for ((t = 0; t < 50; t++)); do
	kill -0 "$EN_DISP_PID" 2>/dev/null || en_fail "ExecStart exited at start"
	"${ctl[@]}" show backends >/dev/null 2>&1 && break
	sleep 0.1
done
"${ctl[@]}" show backends || en_fail "installed splicectl cannot query it"

# It runs as nobody with only the two capabilities it keeps.
status=$(cat "/proc/$(pgrep -P "$EN_DISP_PID" -x spliced || echo "$EN_DISP_PID")/status" 2>/dev/null)
uid=$(awk '/^Uid:/ { print $3 }' <<<"$status")
[ "$uid" = "$(id -u nobody)" ] || en_fail "spliced runs as uid $uid, not nobody"
capeff=$(awk '/^CapEff:/ { print $2 }' <<<"$status")
# CAP_NET_ADMIN (12) and CAP_NET_RAW (13)
[ "$capeff" = 0000000000003000 ] || en_fail "effective capabilities $capeff, wanted NET_ADMIN+NET_RAW only"
mode=$(stat -c %a "$sock")
[ "$mode" = 600 ] || en_fail "control socket mode $mode"
echo "runs as nobody, CapEff $capeff, control socket $mode"

out=$(nb_exec "$NB_CLI" curl -sS --max-time 30 --connect-timeout 3 \
	-H 'Connection: close' "http://$NB_VIP4/?n=[1-20]" 2>"$NB_DIR/curl.err") ||
	en_fail "curl: $(head -3 "$NB_DIR/curl.err")"
for i in 1 2; do
	c=$(grep -c "^srv$i\$" <<<"$out")
	[ "$c" -eq 10 ] || en_fail "srv$i answered $c of 20 (round robin wants 10)"
done
echo "20 requests through the VIP, 10 per backend"

kill -TERM "$EN_DISP_PID"
wait "$EN_DISP_PID"
rc=$?
EN_DISP_PID=
[ $rc -eq 0 ] || en_fail "SIGTERM: exit $rc"
[ ! -e "$sock" ] || en_fail "control socket left behind after SIGTERM"
echo "PASS: the installed unit's ExecStartPre and ExecStart run, confined as the unit says"
