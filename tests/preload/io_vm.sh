#!/usr/bin/env bash
# The shim's I/O emulations over SCTP, in the VM, both ends under
# withsplice --sctp --half-close: uncorking pushes what TCP_CORK or MSG_MORE
# held, FIONREAD sees queued data and 0 at EOF, splice() through a pipe in
# both directions, and a dual listener woken through select, pselect,
# ppoll and poll by a TCP and an SCTP client each. Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh
vm_init
vm_ws_find
dw=$VM_BUILD/tests/preload/ws_dualwait
# meson builds it with the shim: a missing binary is a broken build.
[ -x "$dw" ] || { echo "Bail out! $dw not built"; exit 1; }
tap_plan 8
peer=tests/preload/ws_io_peer.py
T=$VM_TMP
vm_pair io
head -c 3000000 /dev/urandom > "$T/data"

vm_ws_bg "$S" "$T/srv.log" --sctp --half-close -- python3 "$peer" server 9401 > "$T/srv.out" 2>&1
vm_wait_port "$S" sctp 9401
for c in cork more fionread "splice"; do
  extra=()
  [ "$c" = splice ] && extra=("$T/data")
  out=$(vm_ws "$C" "$T/cli-$c.log" --sctp --half-close -- \
        timeout 30 python3 "$peer" "$c" 10.77.1.2 9401 "${extra[@]}" 2>&1)
  rc=$?
  if [ $rc -eq 0 ] && grep -q "connected to 10.77.1.2:9401: sctp" "$T/cli-$c.log"; then
    ok "$(tr '\n' ' ' <<<"$out")"
  else
    not_ok "$c over SCTP" "$(echo "rc=$rc $out" $(tail -3 "$T/cli-$c.log" "$T/srv.out") | tr '\n' ' ')"
  fi
done

# Dual listener, one TCP and one SCTP client per wait call.
port=9410
for mode in select pselect ppoll poll; do
  port=$((port + 1))
  vm_ws_bg "$S" "$T/dual-$mode.log" --sctp --rule 'sctp listen dual' -- \
    "$dw" "$mode" "$port" 2 > "$T/dual-$mode.out" 2>&1
  # The SCTP listener comes up just before the TCP one.
  vm_wait_port "$S" sctp "$port" 300 && vm_wait_port "$S" tcp "$port" 300
  get='import socket,sys; s=socket.create_connection(("10.77.1.2",int(sys.argv[1])),timeout=60); print(s.recv(64).decode().strip())'
  tcp=$(ip netns exec "$C" timeout 70 python3 -c "$get" "$port" 2>&1)
  sctp=$(vm_ws "$C" "$T/dual-cli-$mode.log" --sctp -- timeout 70 python3 -c "$get" "$port" 2>&1)
  if [ "$tcp" = proto=6 ] && [ "$sctp" = proto=132 ]; then
    ok "dual listener woken through $mode: TCP client got $tcp, SCTP client $sctp"
  else
    not_ok "dual listener through $mode" "$(echo "tcp '$tcp' sctp '$sctp'" $(cat "$T/dual-$mode.out") | tr '\n' ' ')"
  fi
done
vm_unpair
tap_done
