#!/usr/bin/env bash
# nat mode with the kernel fast path (`fastpath tc`), against a real nginx.
#   nat_fastpath.sh off|on bulk     1 GB download: once the handshake is
#       done the kernel forwards the flow, spliced's receive counter stays
#       flat while the map's byte counter grows, `show conns` reports the
#       kernel's bytes, the file arrives byte-identical, and when the
#       connection ends its entries leave the map and its bytes are counted.
#   nat_fastpath.sh off|on restart  kill -9 spliced in the middle of a
#       download and start it again: the download never notices (completes
#       byte-identical, no reset), the new process adopts the flow from the
#       pinned map, and closes and counts it when it ends.
# off|on: the testbed's offloads (TSO/GSO/GRO, checksum offload); a third
# argument 6 runs it over IPv6.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl sha256sum ethtool python3
offl=${1:-off}
what=${2:-bulk}
EN_FAMILY=${3:-4}
MB=${FP_MB:-1024}
EN_FASTPATH=tc
nb_init fp
nb_setup --servers 1 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
vip=$NB_VIP4
[ "$EN_FAMILY" = 6 ] && vip="[$NB_VIP6]"
nb_bpffs || en_fail "mounting a bpf filesystem"
mkdir -p "$NB_DIR/www"
head -c $((MB * 1024 * 1024)) /dev/urandom >"$NB_DIR/www/big.bin"
want=$(sha256sum <"$NB_DIR/www/big.bin" | cut -d' ' -f1)
en_nginx 1 || en_fail "nginx"
# A short fin timeout: the ended flow leaves the table (and the map) soon.
en_config "$NB_DIR/nat.conf" timeout "fin 2s"
en_dispatcher "$NB_DIR/nat.conf"
grep -q "fastpath: on" "$EN_DISP_LOG" || en_fail "fast path not on: $(cat "$EN_DISP_LOG")"
nb_offloads "$offl" || en_fail "offloads $offl"
# Receive packet steering on every link: a veth delivers on the sending
# CPU, so a sender that migrates between CPUs reorders its own stream
# (per-CPU backlogs) and the receiver's PAWS check drops what arrives
# late. A NIC's RSS keeps a flow on one queue; RPS does that here.
set -- ${NB_LINKS[@]}
while [ $# -ge 2 ]; do
	ip netns exec "$1" sh -c "echo ${FP_RPS:-3} > /sys/class/net/$2/queues/rx-0/rps_cpus" ||
		en_fail "rps on $2"
	shift 2
done
sock=$NB_DIR/spliced.sock
ctl() { "$SPLICEKIT_BUILD/tools/splicectl" -s "$sock" "$@"; }
st() { ctl show stats | awk -v k="$1" '$1 == k { print $2 }'; }
# One connection's field from show conns --json (the only connection).
conn() {
	ctl show conns --json | python3 -c '
import json, sys
c = json.load(sys.stdin)["conns"]
print(c[0][sys.argv[1]] if c else "none")' "$1"
}

# Paced by the server's own interface (1 GB takes ~22 s), so the samples
# below fall inside the transfer whatever the offloads do (a GSO burst
# outruns curl's --limit-rate) and however slowly a loaded machine runs
# splicectl.
rate=400mbit
ip netns exec "${NB_SRV[1]}" tc qdisc add dev "${NB_SRV_IF[1]}" root tbf \
	rate $rate burst 256kb latency 100ms || en_fail "tbf on the server"
nb_exec "$NB_CLI" curl -sS --max-time 120 --connect-timeout 3 \
	-g "http://$vip/files/big.bin" -o "$NB_DIR/got.bin" 2>"$NB_DIR/curl.err" &
cpid=$!
for ((t = 0; t < 50; t++)); do
	[ "$(conn offloaded 2>/dev/null)" = True ] && break
	sleep 0.1
done
[ "$(conn offloaded)" = True ] || en_fail "flow not offloaded: $(ctl show stats | grep '^fp_')"

r1=$(st rx_packets); b1=$(conn fp_bytes_out)
sleep 1
r2=$(st rx_packets); b2=$(conn fp_bytes_out)
[ "$b2" -gt "$b1" ] 2>/dev/null || en_fail "map byte counter did not grow ($b1 -> $b2): $(ctl show stats | grep -E "^(fp_|flows_|rx_pa)" | tr "\n" " ") curl: $(head -c 300 "$NB_DIR/curl.err")"
# Nothing of the flow comes up while it runs (a stray ARP-less frame of
# another kind would not be captured either: the filter matches).
[ $((r2 - r1)) -le 2 ] || en_fail "spliced still receives the flow: rx_packets $r1 -> $r2"
echo "during the transfer: rx_packets $r1 -> $r2, kernel bytes out $b1 -> $b2"

if [ "$what" = restart ]; then
	kill -9 "$EN_DISP_PID"
	wait "$EN_DISP_PID" 2>/dev/null
	# Down for a while, mid-transfer: the kernel keeps forwarding.
	a=$(stat -c %s "$NB_DIR/got.bin")
	sleep 1.5
	b=$(stat -c %s "$NB_DIR/got.bin")
	[ "$b" -gt "$a" ] || en_fail "no progress while spliced was down ($a -> $b bytes)"
	echo "spliced killed: the download went on ($a -> $b bytes in 1.5 s)"
	: >"$EN_DISP_LOG"
	en_dispatcher "$NB_DIR/nat.conf"
	grep -q "fastpath: on (2 map entries adopted" "$EN_DISP_LOG" ||
		en_fail "restart did not adopt the flow: $(cat "$EN_DISP_LOG")"
	[ "$(st fp_adopted)" = 1 ] || en_fail "fp_adopted $(st fp_adopted), want 1"
fi

wait "$cpid" || en_fail "curl failed: $(head -2 "$NB_DIR/curl.err")"
got=$(sha256sum <"$NB_DIR/got.bin" | cut -d' ' -f1)
[ "$got" = "$want" ] || en_fail "sha256 $got, want $want"
# The ended flow leaves the table, its entries the map, its bytes counted.
for ((t = 0; t < 100; t++)); do
	[ "$(st fp_closed)" = 1 ] && break
	sleep 0.2
done
[ "$(st fp_closed)" = 1 ] || en_fail "flow not closed: $(ctl show stats | grep -E '^(fp_|flows)')"
fpb=$(st fp_bytes)
min=$((MB * 1024 * 1024))
[ "$what" = restart ] && min=1 # the new process counts from its start
[ "$fpb" -ge "$min" ] || en_fail "fp_bytes $fpb < $min"
rx=$(st rx_packets)
[ "$what" = bulk ] && [ "$rx" -gt 200 ] && en_fail "spliced received $rx packets for one offloaded download"
for ns in "$NB_CLI" "${NB_SRV[1]}"; do
	for c in TcpInCsumErrors TcpExtTCPSACKDiscard TcpExtPAWSEstab; do
		v=$(ip netns exec "$ns" nstat -az "$c" | awk -v k="$c" '$1 == k { print $2 }')
		[ "${v:-0}" = 0 ] || en_fail "$ns: $c = $v"
	done
done
en_dispatcher_stop
echo "PASS: nat fast path $what, IPv$EN_FAMILY, offloads $offl: $MB MB byte-identical, kernel bytes $fpb, spliced rx_packets $rx"
