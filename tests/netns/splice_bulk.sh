#!/usr/bin/env bash
# Bulk data through splice mode, byte-identical (sha256), with real peers:
#   - HTTPS: curl downloads 100 MB from nginx (TLS hello parsed, spliced)
#   - plain TCP (service "bulk", port 9000; its first bytes are not TLS, so
#     spliced balances without a hello): 100 MB and 1 GB downloads, and
#     uploads, where the client sends the file, half-closes, and the
#     server answers with the sha256 of what it received (FIN from the
#     client first, data after it from the server)
#   - a download to a client whose receive buffer is 4 KB and that reads
#     at ~100 KB/s for its first 256 KB, then not at all for 3 s
#     (tests/netns/slowread.py): the capture must show zero windows, and
#     the data must still arrive intact
#   - iperf3 for 3 s in both directions (-R) (service "perf", one backend,
#     so its control and data connections meet the same server)
# 100 MB cases run with the testbed's offloads off and on (TSO/GSO/GRO and
# checksum offload on every veth); the 1 GB ones, the zero-window and the
# iperf3 cases once, with offloads on.
#   splice_bulk.sh [--mode nat|splice]  (nat: the same cases through nat mode)
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/tls_lib.sh"
nb_require_root
nb_require nginx openssl curl socat iperf3 tshark python3 sha256sum ethtool
MODE=splice
[ "${1:-}" = --mode ] && MODE=$2
BIG=${BULK_BIG_MB:-1024}

nb_init sk
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
tl_pki || en_fail "certificates"
mkdir -p "$NB_DIR/www"
head -c $((100 << 20)) /dev/urandom >"$NB_DIR/www/100m.bin" || en_fail "100 MB file"
head -c $((BIG << 20)) /dev/urandom >"$NB_DIR/www/big.bin" || en_fail "$BIG MB file"
sum100=$(sha256sum <"$NB_DIR/www/100m.bin" | cut -d' ' -f1)
sumbig=$(sha256sum <"$NB_DIR/www/big.bin" | cut -d' ' -f1)

# The plain-TCP server: "GET FILE" sends the file, "PUT -" answers the
# sha256 of everything after the request line, up to the client's FIN.
cat >"$NB_DIR/bulksrv.sh" <<EOF
#!/bin/bash
read -r cmd arg
case \$cmd in
GET) exec cat "$NB_DIR/www/\$arg" ;;
PUT) sha256sum | cut -d' ' -f1 ;;
esac
EOF
chmod +x "$NB_DIR/bulksrv.sh"
for i in 1 2 3; do
	tl_nginx $i || en_fail "nginx $i"
	nb_bg "${NB_SRV[i]}" socat TCP-LISTEN:9000,reuseaddr,fork EXEC:"$NB_DIR/bulksrv.sh"
	nb_wait_port "${NB_SRV[i]}" 9000 || en_fail "bulk server $i"
done
nb_bg "$NB_SRV1" iperf3 -s -p 5201
nb_wait_port "$NB_SRV1" 5201 || en_fail "iperf3 server"

svc() { # NAME PORT BACKEND-COUNT
	local i
	echo "service $1 {"
	echo "	vip $NB_VIP4:$2"
	echo "	mode $MODE"
	echo "	client-interface $NB_DISP_CLI_IF"
	echo "	server-interface $EN_SRV_IF"
	echo "	io packet"
	echo "	scheduler rr"
	echo "	transparent"
	[ -n "${EN_FASTPATH:-}" ] && echo "	fastpath $EN_FASTPATH"
	for ((i = 1; i <= $3; i++)); do echo "	backend ${NB_SRV_IP4[i]}:$2"; done
	echo "}"
}
{
	echo "control-socket $NB_DIR/spliced.sock"
	echo "workers 1"
	[ -n "${EN_FASTPATH:-}" ] && echo "fastpath-dir $NB_DIR/bpf/spliced"
	svc tls "$TL_PORT" 3
	svc bulk 9000 3
	svc perf 5201 1
} >"$NB_DIR/bulk.conf"
en_dispatcher "$NB_DIR/bulk.conf"

secs() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }
mbps() { echo "$1 $2" | awk '{ printf "%.0f", $1 * 8 / 1e6 / ($2 > 0 ? $2 : 1) }'; }
t0=
tick() { t0=$(date +%s.%N); }
tock() { secs "$t0" "$(date +%s.%N)"; }

https_down() { # OFFL
	tick
	got=$(nb_exec "$NB_CLI" curl -sS --max-time 120 --cacert "$TL_PKI/ca.crt" \
		--resolve "$TL_SNI:$TL_PORT:$NB_VIP4" "https://$TL_SNI:$TL_PORT/files/100m.bin" \
		2>"$NB_DIR/curl.err" | sha256sum | cut -d' ' -f1)
	t=$(tock)
	[ "$got" = "$sum100" ] || en_fail "offloads $1: HTTPS 100 MB download: sha256 $got ($(head -2 "$NB_DIR/curl.err"))"
	echo "offloads $1: HTTPS download  100 MB  identical  ${t} s  $(mbps $((100 << 20)) "$t") Mbit/s"
}
tcp_down() { # OFFL FILE SUM MB
	tick
	got=$(printf 'GET %s\n' "$2" | nb_exec "$NB_CLI" timeout 300 socat -t 120 - \
		"TCP:$NB_VIP4:9000" 2>"$NB_DIR/socat.err" | sha256sum | cut -d' ' -f1)
	t=$(tock)
	[ "$got" = "$3" ] || en_fail "offloads $1: TCP $4 MB download: sha256 $got ($(head -2 "$NB_DIR/socat.err"))"
	echo "offloads $1: TCP download   $4 MB  identical  ${t} s  $(mbps $(($4 << 20)) "$t") Mbit/s"
}
tcp_up() { # OFFL FILE SUM MB
	tick
	got=$({ printf 'PUT -\n'; cat "$NB_DIR/www/$2"; } | nb_exec "$NB_CLI" timeout 300 \
		socat -t 120 - "TCP:$NB_VIP4:9000" 2>"$NB_DIR/socat.err")
	t=$(tock)
	[ "$got" = "$3" ] || en_fail "offloads $1: TCP $4 MB upload: server got sha256 '$got' ($(head -2 "$NB_DIR/socat.err"))"
	echo "offloads $1: TCP upload     $4 MB  identical  ${t} s  $(mbps $(($4 << 20)) "$t") Mbit/s"
}

for offl in off on; do
	nb_offloads "$offl" || en_fail "offloads $offl"
	https_down "$offl"
	tcp_down "$offl" 100m.bin "$sum100" 100
	tcp_up "$offl" 100m.bin "$sum100" 100
done
tcp_down on big.bin "$sumbig" "$BIG"
tcp_up on big.bin "$sumbig" "$BIG"

# Zero windows: capture the client's segments (headers only) while a
# 4 KB-buffer client reads 20 MB: 256 KB slowly, nothing for 3 s, the rest.
head -c $((20 << 20)) "$NB_DIR/www/100m.bin" >"$NB_DIR/www/20m.bin"
sum20=$(sha256sum <"$NB_DIR/www/20m.bin" | cut -d' ' -f1)
nb_bg "$NB_DISP" tshark -q -i "$NB_DISP_CLI_IF" -s 96 -w "$NB_DIR/zw.pcap" \
	-f "tcp port 9000 and src host $NB_CLI_IP4"
TS_PID=$NB_LASTPID
sleep 1.5
out=$(nb_exec "$NB_CLI" timeout 120 python3 "$SPLICEKIT_SRC/tests/netns/slowread.py" \
	"$NB_VIP4" 9000 "GET 20m.bin" --rcvbuf 4096 --slow $((256 << 10)) --pause 3)
sleep 0.5
kill "$TS_PID"; wait "$TS_PID" 2>/dev/null
[ "$out" = "$((20 << 20)) $sum20" ] || en_fail "slow reader: got '$out', want $((20 << 20)) $sum20"
zw=$(tshark -r "$NB_DIR/zw.pcap" -Y 'tcp.window_size_value == 0 && !(tcp.flags.syn == 1) && !(tcp.flags.reset == 1)' 2>/dev/null | wc -l)
echo "slow reader (4 KB buffer): 20 MB identical, $zw zero-window segments from the client"
[ "$zw" -gt 0 ] || en_fail "the slow reader never advertised a zero window: the case did not test what it should"

for dir in "" -R; do
	j=$(nb_exec "$NB_CLI" timeout 30 iperf3 -c "$NB_VIP4" -p 5201 -t 3 -J $dir 2>&1)
	bps=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(int(d["end"]["sum_received"]["bits_per_second"]))' <<<"$j" 2>/dev/null)
	[ -n "$bps" ] && [ "$bps" -gt 0 ] || en_fail "iperf3 $dir: $(head -c 300 <<<"$j")"
	echo "iperf3 ${dir:-(client sends)}: $((bps / 1000000)) Mbit/s"
done

kill -0 "$EN_DISP_PID" || en_fail "spliced died"
tl_ctl show stats | grep '^splice_\|^flows_\|^gso\|^retrans\|^tx_errors' | sed 's/^/  /'
txe=$(tl_stat tx_errors)
[ "${txe:-0}" -eq 0 ] || en_fail "tx_errors = $txe: spliced failed to send segments"
if [ "$MODE" = splice ]; then
	ref=$(tl_stat splice_be_refused)
	[ "${ref:-0}" -eq 0 ] || en_fail "splice_be_refused = $ref with every backend up"
fi
en_dispatcher_stop
tl_sanitizer_check
echo "PASS: splice_bulk ($MODE): HTTPS/TCP 100 MB both offload modes, $BIG MB down+up, zero windows, iperf3 both ways"
