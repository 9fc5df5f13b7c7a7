# shellcheck shell=bash
# tests/netns/lib.sh: the network-namespace testbed every splicekit
# integration test builds on. Source it from a bash test script:
#
#   . "$SPLICEKIT_SRC/tests/netns/lib.sh"
#   nb_require_root                 # exit 77 (meson SKIP) unless root
#   nb_require curl python3         # exit 77 naming what is missing
#   nb_init ri                      # per-run names, cleanup trap on EXIT
#   nb_setup --servers 2 --offloads off
#   nb_bg "$NB_SRV1" python3 -m http.server 8080 --bind ::
#   nb_wait_port "$NB_SRV1" 8080
#   (start your dispatcher in "$NB_DISP" on $NB_DISP_CLI_IF/$NB_DISP_SRV1_IF)
#   nb_exec "$NB_CLI" curl -s http://$NB_VIP4:8080/
#
# Topology (N servers, default 1):
#
#   client ns --veth-- dispatcher ns --veth-- server ns 1
#                                    --veth-- server ns 2 ...
#
#   client         $NB_CLI_IP4 (10.0.1.2/24)   $NB_CLI_IP6 (fd00:1::2/64)
#   dispatcher,    client side $NB_DISP_CLI_IP4 (10.0.1.1)   (fd00:1::1)
#   dispatcher,    server i    10.0.(10+i).1                 fd00:(10+i)::1
#   server i       $NB_SRVi_IP4 (10.0.(10+i).2)  $NB_SRVi_IP6 (fd00:(10+i)::2)
#   VIP            $NB_VIP4 (10.0.100.1)        $NB_VIP6 (fd00:100::1)
#
# The VIP is routed from the client to the dispatcher but assigned nowhere,
# the dispatcher has IPv4 and IPv6 forwarding off and a blackhole route for
# the VIP (metric 7, so a caller may add its own; IPv6 would otherwise send
# ICMPv6 no-route, which aborts the client's connect): its kernel drops VIP
# traffic and backend replies silently (no RST, no ICMP, no untranslated
# copy), so only a userspace dispatcher reading packets moves them. Each
# server's default route points at the dispatcher (so backends see and
# answer real client addresses) unless --no-server-route is given.
#
# Names. nb_init PREFIX derives NB_ID = PREFIX + the caller's PID in base 36,
# so parallel runs never collide. Namespaces are "$NB_ID-cli", "$NB_ID-disp",
# "$NB_ID-srvI"; interfaces (<= 15 chars) are:
#   $NB_CLI_IF       in the client ns, facing the dispatcher   ($NB_ID"c")
#   $NB_DISP_CLI_IF  in the dispatcher ns, facing the client   ($NB_ID"dc")
#   $NB_DISP_SRVi_IF in the dispatcher ns, facing server i     ($NB_ID"dI")
#   $NB_SRVi_IF      in server ns i, facing the dispatcher     ($NB_ID"sI")
# Per-server values are also in arrays indexed from 1: NB_SRV[i],
# NB_SRV_IP4[i], NB_SRV_IP6[i], NB_SRV_IF[i], NB_DISP_SRV_IF[i]; NB_NSERVERS.
#
# Functions (all return non-zero with a message on stderr on failure):
#   nb_require_root             exit 77 unless running as root
#   nb_require CMD...           exit 77 if a command is missing
#   nb_init PREFIX              set NB_ID, install the EXIT/INT/TERM trap
#   nb_setup [--servers N] [--offloads on|off] [--no-server-route]
#                               build the topology (offloads default: off)
#   nb_offloads on|off [NS DEV]...  switch tx/rx csum, tso, gso, gro on the
#                               listed links (default: every testbed veth)
#   nb_exec NS CMD...           run CMD inside NS (foreground)
#   nb_bg NS CMD...             start CMD inside NS in the background; its
#                               PID is in $NB_LASTPID and it is killed at
#                               cleanup; stdout+stderr go to the file named
#                               in $NB_LASTLOG (under $NB_DIR). Call it from
#                               the main shell, not a subshell, or cleanup
#                               cannot know the PID (namespace PIDs are
#                               killed anyway).
#   nb_wait_port NS PORT [SECS] wait until something listens on TCP PORT in NS
#                               (any address, IPv4 or IPv6); default 10 s
#   nb_mac NS DEV               print DEV's MAC address
#   nb_bpffs                    mount a private bpf filesystem at $NB_DIR/bpf
#                               (pinned maps; unmounted at cleanup)
#   nb_cleanup                  kill everything started in the testbed's
#                               namespaces, delete them and $NB_DIR; safe to
#                               call twice. Runs from the trap by itself.
#   nb_log MSG...               print "[NB_ID] MSG" on stderr
#
# $NB_DIR is a private scratch directory removed at cleanup. If the caller
# needs its own EXIT trap, call nb_cleanup from it (nb_init's trap is
# replaced by any later `trap ... EXIT`).
#
# Only 10.0.0.0/16 and fd00::/16 addresses inside the namespaces made here
# are used; nothing in the root namespace (routes, sysctls, firewall) is
# touched.

NB_ID=
NB_DIR=
NB_NSLIST=()
NB_BGPIDS=()
NB_LINKS=()      # "ns dev" pairs, for nb_offloads
NB_LASTPID=
NB_LASTLOG=
NB_NSERVERS=0
NB_VIP4=10.0.100.1
NB_VIP6=fd00:100::1

nb_log() { echo "[${NB_ID:-nb}] $*" >&2; }

nb_require_root()
{
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root for network namespaces" >&2
		exit 77
	fi
}

nb_require()
{
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			echo "SKIP: needs '$c', not installed" >&2
			exit 77
		fi
	done
}

nb_b36()
{
	local n=$1 s= d=0123456789abcdefghijklmnopqrstuvwxyz
	while [ "$n" -gt 0 ]; do
		s=${d:$((n % 36)):1}$s
		n=$((n / 36))
	done
	echo "${s:-0}"
}

nb_init()
{
	local prefix=${1:?nb_init: need a PREFIX}
	if ! [[ $prefix =~ ^[a-z][a-z0-9]{0,5}$ ]]; then
		echo "nb_init: PREFIX '$prefix' must be 1-6 chars [a-z0-9], starting with a letter" >&2
		return 1
	fi
	NB_ID=$prefix$(nb_b36 $$)
	NB_DIR=$(mktemp -d "/tmp/$NB_ID.XXXXXX") || return 1
	# bash 5.2 may print a spurious "wait_for: No record of process" while
	# cleaning up jobs that were already reaped; cleanup reports nothing
	# useful on stderr anyway.
	trap 'nb_cleanup 2>/dev/null' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

nb_exec()
{
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

nb_bg()
{
	local ns=$1
	shift
	NB_LASTLOG="$NB_DIR/bg.${#NB_BGPIDS[@]}.$BASHPID.log"
	ip netns exec "$ns" "$@" >"$NB_LASTLOG" 2>&1 &
	NB_LASTPID=$!
	NB_BGPIDS+=("$NB_LASTPID")
}

nb_wait_port()
{
	local ns=$1 port=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		if ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	nb_log "nothing listens on port $port in $ns after ${secs}s"
	return 1
}

nb_mac()
{
	ip netns exec "$1" cat "/sys/class/net/$2/address"
}

nb_offloads()
{
	local mode=$1 ns dev pair
	shift
	case $mode in
	on | off) ;;
	*) echo "nb_offloads: want on|off, got '$mode'" >&2; return 1 ;;
	esac
	local links=("$@")
	[ ${#links[@]} -eq 0 ] && links=("${NB_LINKS[@]}")
	# Arguments come as "NS DEV" pairs, either as two words or one string.
	set -- ${links[@]}
	while [ $# -ge 2 ]; do
		ns=$1 dev=$2
		shift 2
		# veth has no hardware: every feature is a software one and each
		# toggles on its own, so a refused feature is an error worth seeing.
		ip netns exec "$ns" ethtool -K "$dev" tx "$mode" rx "$mode" \
			tso "$mode" gso "$mode" gro "$mode" >/dev/null ||
			{ nb_log "ethtool -K $dev $mode failed in $ns"; return 1; }
	done
}

nb_mkns()
{
	local ns=$1
	if [ -e "/run/netns/$ns" ]; then
		nb_log "namespace $ns already exists (stale run?)"
		return 1
	fi
	ip netns add "$ns" || return 1
	NB_NSLIST+=("$ns")
	ip -n "$ns" link set lo up
	# No DAD: addresses are usable at once instead of after ~1-2 s.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

# nb_link NS_A DEV_A NS_B DEV_B: a veth pair between two namespaces.
nb_link()
{
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
	NB_LINKS+=("$1 $2" "$3 $4")
}

nb_setup()
{
	local n=1 offl=off srvroute=1 i
	while [ $# -gt 0 ]; do
		case $1 in
		--servers) n=$2; shift 2 ;;
		--offloads) offl=$2; shift 2 ;;
		--no-server-route) srvroute=0; shift ;;
		*) echo "nb_setup: unknown option '$1'" >&2; return 1 ;;
		esac
	done
	if [ -z "$NB_ID" ]; then
		echo "nb_setup: call nb_init PREFIX first" >&2
		return 1
	fi
	if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 50 ]; then
		echo "nb_setup: --servers wants 1..50, got '$n'" >&2
		return 1
	fi

	NB_CLI=$NB_ID-cli
	NB_DISP=$NB_ID-disp
	NB_CLI_IF=${NB_ID}c
	NB_DISP_CLI_IF=${NB_ID}dc
	NB_CLI_IP4=10.0.1.2
	NB_CLI_IP6=fd00:1::2
	NB_DISP_CLI_IP4=10.0.1.1
	NB_DISP_CLI_IP6=fd00:1::1

	nb_mkns "$NB_CLI" && nb_mkns "$NB_DISP" || return 1
	# The dispatcher must neither forward nor answer VIP traffic itself.
	ip netns exec "$NB_DISP" sysctl -qw net.ipv4.ip_forward=0 \
		net.ipv6.conf.all.forwarding=0 || return 1

	# Forwarding off is not enough for IPv6: with no route to the VIP the
	# kernel answers each packet with ICMPv6 "no route to destination",
	# which aborts the client's connection. A blackhole route discards
	# silently (capture happens before routing, so a dispatcher still sees
	# everything); the same for IPv4 keeps both families alike.
	# Metric 7, not the default: a caller that adds its own blackhole for
	# the VIP (with the default metric) must not fail with "File exists".
	ip -n "$NB_DISP" route add blackhole "$NB_VIP4/32" metric 7 || return 1
	ip -n "$NB_DISP" -6 route add blackhole "$NB_VIP6/128" metric 7 || return 1

	nb_link "$NB_CLI" "$NB_CLI_IF" "$NB_DISP" "$NB_DISP_CLI_IF" || return 1
	ip -n "$NB_CLI" addr add "$NB_CLI_IP4/24" dev "$NB_CLI_IF"
	ip -n "$NB_CLI" addr add "$NB_CLI_IP6/64" dev "$NB_CLI_IF" nodad
	ip -n "$NB_DISP" addr add "$NB_DISP_CLI_IP4/24" dev "$NB_DISP_CLI_IF"
	ip -n "$NB_DISP" addr add "$NB_DISP_CLI_IP6/64" dev "$NB_DISP_CLI_IF" nodad
	ip -n "$NB_CLI" route add "$NB_VIP4/32" via "$NB_DISP_CLI_IP4" || return 1
	ip -n "$NB_CLI" -6 route add "$NB_VIP6/128" via "$NB_DISP_CLI_IP6" || return 1

	NB_NSERVERS=$n
	NB_SRV=() NB_SRV_IP4=() NB_SRV_IP6=() NB_SRV_IF=() NB_DISP_SRV_IF=()
	for ((i = 1; i <= n; i++)); do
		local ns=$NB_ID-srv$i sif=${NB_ID}s$i dif=${NB_ID}d$i
		local n4=10.0.$((10 + i)) n6=fd00:$((10 + i))
		nb_mkns "$ns" || return 1
		nb_link "$ns" "$sif" "$NB_DISP" "$dif" || return 1
		ip -n "$ns" addr add "$n4.2/24" dev "$sif"
		ip -n "$ns" addr add "$n6::2/64" dev "$sif" nodad
		ip -n "$NB_DISP" addr add "$n4.1/24" dev "$dif"
		ip -n "$NB_DISP" addr add "$n6::1/64" dev "$dif" nodad
		if [ "$srvroute" = 1 ]; then
			ip -n "$ns" route add default via "$n4.1" || return 1
			ip -n "$ns" -6 route add default via "$n6::1" || return 1
		fi
		NB_SRV[i]=$ns NB_SRV_IF[i]=$sif NB_DISP_SRV_IF[i]=$dif
		NB_SRV_IP4[i]=$n4.2 NB_SRV_IP6[i]=$n6::2
		printf -v "NB_SRV$i" %s "$ns"
		printf -v "NB_SRV${i}_IF" %s "$sif"
		printf -v "NB_DISP_SRV${i}_IF" %s "$dif"
		printf -v "NB_SRV${i}_IP4" %s "$n4.2"
		printf -v "NB_SRV${i}_IP6" %s "$n6::2"
	done
	nb_offloads "$offl"
}

# A private bpf filesystem at $NB_DIR/bpf (pinned fast-path maps), gone at
# cleanup with everything pinned in it. Mount before starting the daemon:
# `ip netns exec` copies the mounts it finds.
nb_bpffs()
{
	mkdir -p "$NB_DIR/bpf" && mount -t bpf bpf "$NB_DIR/bpf"
}

nb_cleanup()
{
	local rc=$? ns pid pids i
	trap - EXIT INT TERM
	# Our own background jobs first (their children die with them below).
	for pid in "${NB_BGPIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	# Anything else still running inside a testbed namespace, including
	# daemons that double-forked away from us: TERM, then KILL.
	for i in 1 2; do
		pids=
		for ns in "${NB_NSLIST[@]}"; do
			pids="$pids $(ip netns pids "$ns" 2>/dev/null)"
		done
		[ -z "${pids// /}" ] && break
		if [ $i = 1 ]; then
			kill $pids 2>/dev/null
			sleep 0.3
		else
			kill -9 $pids 2>/dev/null
		fi
	done
	# Give them up to 2 s to be gone before the namespaces go (kill -0
	# rather than wait: bash may already have reaped them).
	for ((i = 0; i < 20; i++)); do
		pids=
		for pid in "${NB_BGPIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && pids="$pids $pid"
		done
		[ -z "$pids" ] && break
		sleep 0.1
	done
	NB_BGPIDS=()
	# Deleting a namespace deletes the veth ends inside it, and with them
	# their peers.
	for ns in "${NB_NSLIST[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	NB_NSLIST=()
	# A bpf filesystem a test mounted for pinned maps (nb_bpffs).
	[ -n "$NB_DIR" ] && umount "$NB_DIR/bpf" 2>/dev/null
	[ -n "$NB_DIR" ] && rm -rf "$NB_DIR"
	NB_DIR=
	return $rc
}
