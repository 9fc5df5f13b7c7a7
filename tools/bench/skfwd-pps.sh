#!/usr/bin/env bash
# Packets per second through skfwd, per capture backend, next to the kernel
# routing the same traffic, in one run on one testbed (ratios, because
# absolute figures drift with machine load).
#
#   tools/bench/skfwd-pps.sh [--secs N] [--offloads on|off] [--mss N]
#                            [--streams N] [--threads N] [--build DIR] [--smoke]
#
# Paths (client ns -> dispatcher ns -> server ns, iperf3, one TCP stream,
# client sending):
#   kernel     dispatcher forwards (ip_forward=1), client targets the server
#   pcap       skfwd --io pcap, client targets the VIP, forwarding off
#   afpacket   skfwd --io afpacket, same
#   afpacket-Nt  with --threads N > 1: skfwd --io afpacket --threads N
#              (fanout by flow hash: use --streams N too)
#   afpacket-bK  with --block-kb "K1 K2 ...": one afpacket path per ring
#              block size, to see the batching/latency trade-off
# pps counts every packet the dispatcher sends on both veths during the
# run (both directions, data and ACKs), from /sys/class/net/*/statistics.
# --mss makes segments small (packet rate bound rather than byte bound).
# --smoke: 2 s per path, fails only if a path moves no data. Needs root.
set -u
cd "$(dirname "$0")/../.."
secs=5 offl=off mss= build=build smoke=0 streams=1 threads=1 blocks=
while [ $# -gt 0 ]; do
	case $1 in
	--secs) secs=$2; shift 2 ;;
	--offloads) offl=$2; shift 2 ;;
	--mss) mss=$2; shift 2 ;;
	--streams) streams=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--block-kb) blocks=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--smoke) smoke=1 secs=2; shift ;;
	-h | --help) sed -n '2,23p' "$0"; exit 0 ;;
	*) echo "skfwd-pps: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
if ! [[ $secs =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ] || [ "$secs" -gt 60 ]; then
	echo "skfwd-pps: --secs wants 1..60" >&2
	exit 2
fi
. tests/netns/lib.sh
nb_require_root
nb_require iperf3 python3
skfwd=$build/tools/skfwd
[ -x "$skfwd" ] || { echo "skfwd-pps: build first ($skfwd missing)" >&2; exit 2; }

nb_init ribn
nb_setup --servers 1 --offloads "$offl" >/dev/null || exit 1
nb_bg "$NB_SRV1" iperf3 -s -p 5201
nb_wait_port "$NB_SRV1" 5201 || exit 1
dc=$NB_DISP_CLI_IF d1=${NB_DISP_SRV_IF[1]}

txpkts() {
	local a b
	{ read -r a; read -r b; } < <(nb_exec "$NB_DISP" cat \
		"/sys/class/net/$dc/statistics/tx_packets" \
		"/sys/class/net/$d1/statistics/tx_packets")
	echo $((a + b))
}

# run NAME TARGET: one iperf3 run; prints "NAME pps gbits"
run() {
	local name=$1 target=$2 before after json gbits
	local mssarg=()
	[ -n "$mss" ] && mssarg=(-M "$mss")
	before=$(txpkts)
	json=$(nb_exec "$NB_CLI" timeout $((secs + 15)) iperf3 -c "$target" -p 5201 \
		-t "$secs" -P "$streams" -J "${mssarg[@]}" 2>/dev/null)
	after=$(txpkts)
	gbits=$(python3 -c 'import json,sys
try: print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))
except Exception: print("0")' <<<"$json")
	echo "$name $(((after - before) / secs)) $gbits"
}

results=()
# Kernel routing: the same namespaces, forwarding on for this run only.
nb_exec "$NB_DISP" sysctl -qw net.ipv4.ip_forward=1
ip -n "$NB_CLI" route add "${NB_SRV_IP4[1]}/32" via "$NB_DISP_CLI_IP4"
results+=("$(run kernel "${NB_SRV_IP4[1]}")")
ip -n "$NB_CLI" route del "${NB_SRV_IP4[1]}/32"
nb_exec "$NB_DISP" sysctl -qw net.ipv4.ip_forward=0

paths=(pcap:1 afpacket:1)
[ "$threads" -gt 1 ] && paths+=("afpacket:$threads")
for k in $blocks; do paths+=("afpacket:1:$k"); done
for p in "${paths[@]}"; do
	IFS=: read -r io nt bk <<<"$p"
	name=skfwd-$io
	[ "$nt" -gt 1 ] && name=$name-${nt}t
	bkarg=()
	[ -n "$bk" ] && name=$name-b$bk && bkarg=(--block-kb "$bk")
	nb_bg "$NB_DISP" "$skfwd" --io "$io" --client-if "$dc" --server-if "$d1" \
		--vip "$NB_VIP4" --port 5201 --backend "${NB_SRV_IP4[1]}" \
		--duration $((secs + 30)) --threads "$nt" "${bkarg[@]}" -v
	fpid=$NB_LASTPID flog=$NB_LASTLOG
	for ((i = 0; i < 50; i++)); do
		grep -q "skfwd: $io:" "$flog" 2>/dev/null && break
		sleep 0.1
	done
	results+=("$(run "$name" "$NB_VIP4")")
	kill -TERM "$fpid"
	for ((i = 0; i < 30; i++)); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
	grep '^skfwd: [cs]2[sc] ' "$flog" | sed "s/^/  [$name] /" >&2
done

read -r _ kpps kgbit <<<"${results[0]}"
# With offloads on the kernel moves 64 KB super-packets, so its pps is low
# and only the Gbit/s ratio compares like with like.
printf '%-18s %10s %8s %10s %8s\n' path pps ratio Gbit/s ratio
. tools/bench/results.sh
br_open skfwd-pps "secs=$secs" "offloads=$offl" "streams=$streams" "threads=$threads" \
	"mss=${mss:-default}" "block_kb=${blocks:-default}" "smoke=$smoke"
rc=0
for r in "${results[@]}"; do
	read -r name pps gbits <<<"$r"
	ratio=$(python3 -c "print('%.2f' % ($pps / $kpps if $kpps else 0))")
	gratio=$(python3 -c "print('%.2f' % ($gbits / $kgbit if $kgbit else 0))")
	printf '%-18s %10s %8s %10s %8s\n' "$name" "$pps" "$ratio" "$gbits" "$gratio"
	br_put "$name" packets "$pps" pkt/s "$ratio"
	br_put "$name" throughput "$gbits" Gbit/s "$gratio"
	[ "$gbits" = 0 ] || [ "$pps" -le 0 ] && { echo "path $name moved no data" >&2; rc=1; }
done
echo "(offloads $offl, ${secs}s per path, $streams TCP stream(s)${mss:+, MSS $mss}; load: $(cut -d' ' -f1 /proc/loadavg))"
exit $rc
