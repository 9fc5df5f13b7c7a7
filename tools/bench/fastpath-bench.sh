#!/usr/bin/env bash
# tools/bench/fastpath-bench.sh: bulk TCP through the dispatcher namespace
# with and without the kernel fast path, next to the real alternatives, ONE
# run on ONE testbed (tests/netns/lib.sh + nat_lib.sh): client ns ->
# dispatcher ns -> bridge -> server ns running iperf3.
#
# Paths:
#   route    kernel routing: the client talks to the server's own address
#            through the dispatcher ns, forwarding on (the baseline)
#   dnat     nftables DNAT of VIP:5201 in the dispatcher ns (conntrack)
#   haproxy  HAProxy `mode tcp`, the VIP assigned to the dispatcher's lo
#   nat      spliced `mode nat`, transparent, fastpath off (user space)
#   nat-fp   the same with `fastpath tc` (flows forwarded by the kernel)
#   splice   spliced `mode splice` (iperf3's first bytes are not TLS: bound
#            on them), fastpath off
#   splice-fp  the same with `fastpath tc` (offloaded once bound)
#
# Cells: iperf3 for SECS s with 1 and 4 streams, client->server (up) and
# server->client (down, -R). Printed: Gbit/s, the ratio to route and the
# ratio to haproxy (targets for the fast path: >= 0.95x route, >= 1.3x
# haproxy). For the spliced paths also spliced's CPU time per GB forwarded
# (utime+stime from /proc/PID/stat over all cells / bytes moved), and for
# each path new connections per second (iperf3 -c with 1-second runs are
# too coarse: a python loop of connect+close for SECS s).
#
#   tools/bench/fastpath-bench.sh [--seconds N] [--offloads on|off] [--smoke]
#
# Compare within one run only (the machine is shared and noisy). --smoke:
# 1 s per cell, 1 and 4 streams up only; fails only when a cell moves no
# data. Needs root, iperf3, haproxy, nft, python3, ethtool, and a build
# with the fast path (libbpf, clang, bpftool).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
export SPLICEKIT_SRC=${SPLICEKIT_SRC:-$src}
export SPLICEKIT_BUILD=${SPLICEKIT_BUILD:-$src/build}
secs=5 offl=off smoke=0
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	--offloads) offl=$2; shift 2 ;;
	--smoke) smoke=1 secs=1; shift ;;
	*) echo "fastpath-bench: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
case $offl in on | off) ;; *) echo "fastpath-bench: --offloads wants on|off" >&2; exit 2 ;; esac
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require iperf3 haproxy nft python3 ethtool
[ -x "$SPLICEKIT_BUILD/dispatcher/spliced" ] || { echo "SKIP: build spliced first" >&2; exit 77; }

nb_init fb
nb_setup --servers 1 --offloads "$offl" >/dev/null || en_fail "testbed"
en_bridge_servers || en_fail "bridge"
nb_offloads "$offl" "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
nb_bpffs || en_fail "bpf filesystem"
srv=${NB_SRV_IP4[1]}
nb_bg "${NB_SRV[1]}" iperf3 -s -p 5201
nb_wait_port "${NB_SRV[1]}" 5201 || en_fail "iperf3 server"
# connection rate: a listener that accepts and closes
nb_bg "${NB_SRV[1]}" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5202)); s.listen(1024)
while True:
    c, _ = s.accept(); c.close()'
nb_wait_port "${NB_SRV[1]}" 5202 || en_fail "accept server"
# route: the client reaches the server's address through the dispatcher
ip -n "$NB_CLI" route add "$srv/32" via "$NB_DISP_CLI_IP4" || en_fail "client route"

forwarding() { nb_exec "$NB_DISP" sysctl -qw net.ipv4.ip_forward="$1"; }

# iperf3 Gbit/s to HOST with STREAMS streams, REV "" or -R
m_iperf()
{
	nb_exec "$NB_CLI" timeout $((secs + 15)) iperf3 -c "$1" -p 5201 -P "$2" $3 \
		-t "$secs" -J </dev/null 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)["end"]
    print("%.2f %d" % (d["sum_received"]["bits_per_second"] / 1e9, d["sum_received"]["bytes"]))
except Exception:
    print("0 0")'
}

# new connections per second to HOST:5202 for SECS s
m_cps()
{
	nb_exec "$NB_CLI" python3 -c '
import socket, sys, time
host, secs = sys.argv[1], float(sys.argv[2])
n, end = 0, time.time() + secs
while time.time() < end:
    s = socket.create_connection((host, 5202), timeout=2)
    s.close(); n += 1
print(int(n / secs))' "$1" "$secs" </dev/null 2>/dev/null || echo 0
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

declare -A V CPU
cells="1 up"$'\n'"4 up"
[ "$smoke" = 0 ] && cells="$cells"$'\n'"1 down"$'\n'"4 down"
FAILED=()
# run PATH HOST [PID]: every cell, and for a spliced PID its CPU per GB
run()
{
	local p=$1 host=$2 pid=${3:-} n dir r g b bytes=0 t0 t1
	[ -n "$pid" ] && t0=$(cpu_ticks "$pid")
	while read -r n dir; do
		r=; [ "$dir" = down ] && r=-R
		read -r g b < <(m_iperf "$host" "$n" "$r")
		V[$p.$n.$dir]=$g
		bytes=$((bytes + b))
		awk -v g="$g" 'BEGIN { exit !(g <= 0) }' && FAILED+=("$p $n $dir")
		nb_log "$p: $n stream(s) $dir: $g Gbit/s"
	done <<<"$cells"
	if [ -n "$pid" ]; then
		t1=$(cpu_ticks "$pid")
		CPU[$p]=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v b="$bytes" \
			'BEGIN { if (b > 0) printf "%.3f", t / hz / (b / 1e9); else print "-" }')
	fi
	V[$p.cps]=$(m_cps "$host")
}

spliced_conf()
{
	{
		echo "control-socket $NB_DIR/spliced.sock"
		echo "fastpath-dir $NB_DIR/bpf/$3-$2"  # no path adopts another's flows
		for port in 5201 5202; do
			echo "service bulk$port {"
			echo "	vip $NB_VIP4:$port"
			echo "	mode $3"
			echo "	client-interface $NB_DISP_CLI_IF"
			echo "	server-interface $EN_SRV_IF"
			echo "	io packet"
			echo "	transparent"
			echo "	fastpath $2"
			echo "	backend $srv:$port"
			echo "}"
		done
	} >"$1"
}

# --- the paths, one at a time ---
forwarding 1
run route "$srv"
nb_exec "$NB_DISP" nft -f - <<NFT || en_fail "nft"
table ip fbbench {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr $NB_VIP4 tcp dport { 5201, 5202 } dnat to $srv
	}
}
NFT
run dnat "$NB_VIP4"
nb_exec "$NB_DISP" nft delete table ip fbbench
forwarding 0

ip -n "$NB_DISP" addr add "$NB_VIP4/32" dev lo || en_fail "VIP on lo"
printf 'global\n\tmaxconn 4000\n\tnbthread 1\ndefaults\n\tmode tcp\n\ttimeout connect 5s\n\ttimeout client 30s\n\ttimeout server 30s\nlisten bulk\n\tbind %s:5201\n\tserver s1 %s:5201\nlisten cps\n\tbind %s:5202\n\tserver s1 %s:5202\n' \
	"$NB_VIP4" "$srv" "$NB_VIP4" "$srv" >"$NB_DIR/haproxy.cfg"
nb_bg "$NB_DISP" haproxy -db -f "$NB_DIR/haproxy.cfg"
ha=$NB_LASTPID
nb_wait_port "$NB_DISP" 5201 || en_fail "haproxy did not start"
run haproxy "$NB_VIP4"
kill "$ha"; wait "$ha" 2>/dev/null
ip -n "$NB_DISP" addr del "$NB_VIP4/32" dev lo

for p in nat nat-fp splice splice-fp; do
	fpm=off; [ "${p%-fp}" != "$p" ] && fpm=tc
	spliced_conf "$NB_DIR/$p.conf" "$fpm" "${p%-fp}"
	en_dispatcher "$NB_DIR/$p.conf"
	run "$p" "$NB_VIP4" "$EN_DISP_PID"
	en_dispatcher_stop
	cp "$NB_DIR/disp.stats" "$NB_DIR/$p.stats"
done
for p in nat-fp splice-fp; do
	[ "$(awk '$1 == "fp_offloaded" { print $2 }' "$NB_DIR/$p.stats")" -gt 0 ] 2>/dev/null ||
		FAILED+=("$p offloaded nothing")
done

# --- report ---
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
. "$SPLICEKIT_SRC/tools/bench/results.sh"
br_open fastpath-bench "seconds=$secs" "offloads=$offl" "smoke=$smoke"
printf '\nfastpath-bench: iperf3 %s s per cell, offloads %s, %s, %s\n' "$secs" "$offl" \
	"$(haproxy -v | awk 'NR == 1 { print "HAProxy " $3 }')" "$(uname -r)"
printf '%-10s %-9s %8s %9s %10s\n' path cell Gbit/s x_route x_haproxy
while read -r n dir; do
	for p in route dnat haproxy nat nat-fp splice splice-fp; do
		g=${V[$p.$n.$dir]}
		printf '%-10s %-9s %8s %9s %10s\n' "$p" "${n}x$dir" "$g" \
			"$(ratio "$g" "${V[route.$n.$dir]}")" "$(ratio "$g" "${V[haproxy.$n.$dir]}")"
		br_put "$p" "gbps_${n}_$dir" "$g" Gbit/s "$(ratio "$g" "${V[route.$n.$dir]}")"
	done
done <<<"$cells"
printf '\nnew connections/s: '
for p in route dnat haproxy nat nat-fp splice splice-fp; do
	printf '%s %s  ' "$p" "${V[$p.cps]}"
	br_put "$p" conn_s "${V[$p.cps]}" conn/s
done
printf '\nspliced CPU seconds per GB forwarded: nat %s, nat-fp %s (%sx less); splice %s, splice-fp %s (%sx less)\n' \
	"${CPU[nat]}" "${CPU[nat-fp]}" "$(ratio "${CPU[nat]}" "${CPU[nat-fp]}")" \
	"${CPU[splice]}" "${CPU[splice-fp]}" "$(ratio "${CPU[splice]}" "${CPU[splice-fp]}")"
br_put nat cpu_s_per_gb "${CPU[nat]}" s/GB
br_put nat-fp cpu_s_per_gb "${CPU[nat-fp]}" s/GB
br_put splice cpu_s_per_gb "${CPU[splice]}" s/GB
br_put splice-fp cpu_s_per_gb "${CPU[splice-fp]}" s/GB
for p in nat-fp splice-fp; do
	echo "$p: $(grep '^fp_' "$NB_DIR/$p.stats" | tr '\n' ' ')"
done
[ "$smoke" = 1 ] && echo "(smoke form: numbers only show that every cell runs)"
if [ ${#FAILED[@]} -gt 0 ]; then
	echo "FAIL: ${FAILED[*]}" >&2
	exit 1
fi
