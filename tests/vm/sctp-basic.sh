#!/usr/bin/env bash
# Kernel SCTP in the guest, before any shim: a one-to-one SCTP echo between
# two namespaces over veth, proven by /proc/net/sctp/assocs and the SCTP
# MIB, payload byte-identical. Also checks the tools the other VM tests
# lean on (ss --sctp, netem, iperf3 --sctp). Run: tests/vm/run tests/vm/sctp-basic.sh
set -u
. "$(dirname "$0")/lib.sh"
vm_init
tap_plan 6

if vm_pair; then ok "two namespaces joined by veth"; else not_ok "two namespaces joined by veth"; exit 1; fi


head -c 3000000 /dev/urandom > "$VM_TMP/payload"
want=$(sha256sum < "$VM_TMP/payload" | cut -d' ' -f1)
vm_bg "$S" python3 tests/vm/sctp_echo.py server 10.77.1.2 5001
if vm_wait_port "$S" sctp 5001; then
  out=$(ip netns exec "$C" timeout 60 python3 tests/vm/sctp_echo.py client 10.77.1.2 5001 "$VM_TMP/payload" 2>&1)
  got=$(awk '$1 == "sha256" {print $2}' <<<"$out")
  assoc=$(sed -n 's/^assoc //p' <<<"$out")
  if [ "$got" = "$want" ]; then
    ok "SCTP echo of 3 MB across namespaces is byte-identical"
  else
    not_ok "SCTP echo of 3 MB across namespaces is byte-identical" "sha256 $got, want $want; client said: $out"
  fi
  # ASSOC SOCK STY SST ST HBKT ASSOC-ID TX_QUEUE RX_QUEUE UID INODE LPORT RPORT LADDRS <-> RADDRS
  if [ -n "$assoc" ] && [ "$assoc" != none ] && grep -q '10.77.1.1 <-> \*10.77.1.2' <<<"$assoc"; then
    ok "/proc/net/sctp/assocs listed the association 10.77.1.1 <-> 10.77.1.2"
  else
    not_ok "/proc/net/sctp/assocs listed the association 10.77.1.1 <-> 10.77.1.2" "line: ${assoc:-none}"
  fi
else
  not_ok "SCTP echo of 3 MB across namespaces is byte-identical" "server never listened"
  not_ok "/proc/net/sctp/assocs listed the association" "no server"
fi
wait "$VM_BG_PID" 2>/dev/null

est=$(vm_sctp_stat "$C" SctpActiveEstabs) chunks=$(vm_sctp_stat "$C" SctpInOrderChunks)
topen=$(vm_tcp_stat "$C" ActiveOpens)
# 3 MB at most 1500 bytes a chunk on veth: well over 2000 DATA chunks back.
if [ "${est:-0}" -ge 1 ] && [ "${chunks:-0}" -ge 2000 ] && [ "${topen:-1}" -eq 0 ]; then
  ok "SCTP MIB: $est association(s), $chunks DATA chunks in, 0 TCP opens"
else
  not_ok "SCTP MIB shows the transfer" "SctpActiveEstabs=$est SctpInOrderChunks=$chunks TcpActiveOpens=$topen"
fi

# ss --sctp needs sctp_diag; a listener must show up in it.
vm_bg "$S" python3 tests/vm/sctp_echo.py server 10.77.1.2 5002
vm_wait_port "$S" sctp 5002
if ip netns exec "$S" ss -Hln --sctp 2>&1 | grep -q '10.77.1.2:5002'; then
  ok "ss --sctp lists an SCTP listener"
else
  not_ok "ss --sctp lists an SCTP listener" "$(ip netns exec "$S" ss -Hln --sctp 2>&1 | head -3)"
fi
kill "$VM_BG_PID" 2>/dev/null

# netem on the veth: the multihoming and loss tests need it.
if ip netns exec "$C" tc qdisc add dev "${PFX}0a" root netem delay 5ms loss 1% 2>&1; then
  rtt=$(ip netns exec "$C" busybox ping -c 3 -i 0.2 -q 10.77.1.2 | sed -nE 's|.*= [0-9.]+/([0-9.]+)/.*|\1|p')
  if [ -n "$rtt" ] && awk -v r="$rtt" 'BEGIN {exit !(r >= 5)}'; then
    ok "netem delays veth traffic (avg rtt ${rtt} ms)"
  else
    not_ok "netem delays veth traffic" "avg rtt '${rtt}' ms, want >= 5"
  fi
else
  not_ok "netem delays veth traffic" "tc qdisc add failed"
fi
tap_done
