#!/usr/bin/env bash
# N spliced instances in nat mode behind the ECMP router, each with its own
# source-NAT address and the same source-hash scheduler, sharing nothing
# (no Redis): the baseline the shared tables are measured against.
#   1. connections per second (wrk, Connection: close) and throughput
#      (4 parallel 100 MB downloads) through the VIP;
#   2. an instance is killed with -9 during 12 rate-limited 60 MB
#      downloads and the router drops its next hop, as a fabric does: the
#      downloads that break are counted (no state is shared yet, so every
#      flow through the dead instance breaks, and so does any flow the
#      router's rehash moves between survivors).
# It fails only if the cluster does not carry traffic before the kill; the
# kill's toll is a figure, not a pass/fail line.
# Usage: nat_scale.sh N
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/cluster/lib.sh"
nb_require_root
nb_require nginx curl wrk sha256sum
n=${1:?usage: nat_scale.sh N}
spliced=$SPLICEKIT_BUILD/dispatcher/spliced
fail() { echo "FAIL: $*" >&2; exit 1; }

nb_init cln
cl_setup --instances "$n" --servers 2 --return snat || fail "testbed setup"
NB_SRV=("" "${CL_SRV[@]:1}") NB_NSERVERS=2
mkdir -p "$NB_DIR/www"
head -c 100M /dev/urandom >"$NB_DIR/www/big"
head -c 60M "$NB_DIR/www/big" >"$NB_DIR/www/mid"
want=$(sha256sum <"$NB_DIR/www/mid" | cut -d' ' -f1)
for i in 1 2; do en_nginx $i || fail "nginx $i"; done

start_instance() { # start_instance I: spliced in instance I's namespace
	local i=$1 conf=$NB_DIR/spliced$1.conf
	cat >"$conf" <<-CONF
	control-socket $NB_DIR/spliced$i.sock
	workers 1
	service web {
		vip $NB_VIP4:80
		mode nat
		client-interface ${CL_DISP_RTR_IF[i]}
		server-interface ${CL_DISP_LAN_IF[i]}
		io packet
		scheduler source-hash
		backend ${CL_SRV_IP4[1]}:80
		backend ${CL_SRV_IP4[2]}:80
		source-nat ${CL_SNAT_IP4[i]}
	}
	CONF
	nb_bg "${CL_DISP[i]}" "$spliced" -c "$conf"
	SPLICED_PID[i]=$NB_LASTPID
	local t
	for ((t = 0; t < 50; t++)); do
		grep -qi "forwarding\|started\|ready" "$NB_LASTLOG" 2>/dev/null && return 0
		kill -0 "$NB_LASTPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$NB_LASTLOG" >&2
	fail "spliced $i did not start"
}
SPLICED_PID=()
for ((i = 1; i <= n; i++)); do start_instance "$i"; done

# Every instance answers.
out=$(nb_exec "$CL_CLI" curl -sS --max-time 60 -H 'Connection: close' \
	"http://$NB_VIP4/ip?n=[1-120]") || fail "curl through the VIP"
for ((i = 1; i <= n; i++)); do
	c=$(grep -c "^${CL_SNAT_IP4[i]}\$" <<<"$out")
	echo "instance $i carried $c of 120 connections"
	[ "$c" -gt 0 ] || fail "instance $i carried none"
done

cps=$(nb_exec "$CL_CLI" wrk -t2 -c32 -d5s -H 'Connection: close' "http://$NB_VIP4/" |
	sed -n 's/^Requests\/sec: *//p')
t0=$(date +%s.%N)
pids=()
for k in 1 2 3 4; do
	nb_exec "$CL_CLI" curl -sS --max-time 120 -o /dev/null "http://$NB_VIP4/files/big" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || fail "a 100 MB download failed"
done
t1=$(date +%s.%N)
mbit=$(echo "4 * 100 * 8 * 1.048576 / ($t1 - $t0)" | bc -l)
printf 'N=%s connections/s %.0f throughput %.0f Mbit/s (4 x 100 MB in %.2f s)\n' \
	"$n" "$cps" "$mbit" "$(echo "$t1 - $t0" | bc -l)"

# Kill one instance during 12 downloads of 60 MB at 20 MB/s (~3 s each).
[ "$n" -ge 2 ] || { echo "PASS: N=1, no kill"; exit 0; }
pids=()
for k in $(seq 1 12); do
	nb_exec "$CL_CLI" curl -sS --max-time 60 --limit-rate 20M -o "$NB_DIR/dl$k" \
		"http://$NB_VIP4/files/mid" 2>"$NB_DIR/dl$k.err" &
	pids+=($!)
done
sleep 1
kill -9 "${SPLICED_PID[1]}"
cl_instance_down 1 || fail "router next hop"
broken=0
for k in $(seq 1 12); do
	if ! wait "${pids[k - 1]}" || [ "$(sha256sum <"$NB_DIR/dl$k" | cut -d' ' -f1)" != "$want" ]; then
		broken=$((broken + 1))
	fi
done
echo "N=$n: instance 1 killed -9 mid-transfer: $broken of 12 downloads broke (no shared state)"
echo "PASS: $n nat instances behind ECMP"
