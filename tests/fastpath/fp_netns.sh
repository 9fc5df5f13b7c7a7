#!/usr/bin/env bash
# Fast path between namespaces: fp_rig offloads two flows with a seq and
# timestamp delta (as a splice does) and forwards only their SYNs itself;
# an upload and a download of FP_NETNS_MB (default 64) MB then run through
# the tc translation.
# Checks: both transfers byte-identical (sha256), the filtered AF_PACKET
# readers saw nothing of those flows but SYN/FIN/RST, the map counted the
# bytes, and the ends' kernels report no checksum, SACK or PAWS trouble.
#   fp_netns.sh on|off|mixed [4|6]   offloads on the testbed links, family
# "mixed": the ends keep offloads (the dispatcher receives CHECKSUM_PARTIAL
# and GSO skbs) but the dispatcher's links have them off, so the kernel
# finishes each redirected checksum in software from what the program left
# and the receiver verifies it: veth alone trusts partial checksums, so
# only this form catches a wrong pseudo-header sum.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
nb_require_root
nb_require socat sha256sum nstat
offl=${1:-off} fam=${2:-4} mb=${FP_NETNS_MB:-64}
rig="$SPLICEKIT_BUILD/tests/fastpath/fp_rig"

nb_init fpn
nb_setup --offloads "${offl/mixed/on}" || exit 1
if [ "$offl" = mixed ]; then
	nb_offloads off "$NB_DISP $NB_DISP_CLI_IF" "$NB_DISP $NB_DISP_SRV1_IF" || exit 1
fi
if [ "$fam" = 6 ]; then
	cli=$NB_CLI_IP6 vip="[$NB_VIP6]"
	rvip="$NB_VIP6:80" rsrv="$NB_SRV1_IP6:5001"
else
	cli=$NB_CLI_IP4 vip=$NB_VIP4
	rvip="$NB_VIP4:80" rsrv="$NB_SRV1_IP4:5001"
fi

nb_bg "$NB_DISP" "$rig" --cif "$NB_DISP_CLI_IF" --sif "$NB_DISP_SRV1_IF" \
	--vip "$rvip" --server "$rsrv" --client "$cli" --ports 40001,40002 \
	--cmac "$(nb_mac "$NB_CLI" "$NB_CLI_IF")" \
	--smac "$(nb_mac "$NB_SRV1" "$NB_SRV1_IF")" \
	--delta 0x9e3779b9 --tsdelta 0x00fffff1
rigpid=$NB_LASTPID riglog=$NB_LASTLOG
for _ in $(seq 50); do grep -q '^ready' "$riglog" && break; sleep 0.1; done
grep -q '^ready' "$riglog" || { cat "$riglog" >&2; echo "FAIL: rig not ready"; exit 1; }

head -c "${mb}M" /dev/urandom >"$NB_DIR/data"
want=$(sha256sum <"$NB_DIR/data" | cut -d' ' -f1)
for ns in "$NB_CLI" "$NB_SRV1"; do nb_exec "$ns" nstat -n >/dev/null; done

# Upload: client port 40001 -> server.
nb_bg "$NB_SRV1" sh -c "socat -u TCP$fam-LISTEN:5001,reuseaddr - | sha256sum >'$NB_DIR/up'"
nb_wait_port "$NB_SRV1" 5001 || exit 1
nb_exec "$NB_CLI" timeout 60 socat -u "OPEN:$NB_DIR/data" "TCP:$vip:80,sourceport=40001"
for _ in $(seq 100); do [ -s "$NB_DIR/up" ] && break; sleep 0.1; done
# Download: server -> client port 40002.
nb_bg "$NB_SRV1" socat -u "OPEN:$NB_DIR/data" "TCP$fam-LISTEN:5001,reuseaddr"
nb_wait_port "$NB_SRV1" 5001 || exit 1
got_down=$(nb_exec "$NB_CLI" timeout 60 socat -u "TCP:$vip:80,sourceport=40002" - | sha256sum | cut -d' ' -f1)
sleep 0.5 # the last FIN/ACKs
kill -TERM "$rigpid"
for _ in $(seq 50); do grep -q '^filter_pass' "$riglog" && break; sleep 0.1; done

fail=0
check() { # name, condition text, result
	if [ "$3" = 1 ]; then echo "ok   $1 ($2)"; else echo "FAIL $1 ($2)"; fail=1; fi
}
v() { awk -v k="$1" '$1 == k { print $2 }' "$riglog"; }
cat "$riglog"
check upload-sha256 "$(cut -d' ' -f1 "$NB_DIR/up")" "$([ "$(cut -d' ' -f1 "$NB_DIR/up")" = "$want" ] && echo 1)"
check download-sha256 "$got_down" "$([ "$got_down" = "$want" ] && echo 1)"
check reader-saw-only-syn-fin-rst "seen_other=$(v seen_other)" "$([ "$(v seen_other)" = 0 ] && echo 1)"
check syns-handled-in-user-space "seen_syn=$(v seen_syn)" "$([ "$(v seen_syn)" -ge 4 ] && echo 1)"
check fins-observed "seen_fin=$(v seen_fin)" "$([ "$(v seen_fin)" -ge 4 ] && echo 1)"
check filter-dropped "filter_drop=$(v filter_drop)" "$([ "$(v filter_drop)" -ge 1000 ] && echo 1)"
check kernel-translated "tc_xlate=$(v tc_xlate) tc_err=$(v tc_err)" "$([ "$(v tc_xlate)" -ge 1000 ] && [ "$(v tc_err)" = 0 ] && echo 1)"
check map-counted-upload "map_c2s_40001_bytes=$(v map_c2s_40001_bytes)" "$([ "$(v map_c2s_40001_bytes)" -ge $((mb << 20)) ] && echo 1)"
check map-counted-download "map_s2c_40002_bytes=$(v map_s2c_40002_bytes)" "$([ "$(v map_s2c_40002_bytes)" -ge $((mb << 20)) ] && echo 1)"
for ns in "$NB_CLI" "$NB_SRV1"; do
	bad=$(nb_exec "$ns" nstat -az TcpInCsumErrors TcpExtTCPSACKDiscard TcpExtPAWSEstab |
		awk 'NR > 1 && $2 != 0 { printf "%s=%s ", $1, $2 }')
	check "kernel-counters-${ns##*-}" "${bad:-all zero}" "$([ -z "$bad" ] && echo 1)"
done
[ "$fail" = 0 ] && echo "PASS fp-netns offloads $offl IPv$fam" || exit 1
