#!/usr/bin/env bash
# tools/bench/nat-bench.sh: spliced nat mode next to the alternatives, one
# run, one testbed (client ns -> dispatcher ns -> one server ns, veth):
#
#   kernel     plain IP forwarding in the dispatcher ns (no middlebox)
#   nftables   an nftables DNAT rule for the VIP (kernel conntrack NAT)
#   haproxy    HAProxy `mode tcp` (a full TCP proxy)
#   spliced-afp  spliced nat mode, AF_PACKET ring in (io packet), raw IP out
#   spliced-pcap spliced nat mode, libpcap in (io pcap), raw IP out
#
# For each: bulk throughput (iperf3, one stream, SECS s) and connections
# per second (wrk, 16 connections, a new TCP connection per request, SECS
# s), with ratios to kernel routing; then spliced's memory per tracked
# flow. Absolute numbers drift between runs and machines: compare within
# one run.
#
#   tools/bench/nat-bench.sh [--seconds N] [--offloads on|off] [--workers N] [--smoke]
#
# --smoke: 1 s per measurement; exits non-zero unless every path moved
# data (the form registered in the 'bench' test suite). Needs root.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
export SPLICEKIT_SRC=${SPLICEKIT_SRC:-$src}
export SPLICEKIT_BUILD=${SPLICEKIT_BUILD:-$src/build}
secs=5 offl=off workers=1 smoke=0
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	--offloads) offl=$2; shift 2 ;;
	--workers) workers=$2; shift 2 ;;
	--smoke) smoke=1 secs=1; shift ;;
	-h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "nat-bench: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -ge 1 ] && [ "$secs" -le 60 ] ||
	{ echo "nat-bench: --seconds wants 1..60" >&2; exit 2; }
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx iperf3 wrk haproxy nft
[ -x "$SPLICEKIT_BUILD/dispatcher/spliced" ] ||
	{ echo "SKIP: build spliced first (ninja -C build)" >&2; exit 77; }

nb_init en
nb_setup --servers 1 --offloads "$offl" >/dev/null || en_fail "testbed"
srv=${NB_SRV_IP4[1]}
dif=${NB_DISP_SRV_IF[1]}
# Silent drop of VIP traffic the kernel would otherwise answer (see
# nat_lib.sh); the client reaches the server network for plain routing.
ip -n "$NB_DISP" route add blackhole "$NB_VIP4/32"
ip -n "$NB_CLI" route add "10.0.11.0/24" via "$NB_DISP_CLI_IP4"
en_nginx 1 >/dev/null || en_fail "nginx"
nb_bg "${NB_SRV[1]}" iperf3 -s -p 5201
nb_wait_port "${NB_SRV[1]}" 5201 || en_fail "iperf3 server"

# measure TARGET_IP: prints "Gbit/s conn/s"
measure()
{
	local ip=$1 gbps cps
	gbps=$(nb_exec "$NB_CLI" timeout $((secs + 15)) iperf3 -c "$ip" -p 5201 \
		-t "$secs" -J 2>/dev/null | python3 -c '
import json, sys
try:
    print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("0")')
	cps=$(nb_exec "$NB_CLI" timeout $((secs + 15)) wrk -t1 -c16 -d"${secs}s" \
		-H 'Connection: close' "http://$ip/" 2>/dev/null |
		awk '/^Requests\/sec/ { printf "%d", $2 }')
	echo "${gbps:-0} ${cps:-0}"
}

declare -A G C
forwarding() { ip netns exec "$NB_DISP" sysctl -qw net.ipv4.ip_forward="$1"; }

# spliced: forwarding off, the VIP seen only by spliced.
cat >"$NB_DIR/bench.conf" <<CONF
control-socket $NB_DIR/spliced.sock
workers $workers
service web {
	vip $NB_VIP4:80
	client-interface $NB_DISP_CLI_IF
	server-interface $dif
	io IO
	scheduler rr
	backend $srv:80
	transparent
}
service iperf {
	vip $NB_VIP4:5201
	client-interface $NB_DISP_CLI_IF
	server-interface $dif
	io IO
	scheduler rr
	backend $srv:5201
	transparent
}
CONF
forwarding 0
for io in packet pcap; do
	p=spliced-afp
	[ $io = pcap ] && p=spliced-pcap
	sed "s/\tio IO/\tio $io/" "$NB_DIR/bench.conf" >"$NB_DIR/bench-$io.conf"
	en_dispatcher "$NB_DIR/bench-$io.conf"
	read -r G[$p] C[$p] < <(measure "$NB_VIP4")
	bpf=$(nb_exec "$NB_DISP" "$SPLICEKIT_BUILD/tools/splicectl" -s "$NB_DIR/spliced.sock" \
		show stats 2>/dev/null | awk '$1 == "bytes_per_flow" { print $2 }')
	en_dispatcher_stop
done

# kernel routing straight to the server.
forwarding 1
read -r G[kernel] C[kernel] < <(measure "$srv")

# nftables DNAT of the VIP to the server.
nb_exec "$NB_DISP" nft -f - <<NFT || en_fail "nft"
table ip enbench {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr $NB_VIP4 tcp dport { 80, 5201 } dnat to $srv
	}
}
NFT
read -r G[nftables] C[nftables] < <(measure "$NB_VIP4")
nb_exec "$NB_DISP" nft delete table ip enbench
forwarding 0

# HAProxy mode tcp on the dispatcher's client-side address.
cat >"$NB_DIR/haproxy.cfg" <<CFG
global
	maxconn 8000
defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
listen web
	bind $NB_DISP_CLI_IP4:80
	server s1 $srv:80
listen iperf
	bind $NB_DISP_CLI_IP4:5201
	server s1 $srv:5201
CFG
nb_bg "$NB_DISP" haproxy -db -f "$NB_DIR/haproxy.cfg"
hpid=$NB_LASTPID
nb_wait_port "$NB_DISP" 5201 || en_fail "haproxy"
read -r G[haproxy] C[haproxy] < <(measure "$NB_DISP_CLI_IP4")
kill "$hpid" 2>/dev/null

printf '\nnat-bench: %s s per measurement, offloads %s, spliced workers %s, %s\n' \
	"$secs" "$offl" "$workers" "$(uname -r)"
printf '%-13s %10s %8s %10s %8s\n' path Gbit/s ratio conn/s ratio
. "$SPLICEKIT_SRC/tools/bench/results.sh"
br_open nat-bench "seconds=$secs" "offloads=$offl" "workers=$workers" "smoke=$smoke"
fail=0
for p in kernel nftables haproxy spliced-afp spliced-pcap; do
	gr=$(awk -v a="${G[$p]}" -v b="${G[kernel]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	cr=$(awk -v a="${C[$p]}" -v b="${C[kernel]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	printf '%-13s %10s %8s %10s %8s\n' "$p" "${G[$p]}" "$gr" "${C[$p]}" "$cr"
	br_put "$p" throughput "${G[$p]}" Gbit/s "$gr"
	br_put "$p" connections "${C[$p]}" conn/s "$cr"
	[ "${C[$p]:-0}" -gt 0 ] && [ "$(echo "${G[$p]} > 0" | bc -l)" = 1 ] || fail=1
done
echo "spliced memory per tracked flow: ${bpf:-?} bytes (flow slot + hash buckets, preallocated)"
br_put spliced memory_per_flow "${bpf:-}" bytes
[ -n "$BR_FILE" ] && echo "recorded in $BR_FILE (tools/bench/summary compares runs)"
if [ "$fail" = 1 ]; then
	echo "FAIL: a path moved no data" >&2
	exit 1
fi
exit 0
