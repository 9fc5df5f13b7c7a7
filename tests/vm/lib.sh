# shellcheck shell=bash
# tests/vm/lib.sh: helpers for the SCTP tests that run inside the VM guest
# (tests/vm/run). Source it from bash; it prints TAP so meson reports every
# check on its own line.
#
#   vm_init          refuse to run without kernel SCTP and root; set $PFX
#   vm_pair [TAG]    two fresh namespaces $C (client, 10.77.1.1) and $S
#                    (server, 10.77.1.2) joined by one veth pair;
#                    vm_unpair kills what runs in them and deletes them
#   vm_bg NS CMD...  start CMD in namespace NS in the background (killed by
#                    the EXIT trap); its pid is in $VM_BG_PID
#   vm_wait_port NS PROTO PORT   wait until something listens there
#   vm_sctp_stat NS NAME         one counter of /proc/net/sctp/snmp in NS
#   vm_tcp_stat NS NAME          one Tcp: counter of /proc/net/snmp in NS
#   ok/not_ok/skip NAME [REASON], tap_plan N, tap_done
#   vm_ws_find, vm_ws, vm_ws_bg   run programs under withsplice
#   vm_same WHAT FILE SHA256, vm_prove_sctp WHAT BYTES PORT   the two proofs
#   every case makes: payload identical, and SCTP (assocs + MIB, no TCP)
#
# Every namespace and link name starts with $PFX ("vm" + a run id) and is
# removed on exit, so the scripts also behave on a host with kernel SCTP.

VM_NS=()
VM_PIDS=()
TAP_N=0
TAP_FAILED=0
VM_SRC=${SPLICEKIT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VM_BUILD=${SPLICEKIT_BUILD:-$VM_SRC/build}

tap_plan() { echo "1..$1"; }
ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
not_ok() {
  TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
  echo "not ok $TAP_N - $1${2:+: $2}"
}
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP ${2:-}"; }
# A TAP comment line: context for the human reading a failure.
note() { echo "# $*"; }
tap_done() { [ "$TAP_FAILED" -eq 0 ]; }

vm_cleanup() {
  local p ns
  for p in ${VM_PIDS[@]+"${VM_PIDS[@]}"}; do kill "$p" 2>/dev/null; done
  for p in ${VM_PIDS[@]+"${VM_PIDS[@]}"}; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  for ns in ${VM_NS[@]+"${VM_NS[@]}"}; do
    # Daemons that forked away from their parent die with their namespace.
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  [ -n "${VM_TMP:-}" ] && rm -rf "$VM_TMP"
  return 0
}

vm_init() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "1..0 # SKIP needs root (run me through tests/vm/run)"; exit 0
  fi
  if ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)' 2>/dev/null; then
    # Inside the VM this is a real failure; on a host it just cannot run.
    if [ -n "${SPLICEKIT_IN_VM:-}" ]; then
      echo "1..1"; echo "not ok 1 - kernel SCTP: socket(IPPROTO_SCTP) fails in the guest"; exit 1
    fi
    echo "1..0 # SKIP kernel has no SCTP (run me through tests/vm/run)"; exit 0
  fi
  PFX=vm$(printf '%04x' $((RANDOM % 65536)))
  VM_TMP=$(mktemp -d /tmp/"$PFX".XXXXXX)
  # Daemons drop privileges (nginx workers, vsftpd, sshd's preauth child)
  # and must still reach their files under here.
  chmod 0755 "$VM_TMP"
  trap vm_cleanup EXIT
  trap 'exit 130' INT TERM
}

vm_ns() { # NAME: create namespace NAME with loopback up
  ip netns add "$1" || return 1
  VM_NS+=("$1")
  ip -n "$1" link set lo up
}

# vm_link A ADDR_A B ADDR_B [NAME]: a veth pair between namespaces A and B,
# offloads off so captures and counters see real segments.
vm_link() {
  local a=$1 aa=$2 b=$3 ba=$4 n=${5:-${PFX}l$RANDOM}
  ip link add "${n}a" netns "$a" type veth peer name "${n}b" netns "$b" || return 1
  ip -n "$a" addr add "$aa" dev "${n}a"
  ip -n "$b" addr add "$ba" dev "${n}b"
  ip -n "$a" link set "${n}a" up
  ip -n "$b" link set "${n}b" up
}

# vm_pair [TAG]: fresh client and server namespaces (so their SNMP
# counters start at zero) in $C and $S, linked by veth "$PFX${TAG}0a/b".
vm_pair() {
  local t=${1:-}
  C=${PFX}c$t S=${PFX}s$t
  VM_T0=$(date +%s%N)
  vm_ns "$C" && vm_ns "$S" && vm_link "$C" 10.77.1.1/24 "$S" 10.77.1.2/24 "${PFX}${t}0" &&
    vm_watch_assocs
}

# vm_watch_assocs: sample the client's /proc/net/sctp/assocs every 0.1 s
# into $VM_TMP/assocs.$C until vm_unpair, so a test can show the very
# association that carried its data.
vm_watch_assocs() {
  local f=$VM_TMP/assocs.$C
  : > "$f"
  ( ip netns exec "$C" bash -c 'while :; do tail -n +2 /proc/net/sctp/assocs; sleep 0.1; done' \
      >> "$f" 2>/dev/null & )
}

# vm_assoc_seen PORT: prints "LADDRS <-> RADDRS" of the client's
# association with server port PORT as last sampled (the first samples can
# predate the peer's second address), fails if none was seen.
vm_assoc_seen() {
  # ASSOC SOCK STY SST ST HBKT ASSOC-ID TX_QUEUE RX_QUEUE UID INODE LPORT RPORT LADDRS <-> RADDRS ...
  awk -v p="$1" '$13 == p {
      s = ""; for (i = 14; i <= NF && $i !~ /^[0-9]+$/ || $i == "<->"; i++) s = s " " $i
      last = substr(s, 2); found = 1 }
    END { if (found) print last; exit !found }' "$VM_TMP/assocs.$C"
}

# vm_unpair: kill everything in $C and $S and delete them.
vm_unpair() {
  local ns
  note "($C/$S done in $(( ($(date +%s%N) - VM_T0) / 1000000 )) ms)"
  for ns in "$C" "$S"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  return 0
}

vm_bg() { # NS CMD...
  local ns=$1; shift
  ip netns exec "$ns" "$@" &
  VM_BG_PID=$!
  VM_PIDS+=("$VM_BG_PID")
}

# vm_wait_port NS tcp|sctp PORT [TENTHS]: true once a listener is up.
vm_wait_port() {
  local ns=$1 proto=$2 port=$3 n=${4:-100} hex
  hex=$(printf '%04X' "$port")
  while [ "$n" -gt 0 ]; do
    case "$proto" in
      tcp) ip netns exec "$ns" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
             awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" {f=1} END {exit !f}' && return 0 ;;
      sctp) ip netns exec "$ns" awk -v p="$port" '$6 == p {f=1} END {exit !f}' \
             /proc/net/sctp/eps 2>/dev/null && return 0 ;;
    esac
    sleep 0.1; n=$((n - 1))
  done
  return 1
}

vm_sctp_stat() { # NS NAME
  ip netns exec "$1" awk -v k="$2" '$1 == k {print $2}' /proc/net/sctp/snmp
}
vm_tcp_stat() { # NS NAME
  ip netns exec "$1" awk -v k="$2" '
    $1 == "Tcp:" && !h {for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next}
    $1 == "Tcp:" && h {print $col[k]}' /proc/net/snmp
}

# --- the shim -------------------------------------------------------------
# vm_ws_find: set $WS to the withsplice wrapper ($VM_WITHSPLICE overrides,
# e.g. to compare against lksctp's withsctp through an adapter), or end
# the script with a TAP skip when it has not been built.
vm_ws_find() {
  WS=${VM_WITHSPLICE:-}
  if [ -z "$WS" ]; then
    local c
    for c in "$VM_BUILD/preload/withsplice" "$VM_BUILD/withsplice"; do
      [ -x "$c" ] && { WS=$c; break; }
    done
  fi
  if [ -z "$WS" ]; then
    echo "1..0 # SKIP withsplice is not built in $VM_BUILD/preload (branch shim not merged?)"
    exit 0
  fi
}

# vm_ws NS LOG [withsplice options] -- PROGRAM ARGS: run PROGRAM under the
# shim in namespace NS, the shim's log lines (info: one per converted
# socket) going to file LOG.
vm_ws() {
  local ns=$1 log=$2; shift 2
  ip netns exec "$ns" "$WS" --log info --log-file "$log" "$@"
}

# vm_ws_bg NS LOG [withsplice options] -- PROGRAM ARGS: vm_ws in the
# background, killed at the end; its pid is in $VM_BG_PID.
vm_ws_bg() {
  # Started from a subshell so that it is not our job: vm_unpair's kill
  # then prints no "Killed" notice.
  local ns=$1 log=$2; shift 2
  ( ip netns exec "$ns" "$WS" --log info --log-file "$log" "$@" &
    echo $! > "$VM_TMP/bg.pid" )
  VM_BG_PID=$(cat "$VM_TMP/bg.pid")
  VM_PIDS+=("$VM_BG_PID")
}

# vm_wait_listen NS PORT [TENTHS]: a TCP or SCTP listener is up on PORT.
vm_wait_listen() {
  local n=${3:-150}
  while [ "$n" -gt 0 ]; do
    vm_wait_port "$1" sctp "$2" 1 && return 0
    vm_wait_port "$1" tcp "$2" 1 && return 0
    n=$((n - 2))
  done
  return 1
}

# vm_prove_sctp WHAT BYTES PORT: one TAP line saying whether everything
# between $C and $S went over SCTP: /proc/net/sctp/assocs showed the
# client's association to server port PORT, the SCTP MIB counted
# associations on both sides and enough DATA chunks to carry BYTES (a
# chunk carries at most 1452 bytes on a 1500-byte veth), and the TCP MIB
# shows no TCP connection opened at all.
vm_prove_sctp() {
  local what=$1 bytes=$2 port=$3 cest sest ctcp stcp chunks assoc
  cest=$(vm_sctp_stat "$C" SctpActiveEstabs)
  sest=$(vm_sctp_stat "$S" SctpPassiveEstabs)
  ctcp=$(vm_tcp_stat "$C" ActiveOpens)
  stcp=$(vm_tcp_stat "$S" PassiveOpens)
  chunks=$(( $(vm_sctp_stat "$C" SctpInOrderChunks) + $(vm_sctp_stat "$S" SctpInOrderChunks) +
             $(vm_sctp_stat "$C" SctpInUnorderChunks) + $(vm_sctp_stat "$S" SctpInUnorderChunks) ))
  assoc=$(vm_assoc_seen "$port") || assoc="none seen"
  local facts="assocs: $assoc; SCTP estab client $cest server $sest, TCP opens client $ctcp server $stcp, $chunks DATA chunks"
  if [ "$assoc" != "none seen" ] && [ "$cest" -ge 1 ] && [ "$sest" -ge 1 ] &&
     [ "$ctcp" -eq 0 ] && [ "$stcp" -eq 0 ] && [ $((chunks * 1452)) -ge "$bytes" ]; then
    ok "$what went over SCTP ($facts)"
  else
    not_ok "$what went over SCTP" "$facts; want an association to port $port, >= 1 estab each side, 0 TCP, >= $(( (bytes + 1451) / 1452 )) chunks"
  fi
}

# vm_same WHAT FILE WANT_SHA256: one TAP line on a payload's integrity.
vm_same() {
  local got
  got=$(sha256sum < "$2" 2>/dev/null | cut -d' ' -f1)
  if [ "$got" = "$3" ]; then
    ok "$1 is byte-identical ($(stat -c %s "$2") bytes)"
  else
    not_ok "$1 is byte-identical" "sha256 ${got:-<no file>} ($(stat -c %s "$2" 2>/dev/null || echo 0) bytes), want $3"
    return 1
  fi
}

# vm_tail FILE...: the last lines of logs as TAP comments, after a failure.
vm_tail() {
  local f
  for f in "$@"; do
    [ -s "$f" ] || continue
    note "--- $f"
    tail -n 8 "$f" | sed 's/^/#   /'
  done
}

# vm_keep DIR: copy DIR's small files (logs, configs, samples) to $VM_OUT,
# which `tests/vm/run --out HOSTDIR` brings back to the host.
vm_keep() {
  [ -n "${VM_OUT:-}" ] && [ -d "$VM_OUT" ] || return 0
  local dst
  dst=$VM_OUT/$(basename "$1")
  mkdir -p "$dst" && find "$1" -maxdepth 1 -type f -size -1000k -exec cp -t "$dst" {} + 2>/dev/null
  return 0
}

# vm_file PATH MB: MB of random bytes at PATH; prints their sha256.
vm_file() {
  head -c "$(($2 * 1048576))" /dev/urandom > "$1"
  sha256sum < "$1" | cut -d' ' -f1
}
