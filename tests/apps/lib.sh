# shellcheck shell=bash
# tests/apps/lib.sh: what every row of the application matrix shares.
#
# A row runs one application under withsplice over one transport, in two
# fresh namespaces $C (client, $CA) and $S (server, $SA): over SCTP inside
# the QEMU guest of tests/vm/run, over MPTCP on the host. Namespaces,
# background jobs, payload and SCTP proofs come from tests/vm/lib.sh; this
# file adds the transport switch and the MPTCP proof.
#
#   ap_init TRANSPORT       refuse to run where TRANSPORT cannot (TAP skip)
#   ap_pair TAG             fresh $C and $S, and the transport's samplers
#   ap_srv LOG [OPTS] -- CMD...   CMD in $S under the shim (withsplice
#                           options OPTS), in the background
#   ap_cli LOG [OPTS] -- CMD...   the same in $C, in the foreground
#   ap_wait_listen PORT     the server listens on PORT over the transport
#   ap_prove WHAT BYTES PORT   everything between $C and $S used it
#   $AP_RATE                a rate limit for bulk clients (curl, wget)
#                           where `ss -M` must see them while they run
#
# Inside a row, ok/not_ok (and the vm_* helpers that call them) print TAP
# comments and count the row's failures in $ROW_FAIL: the runner prints
# one TAP line per row.
. tests/vm/lib.sh

# The globals below are read by the cases (tests/apps/cases/*.sh).
# shellcheck disable=SC2034
CA=10.77.1.1 SA=10.77.1.2
ROW_FAIL=0
ok() { note "  ok: $1"; }
not_ok() { ROW_FAIL=$((ROW_FAIL + 1)); note "  FAIL: $1${2:+: $2}"; }
skip() { note "  skip: $1 ${2:-}"; }

ap_init() {
  AP_T=$1
  case "$AP_T" in
    sctp) vm_init ;;
    mptcp)
      [ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (namespaces)"; exit 0; }
      python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262).close()' 2>/dev/null ||
        { echo "1..0 # SKIP kernel has no MPTCP"; exit 0; }
      PFX=ap$(printf '%04x' $((RANDOM % 65536)))
      VM_TMP=$(mktemp -d /tmp/"$PFX".XXXXXX)
      chmod 0755 "$VM_TMP"
      trap vm_cleanup EXIT
      trap 'exit 143' INT TERM ;;
    *) echo "tests/apps: unknown transport '$AP_T' (sctp or mptcp)" >&2; exit 2 ;;
  esac
  # shellcheck disable=SC2034
  T=$VM_TMP
  # Over MPTCP on the host a 20 MB transfer can end between two `ss -M`
  # samples (one takes 0.2 s on a loaded 2-core host); at this rate a
  # bulk transfer lasts 2-4 s. SCTP's proof reads counters instead.
  AP_RATE=''
  # shellcheck disable=SC2034
  [ "$AP_T" = mptcp ] && AP_RATE=5M
  vm_ws_find
}

ap_pair() {
  vm_pair "$1" || return 1
  [ "$AP_T" = mptcp ] && ap_watch_mptcp
  return 0
}

# ap_watch_mptcp: sample `ss -M` in $S all the time the row runs, so
# the proof shows MPTCP connections as they were while open (a sample
# taken after the client returned would race with their close).
ap_watch_mptcp() {
  local f=$VM_TMP/ssm.$S
  : > "$f"
  ( ip netns exec "$S" bash -c 'while :; do ss -MnH; sleep 0.02; done' >> "$f" 2>/dev/null & )
}

ap_srv() {
  local log=$1; shift
  vm_ws_bg "$S" "$log" "--$AP_T" "$@"
}

ap_cli() {
  local log=$1; shift
  vm_ws "$C" "$log" "--$AP_T" "$@"
}

# ap_wait_listen PORT [SECS]: the server's listener is up within SECS
# (15) and is of the row's transport (an MPTCP listener shows in
# `ss -Ml`); gives up early when the server has exited.
ap_wait_listen() {
  local port=$1 end=$((SECONDS + ${2:-15}))
  while [ "$SECONDS" -lt "$end" ]; do
    if [ "$AP_T" = sctp ]; then
      vm_wait_port "$S" sctp "$port" 1 && return 0
    else
      [ -n "$(ip netns exec "$S" ss -MlnH "sport = :$port" 2>/dev/null)" ] && return 0
    fi
    kill -0 "$VM_BG_PID" 2>/dev/null || { note "  the server exited"; return 1; }
    sleep 0.2
  done
  return 1
}

ap_prove() {
  if [ "$AP_T" = sctp ]; then vm_prove_sctp "$@"; else ap_prove_mptcp "$@"; fi
}

mptcp_stat() { # NS NAME: one MPTcpExt counter of /proc/net/netstat in NS
  # shellcheck disable=SC2016
  ip netns exec "$1" awk -v k="$2" '
    $1 == "MPTcpExt:" && !h {for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next}
    $1 == "MPTcpExt:" && h {print $col[k] + 0}' /proc/net/netstat
}

# ap_prove_mptcp WHAT BYTES PORT: every TCP connection opened between $C
# and $S (either side may connect: FTP's active mode) was MPTCP end to
# end, i.e. the TCP opens equal the MP_CAPABLE SYN-ACKs received and no
# connection fell back; and `ss -M` showed connections to or from PORT
# established while they were open.
ap_prove_mptcp() {
  local what=$1 port=$3 opens=0 capable=0 fallback=0 ns seen
  for ns in "$C" "$S"; do
    opens=$((opens + $(vm_tcp_stat "$ns" ActiveOpens)))
    capable=$((capable + $(mptcp_stat "$ns" MPCapableSYNACKRX)))
    fallback=$((fallback + $(mptcp_stat "$ns" MPCapableFallbackACK) + $(mptcp_stat "$ns" MPCapableFallbackSYNACK)))
  done
  seen=$(awk -v p=":$port" '$1 == "ESTAB" && ($4 ~ p"$" || $5 ~ p"$") {print $4, $5}' \
           "$VM_TMP/ssm.$S" 2>/dev/null | sort -u | wc -l)
  local facts="TCP opens $opens, MP_CAPABLE SYN-ACKs $capable, fallbacks $fallback, ss -M saw $seen established to port $port"
  if [ "$opens" -ge 1 ] && [ "$opens" -eq "$capable" ] && [ "$fallback" -eq 0 ] && [ "$seen" -ge 1 ]; then
    ok "$what went over MPTCP ($facts)"
  else
    not_ok "$what went over MPTCP" "$facts; want opens = MP_CAPABLE >= 1, 0 fallbacks, >= 1 seen"
  fi
}

# ap_time CMD...: run CMD, put its wall time in ms into $AP_MS.
ap_time() {
  local t0 rc
  t0=$(date +%s%N)
  "$@"; rc=$?
  # shellcheck disable=SC2034
  AP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  return "$rc"
}
