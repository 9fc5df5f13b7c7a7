#!/usr/bin/env bash
# splice mode under packet loss, with real kernels on both ends: nftables
# drops 2% of the segments in each direction as they arrive (this kernel
# has no netem), so both ends retransmit, receive out of order and
# answer with SACK blocks, all through spliced's translation. A 30 MB
# download (nginx -> curl) and a 30 MB upload (socat -> socat) must arrive
# byte-identical, and the kernels must not have thrown away a single SACK
# block as invalid (TcpExtTCPSACKDiscard) nor a segment as a timestamp
# replay (TcpExtPAWSEstab): proof that SACK blocks and timestamps are
# translated right, not just tolerated. Offloads off, then on.
#
# Needs root (namespaces, raw sockets); exits 77 (skip) otherwise.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl socat nft ethtool
offloads=${1:-off}
SIZE=30000000

nb_init sl
nb_setup --servers 3 --offloads "$offloads" || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads "$offloads" "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
# Every link hands what it receives to one CPU (RPS mask 1). Without GRO a
# veth queues each packet on the backlog of the CPU that sent it, so two
# segments sent one after the other from two CPUs (a TCP's ACK from
# softirq and the next from the reading process, or spliced's thread
# before and after a migration) can be received in either order. A
# reordered ACK carries an older TSval than the one before it, and the
# receiver drops it by PAWS (TcpExtPAWSEstab: only duplicate ACKs are
# excused), which this test would take for a wrong timestamp translation
# (seen once in 50 runs with offloads off: the client's ACKs 602617 and
# 604065 reached spliced in reverse order, and backend 1 dropped the first).
# One receiving CPU per link keeps each sender's order.
for link in "${NB_LINKS[@]}"; do
	read -r ns dev <<<"$link"
	nb_exec "$ns" sh -c "echo 1 >/sys/class/net/$dev/queues/rx-0/rps_cpus" ||
		en_fail "RPS on $dev in $ns"
done
for i in 1 2 3; do en_nginx $i || en_fail "nginx $i"; done
en_config "$NB_DIR/splice.conf"
sed -i 's/mode nat/mode splice/' "$NB_DIR/splice.conf"
en_dispatcher "$NB_DIR/splice.conf"

# Loss on arrival (input hooks of the receiving namespaces): a drop at
# the sender's own output would be reported to its TCP and retried
# without counting as loss.
lossy()
{
	local ns=$1 match=$2
	nb_exec "$ns" nft add table inet lossy &&
		nb_exec "$ns" nft add chain inet lossy in '{ type filter hook input priority 0; }' &&
		nb_exec "$ns" nft add rule inet lossy in tcp "$match" 80 numgen random mod 100 '<' 2 drop
}
# SL_CAPTURE=DIR: record both legs at the dispatcher (headers only) into
# DIR/NB_ID-{cli,srv}.pcap, kept only when the test fails.
if [ -n "${SL_CAPTURE:-}" ]; then
	for leg in cli:"$NB_DISP_CLI_IF" srv:"$EN_SRV_IF"; do
		nb_bg "$NB_DISP" dumpcap -q -P -s 96 -i "${leg#*:}" -w "$SL_CAPTURE/$NB_ID-${leg%%:*}.pcap"
	done
	sleep 1
fi
lossy "$NB_CLI" sport || en_fail "nft in the client namespace"
for i in 1 2 3; do lossy "${NB_SRV[i]}" dport || en_fail "nft in server $i"; done

# counter NS NAME: the namespace's count since it was made (TcpExtX from
# /proc/net/netstat, or TcpX from /proc/net/snmp)
counter()
{
	nb_exec "$1" cat /proc/net/netstat /proc/net/snmp | awk -v k="$2" '
		$1 ~ /:$/ { p = substr($1, 1, length($1) - 1) }
		!(p in hdr) { hdr[p] = $0; next }
		{ n = split(hdr[p], h); for (i = 2; i <= n; i++) if (p h[i] == k) print $i; delete hdr[p] }'
}
# check_kernels: fail unless every kernel kept all SACK blocks and passed
# PAWS; sets SL_REC to the SACK recoveries so far. Runs in the test's own
# shell (not in $(...)), so en_fail ends the test. A discard names the
# kernel's dubious D-SACKs too (D-SACKs of segments it never sent twice,
# which it then discards as ordinary blocks below its una).
SL_REC=0
check_kernels()
{
	local ns v sack=0
	for ns in "$NB_CLI" "${NB_SRV[@]:1}"; do
		v=$(counter "$ns" TcpExtTCPSACKDiscard)
		[ "${v:-x}" = 0 ] || en_fail "$ns discarded ${v:-?} SACK blocks as invalid ($(counter "$ns" TcpExtTCPDSACKIgnoredDubious) of its D-SACKs were dubious)"
		v=$(counter "$ns" TcpExtPAWSEstab)
		[ "${v:-x}" = 0 ] || en_fail "$ns dropped ${v:-?} segments by PAWS"
		v=$(counter "$ns" TcpExtTCPSackRecovery)
		sack=$((sack + ${v:-0}))
	done
	SL_REC=$sack
}

head -c $SIZE /dev/urandom >"$NB_DIR/www/big" || en_fail "test file"
want=$(sha256sum <"$NB_DIR/www/big" | cut -d' ' -f1)
got=$(nb_exec "$NB_CLI" curl -sS --max-time 120 "http://$NB_VIP4/files/big" |
	sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || en_fail "download through the splice differs (sha256 $got, want $want)"
check_kernels
rec=$SL_REC
echo "download: 30 MB identical, $rec SACK recoveries, no SACK block discarded, no PAWS drop"
[ "$rec" -gt 0 ] || en_fail "no SACK recovery happened: the loss rules did not bite"

# Upload: socat sinks on the backends' port 80 instead of nginx.
for i in 1 2 3; do
	eval "kill \$EN_NGINX${i}_PID"
done
sleep 0.3
for i in 1 2 3; do
	nb_bg "${NB_SRV[i]}" socat -u TCP-LISTEN:80,reuseaddr "CREATE:$NB_DIR/up$i"
	nb_wait_port "${NB_SRV[i]}" 80 10 || en_fail "socat $i"
done
nb_exec "$NB_CLI" timeout 120 socat -u "OPEN:$NB_DIR/www/big" "TCP:$NB_VIP4:80" ||
	en_fail "upload through the splice failed"
sleep 0.5
up=$(cat "$NB_DIR"/up[123] 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$up" = "$want" ] || en_fail "upload through the splice differs (sha256 $up, want $want)"
check_kernels
rec2=$SL_REC
echo "upload: 30 MB identical, $((rec2 - rec)) more SACK recoveries, no SACK block discarded, no PAWS drop"
[ "$rec2" -gt "$rec" ] || en_fail "no SACK recovery during the upload: the loss rules did not bite"
en_dispatcher_stop
[ -n "${SL_CAPTURE:-}" ] && rm -f "$SL_CAPTURE/$NB_ID"-*.pcap
echo "PASS: splice_loss (offloads $offloads)"
