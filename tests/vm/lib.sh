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
  vm_ns "$C" && vm_ns "$S" && vm_link "$C" 10.77.1.1/24 "$S" 10.77.1.2/24 "${PFX}${t}0"
}

# vm_unpair: kill everything in $C and $S and delete them.
vm_unpair() {
  local ns
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
