#!/usr/bin/env bash
# tools/bench/splice-bench.sh: spliced splice mode next to the real
# alternatives, ONE run on ONE testbed (tests/netns/lib.sh + nat_lib.sh +
# tls_lib.sh): client ns -> dispatcher ns -> bridge -> 3 server ns, each
# server running nginx with TLS 1.2+1.3 on :443 (a shared session cache and
# its own 80-byte ticket key) and on :8443 (no cache, no tickets: every
# handshake is a full one), server 1 also iperf3. The VIP is routed to the
# dispatcher but assigned nowhere and forwarding is off, except where a
# path below needs otherwise.
#
# Paths:
#   kernel        nftables DNAT in the dispatcher ns, forwarding on (kernel
#                 NAT, conntrack): VIP:443/8443 -> `numgen inc mod 3` over
#                 the 3 backends, VIP:5201 -> server 1. No userspace
#                 middlebox.
#   haproxy       HAProxy `mode tcp`, balance roundrobin; the VIP is assigned
#                 to the dispatcher ns's lo for its run, then removed.
#   haproxy-stick HAProxy with the session-ID stick table (the recipe in
#                 docs/field-notes.md) on :443 and :8443; it is a TLS
#                 recipe, so iperf3 is not run through it.
#   nat           spliced `mode nat`, rr, transparent.
#   splice        spliced `mode splice`, rr for new sessions, session-table
#                 on, every backend with its `ticket-key-file`.
#   splice-rr     spliced `mode splice` with session-table off and no
#                 ticket-key-file: plain round-robin (part 2's baseline).
#
# Part 1, per path: iperf3 (one stream, SECS s, plain TCP to server 1),
# an HTTPS download (curl, one connection, SECS s, of an endless file:
# TLS bulk through the TLS service), and TLS connections per second with
# wrk -t1 -c16 over https and "Connection: close" (every request a new TCP
# connection), twice: "full" against :8443, where every handshake is a
# full TLS 1.3 one, and "resuming" against :443, where wrk offers the last
# session it got, so the figure rises with the share of resumptions the
# path lets succeed (1 in 3 when the backend is picked blindly). Ratios
# are to the kernel path.
#
# Part 2, per TLS population (1.2: session IDs, tickets off on the client;
# 1.3: tickets, per-backend keys) and per path (splice-rr, haproxy-stick,
# splice): tools/bench/tls_pop.py runs CLIENTS clients, each with its own
# session, reconnecting in parallel for POPSECS s (GET /, hold the
# connection HOLD ms x 0.5..1.5, close, wait GAP ms, reconnect offering
# the latest session). Printed: connections, resumed / offered (the
# resumption rate), failures, and the load spread: every 0.2 s the
# established :443 connections in each server ns are counted
# (`ss -Htn state established`); "max/mean" is the mean over samples of
# the busiest backend's count over the three backends' mean (1.00 =
# perfectly even), "active" the mean per-backend counts. For spliced, the
# router's counters during each population follow the table (routed by
# ticket prefix, table hits, misses, and resumptions refused because the
# session's only holder was BUSY or over the load guard).
#
#   tools/bench/splice-bench.sh [--seconds N] [--pop-seconds N] [--clients N]
#                               [--hold-ms N] [--gap-ms N] [--offloads on|off]
#                               [--workers N] [--rounds N] [--smoke]
#
# Defaults: 5 s per part-1 measurement, best of 2 rounds over all paths
# (the paths take turns, so a burst of load from other tenants hits one
# round, not one path), 10 s per population, 50 clients, 100 ms hold, 0 ms
# gap, offloads off (as the splice netns tests), 1 spliced worker and 1
# HAProxy thread (the same CPU budget). A full run takes ~5 min.
#
# How to read it: compare within one run only (the machine is shared and
# noisy; absolute numbers drift). In part 1, a ratio near 1 means the path
# costs no more than kernel NAT. In part 2, round-robin resumes about one
# session in three (3 backends, per-backend session caches and keys); the
# stick table should resume nearly all TLS 1.2 sessions but, since a TLS
# 1.3 ClientHello's legacy_session_id is fresh random bytes, only about one
# in three TLS 1.3 sessions; spliced should resume nearly all of both,
# with the load spread (max/mean) no worse than round-robin's. With
# --gap-ms 0 a client's next hello can reach spliced before its previous
# connection's close has: that session is still BUSY, and spliced then
# balances the resumption elsewhere (busy_refused counts them).
#
# --smoke: 1 s per measurement, 1 round, 2 s per population, 10 clients; exits
# non-zero if any case fails to run (moves no data, or no connection
# succeeds), never for slow numbers. Registered in suite 'bench'. Needs
# root, nginx, haproxy, iperf3, wrk, curl, nft, openssl, python3.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
export SPLICEKIT_SRC=${SPLICEKIT_SRC:-$src}
export SPLICEKIT_BUILD=${SPLICEKIT_BUILD:-$src/build}
secs=5 popsecs=10 clients=50 hold=100 gap=0 offl=off workers=1 rounds=2 smoke=0
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=${2:-}; shift 2 ;;
	--pop-seconds) popsecs=${2:-}; shift 2 ;;
	--clients) clients=${2:-}; shift 2 ;;
	--hold-ms) hold=${2:-}; shift 2 ;;
	--gap-ms) gap=${2:-}; shift 2 ;;
	--offloads) offl=${2:-}; shift 2 ;;
	--workers) workers=${2:-}; shift 2 ;;
	--rounds) rounds=${2:-}; shift 2 ;;
	--smoke) smoke=1 secs=1 popsecs=2 clients=10 rounds=1; shift ;;
	-h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "splice-bench: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
inrange() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
inrange "$secs" 1 60 || { echo "splice-bench: --seconds wants 1..60" >&2; exit 2; }
inrange "$popsecs" 1 120 || { echo "splice-bench: --pop-seconds wants 1..120" >&2; exit 2; }
inrange "$clients" 1 200 || { echo "splice-bench: --clients wants 1..200" >&2; exit 2; }
inrange "$hold" 0 5000 || { echo "splice-bench: --hold-ms wants 0..5000" >&2; exit 2; }
inrange "$gap" 0 5000 || { echo "splice-bench: --gap-ms wants 0..5000" >&2; exit 2; }
inrange "$workers" 1 8 || { echo "splice-bench: --workers wants 1..8" >&2; exit 2; }
inrange "$rounds" 1 5 || { echo "splice-bench: --rounds wants 1..5" >&2; exit 2; }
case $offl in on | off) ;; *) echo "splice-bench: --offloads wants on|off" >&2; exit 2 ;; esac

. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/tls_lib.sh"
nb_require_root
nb_require nginx haproxy iperf3 wrk curl nft openssl python3 ethtool
if ! [ -x "$SPLICEKIT_BUILD/dispatcher/spliced" ] || ! [ -x "$SPLICEKIT_BUILD/tools/splicectl" ]; then
	echo "SKIP: build spliced and splicectl first (ninja -C build)" >&2
	exit 77
fi
pop=$SPLICEKIT_SRC/tools/bench/tls_pop.py

nb_init bk
nb_setup --servers 3 --offloads "$offl" >/dev/null || en_fail "testbed"
en_bridge_servers || en_fail "bridge"
nb_offloads "$offl" "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
tl_pki || en_fail "certificates"
mkdir -p "$NB_DIR/www"
# An endless download: a sparse file (no disk I/O) far larger than any
# SECS-second transfer here.
truncate -s 64G "$NB_DIR/www/big" || en_fail "sparse file"
# bk_nginx I: backend I's nginx. :443 resumes (shared session cache for
# TLS 1.2 session IDs, its own ticket key for TLS 1.2/1.3 tickets); :8443
# never does (no cache, no tickets), so every connection to it is a full
# handshake whatever the client keeps. "/" answers "srvI ADDR".
bk_nginx()
{
	local i=$1 d=$NB_DIR/bknginx$1 key
	key=$(tl_ticket_key "$i")
	mkdir -p "$d"
	head -c 80 /dev/urandom >"$key" || return 1
	{
	en_nginx_head "$d"
	cat <<-CONF
		keepalive_timeout 120s;
		ssl_certificate $TL_PKI/srv.crt;
		ssl_certificate_key $TL_PKI/srv.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		server {
			listen 443 ssl;
			ssl_session_cache shared:bk$i:4m;
			ssl_session_timeout 30m;
			ssl_session_tickets on;
			ssl_session_ticket_key $key;
			location = / { default_type text/plain; return 200 "srv$i \$server_addr\n"; }
			location /files/ { alias $NB_DIR/www/; }
		}
		server {
			listen 8443 ssl;
			ssl_session_cache off;
			ssl_session_tickets off;
			location = / { default_type text/plain; return 200 "srv$i \$server_addr\n"; }
		}
	}
	CONF
	} >"$d/nginx.conf"
	nb_bg "${NB_SRV[i]}" nginx -c "$d/nginx.conf" -e "$d/error.log"
	nb_wait_port "${NB_SRV[i]}" 443 10 && nb_wait_port "${NB_SRV[i]}" 8443 10
}
for i in 1 2 3; do
	bk_nginx "$i" || en_fail "nginx $i"
done
nb_bg "${NB_SRV[1]}" iperf3 -s -p 5201
nb_wait_port "${NB_SRV[1]}" 5201 || en_fail "iperf3 server"
srv1=${NB_SRV_IP4[1]}

forwarding() { nb_exec "$NB_DISP" sysctl -qw net.ipv4.ip_forward="$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else print "-" }'; }

# spliced_conf FILE MODE TABLE(on|off|-) KEYS(yes|no)
spliced_conf()
{
	local f=$1 mode=$2 table=$3 keys=$4 i port
	{
		echo "control-socket $NB_DIR/spliced.sock"
		echo "workers $workers"
		for port in 443 8443; do
			echo "service tls$port {"
			echo "	vip $NB_VIP4:$port"
			echo "	mode $mode"
			echo "	client-interface $NB_DISP_CLI_IF"
			echo "	server-interface $EN_SRV_IF"
			echo "	io packet"
			echo "	scheduler rr"
			echo "	transparent"
			for i in 1 2 3; do
				if [ "$keys" = yes ]; then
					echo "	backend ${NB_SRV_IP4[i]}:$port ticket-key-file $(tl_ticket_key "$i")"
				else
					echo "	backend ${NB_SRV_IP4[i]}:$port"
				fi
			done
			[ "$table" != - ] && echo "	session-table $table"
			echo "}"
		done
		echo "service bulk {"
		echo "	vip $NB_VIP4:5201"
		echo "	mode $mode"
		echo "	client-interface $NB_DISP_CLI_IF"
		echo "	server-interface $EN_SRV_IF"
		echo "	io packet"
		echo "	scheduler rr"
		echo "	transparent"
		echo "	backend $srv1:5201"
		echo "}"
	} >"$f"
}

# haproxy_conf FILE plain|stick
haproxy_conf()
{
	local f=$1 kind=$2 i port
	{
		printf 'global\n\tmaxconn 4000\n\tnbthread %s\n' "$workers"
		printf 'defaults\n\tmode tcp\n\ttimeout connect 5s\n\ttimeout client 30s\n\ttimeout server 30s\n'
		for port in 443 8443; do
			printf 'listen tls%s\n\tbind %s:%s\n\tbalance roundrobin\n' "$port" "$NB_VIP4" "$port"
			if [ "$kind" = stick ]; then
				# The session-ID recipe from HAProxy's documentation, as quoted
				# in docs/field-notes.md.
				printf '\tstick-table type binary len 32 size 30k expire 30m\n'
				printf '\tacl clienthello req.ssl_hello_type 1\n'
				printf '\tacl serverhello res.ssl_hello_type 2\n'
				printf '\ttcp-request inspect-delay 5s\n'
				printf '\ttcp-request content accept if clienthello\n'
				printf '\ttcp-response content accept if serverhello\n'
				printf '\tstick on req.payload_lv(43,1) if clienthello\n'
				printf '\tstick store-response res.payload_lv(43,1) if serverhello\n'
			fi
			for i in 1 2 3; do
				printf '\tserver s%d %s:%s\n' "$i" "${NB_SRV_IP4[i]}" "$port"
			done
		done
		if [ "$kind" = plain ]; then
			printf 'listen bulk\n\tbind %s:5201\n\tserver s1 %s:5201\n' "$NB_VIP4" "$srv1"
		fi
	} >"$f"
}

HA_PID=
haproxy_start()
{
	haproxy_conf "$NB_DIR/haproxy-$1.cfg" "$1"
	# HAProxy terminates TCP, so the VIP must be a local address for its
	# run (and only for it: the other paths need it unassigned).
	ip -n "$NB_DISP" addr add "$NB_VIP4/32" dev lo || en_fail "VIP on lo"
	nb_bg "$NB_DISP" haproxy -db -f "$NB_DIR/haproxy-$1.cfg"
	HA_PID=$NB_LASTPID
	nb_wait_port "$NB_DISP" 443 || en_fail "haproxy ($1) did not start: $(cat "$NB_LASTLOG")"
}
haproxy_stop()
{
	kill "$HA_PID" 2>/dev/null
	wait "$HA_PID" 2>/dev/null
	HA_PID=
	ip -n "$NB_DISP" addr del "$NB_VIP4/32" dev lo
}

kernel_start()
{
	nb_exec "$NB_DISP" nft -f - <<-NFT || en_fail "nft"
	table ip bkbench {
		chain pre {
			type nat hook prerouting priority dstnat;
			ip daddr $NB_VIP4 tcp dport { 443, 8443 } dnat to numgen inc mod 3 map { 0 : ${NB_SRV_IP4[1]}, 1 : ${NB_SRV_IP4[2]}, 2 : ${NB_SRV_IP4[3]} }
			ip daddr $NB_VIP4 tcp dport 5201 dnat to $srv1
		}
	}
	NFT
	forwarding 1
}
kernel_stop()
{
	forwarding 0
	nb_exec "$NB_DISP" nft delete table ip bkbench
}

# --- part 1 -------------------------------------------------------------

# iperf3 Gbit/s through the VIP (prints "-" when not measured, 0 on failure)
m_iperf()
{
	nb_exec "$NB_CLI" timeout $((secs + 15)) iperf3 -c "$NB_VIP4" -p 5201 \
		-t "$secs" -J 2>/dev/null | python3 -c '
import json, sys
try:
    print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("0")'
}

# HTTPS download Gbit/s: one connection for SECS s (curl stops it: exit 28).
m_https()
{
	local bps
	bps=$(nb_exec "$NB_CLI" curl -s -o /dev/null --max-time "$secs" \
		--cacert "$TL_PKI/ca.crt" --resolve "$TL_SNI:443:$NB_VIP4" \
		-w '%{speed_download}' "https://$TL_SNI/files/big")
	awk -v b="${bps:-0}" 'BEGIN { printf "%.2f", b * 8 / 1e9 }'
}

# TLS connections per second to PORT (wrk, a fresh connection per request).
m_cps()
{
	nb_exec "$NB_CLI" timeout $((secs + 15)) wrk -t1 -c16 -d"${secs}s" \
		-H 'Connection: close' "https://$NB_VIP4:$1/" 2>/dev/null |
		awk '/^Requests\/sec/ { printf "%d", $2; f = 1 } END { if (!f) print 0 }'
}

declare -A G H C W
ZERO=()
# best ARRAY PATH WHAT VALUE: keep the larger of ARRAY[PATH] and VALUE (the
# best of the rounds: other tenants of a shared machine only ever slow a
# measurement down); a zero is a case that failed to run, remembered.
best()
{
	local -n arr=$1
	awk -v v="$4" 'BEGIN { exit !(v <= 0) }' && ZERO+=("$2 $3 (round $round)")
	if [ -z "${arr[$2]:-}" ] || awk -v a="${arr[$2]}" -v v="$4" 'BEGIN { exit !(v > a) }'; then
		arr[$2]=$4
	fi
}
part1()
{
	local p=$1 do_iperf=$2 g=- h c w
	[ "$do_iperf" = yes ] && g=$(m_iperf)
	h=$(m_https)
	c=$(m_cps 8443)
	w=$(m_cps 443)
	nb_log "part 1 round $round $p: iperf3 $g Gbit/s, https $h Gbit/s, $c full conn/s, $w resuming conn/s"
	if [ "$g" = - ]; then G[$p]=-; else best G "$p" iperf3 "$g"; fi
	best H "$p" https "$h"
	best C "$p" full "$c"
	best W "$p" resuming "$w"
}

# --- part 2 -------------------------------------------------------------

# sample_load OUT: every 0.2 s, one line with the established :443
# connections in servers 1..3, until the file $NB_DIR/sample.stop appears
# (bounded to popsecs + 30 s in any case).
sample_load()
{
	local out=$1 t i line n
	: >"$out"
	for ((t = 0; t < (popsecs + 30) * 5; t++)); do
		[ -e "$NB_DIR/sample.stop" ] && break
		line=
		for i in 1 2 3; do
			n=$(nb_exec "${NB_SRV[i]}" ss -Htn state established '( sport = :443 )' | wc -l)
			line="$line $n"
		done
		echo "$line" >>"$out"
		sleep 0.2
	done
}

# route_counters: spliced's session-routing counters of service tls443 as
# "name value" lines (nothing when spliced is not running).
route_counters()
{
	[ -n "$EN_DISP_PID" ] || return 0
	tl_ctl show stats 2>/dev/null |
		awk '/^service / { on = ($2 == "tls443") } on && NF == 2 && $2 ~ /^[0-9]+$/ { print $1, $2 }'
}

# population NAME TLS: run tls_pop.py with the load sampler; sets R[NAME.TLS]
# and, for spliced, RC[NAME.TLS] (what its router did during the run).
declare -A R RC
population()
{
	local name=$1 tls=$2 out=$NB_DIR/pop.$1.$2 json spread
	route_counters >"$out.c0"
	rm -f "$NB_DIR/sample.stop"
	sample_load "$out.load" &
	local spid=$!
	json=$(nb_exec "$NB_CLI" python3 "$pop" --host "$NB_VIP4" --port 443 \
		--sni "$TL_SNI" --cafile "$TL_PKI/ca.crt" --tls "$tls" \
		--clients "$clients" --seconds "$popsecs" --hold-ms "$hold" --gap-ms "$gap" 2>"$out.err")
	touch "$NB_DIR/sample.stop"
	wait "$spid"
	# Samples taken while the population was fully up: drop the first and
	# last 10% (ramp up, ramp down).
	spread=$(awk '{ n[NR] = $0 } END {
		lo = int(NR / 10) + 1; hi = NR - int(NR / 10); k = 0
		for (r = lo; r <= hi; r++) {
			split(n[r], v, " "); s = v[1] + v[2] + v[3]
			m = v[1]; if (v[2] > m) m = v[2]; if (v[3] > m) m = v[3]
			a1 += v[1]; a2 += v[2]; a3 += v[3]; rows++
			if (s > 0) { q += m / (s / 3); k++ }
		}
		if (k == 0 || rows == 0) { print "- -"; exit }
		printf "%.2f %.1f/%.1f/%.1f\n", q / k, a1 / rows, a2 / rows, a3 / rows
	}' "$out.load")
	R[$name.$tls]=$(python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
except Exception:
    print("0 0 0 0 0 -"); sys.exit()
rate = "%.1f%%" % (100.0 * d["reused"] / d["offered"]) if d["offered"] else "-"
print(d["conns"], d["offered"], d["reused"], d["fails"], "%.0f" % (d["conns"] / d["seconds"]), rate)
' "$json")" $spread"
	nb_log "part 2 $name TLS $tls: $json | spread $spread"
	if [ -n "$EN_DISP_PID" ]; then
		route_counters >"$out.c1"
		RC[$name.$tls]=$(awk 'NR == FNR { a[$1] = $2; next }
			{ d[$1] = $2 - a[$1] }
			END { printf "prefix_routed %d, table_hits %d, table_misses %d, busy_refused %d, guard_refused %d",
				d["prefix_routed"], d["table_hits"], d["table_misses"], d["busy_refused"], d["guard_refused"] }' \
			"$out.c0" "$out.c1")
	fi
}

# ---- runs, one path at a time ------------------------------------------

spliced_run()
{
	local name=$1 mode=$2 table=$3 keys=$4
	spliced_conf "$NB_DIR/$name.conf" "$mode" "$table" "$keys"
	en_dispatcher "$NB_DIR/$name.conf"
}
spliced_stop()
{
	local name=$1
	tl_ctl show stats >"$NB_DIR/$name.r$round.stats" 2>&1
	en_dispatcher_stop
}

# Part 1 runs ROUNDS times over all paths in turn (best of the rounds is
# kept); part 2 runs once, in the first round, with the same daemons.
for ((round = 1; round <= rounds; round++)); do
	kernel_start
	part1 kernel yes
	kernel_stop

	haproxy_start plain
	part1 haproxy yes
	haproxy_stop

	haproxy_start stick
	part1 haproxy-stick no
	if [ "$round" = 1 ]; then
		population haproxy-stick 1.2
		population haproxy-stick 1.3
	fi
	haproxy_stop

	spliced_run nat nat - no
	part1 nat yes
	spliced_stop nat

	if [ "$round" = 1 ]; then
		# spliced splice mode, round-robin only (part 2's baseline)
		spliced_run splice-rr splice off no
		population splice-rr 1.2
		population splice-rr 1.3
		spliced_stop splice-rr
	fi

	spliced_run splice splice on yes
	part1 splice yes
	if [ "$round" = 1 ]; then
		population splice 1.2
		population splice 1.3
	fi
	spliced_stop splice
done

# ---- report ------------------------------------------------------------
fail=0
. "$SPLICEKIT_SRC/tools/bench/results.sh"
br_open splice-bench "seconds=$secs" "rounds=$rounds" "offloads=$offl" "workers=$workers" \
	"clients=$clients" "pop_seconds=$popsecs" "hold_ms=$hold" "gap_ms=$gap" "smoke=$smoke"
printf '\nsplice-bench: part 1 (%s s per measurement, best of %s rounds), offloads %s, spliced workers %s, haproxy nbthread %s, %s, %s\n' \
	"$secs" "$rounds" "$offl" "$workers" "$workers" "$(haproxy -v | awk 'NR == 1 { print "HAProxy " $3 }')" "$(uname -r)"
printf '%-14s %8s %6s %8s %6s %8s %6s %8s %6s\n' path iperf3 ratio https ratio full ratio resuming ratio
printf '%-14s %8s %6s %8s %6s %8s %6s %8s %6s\n' '' Gbit/s '' Gbit/s '' conn/s '' conn/s ''
for p in kernel haproxy haproxy-stick nat splice; do
	printf '%-14s %8s %6s %8s %6s %8s %6s %8s %6s\n' "$p" "${G[$p]}" "$(ratio "${G[$p]}" "${G[kernel]}")" \
		"${H[$p]}" "$(ratio "${H[$p]}" "${H[kernel]}")" "${C[$p]}" "$(ratio "${C[$p]}" "${C[kernel]}")" \
		"${W[$p]}" "$(ratio "${W[$p]}" "${W[kernel]}")"
	br_put "$p" iperf3 "${G[$p]}" Gbit/s "$(ratio "${G[$p]}" "${G[kernel]}")"
	br_put "$p" https "${H[$p]}" Gbit/s "$(ratio "${H[$p]}" "${H[kernel]}")"
	br_put "$p" full_handshakes "${C[$p]}" conn/s "$(ratio "${C[$p]}" "${C[kernel]}")"
	br_put "$p" resuming "${W[$p]}" conn/s "$(ratio "${W[$p]}" "${W[kernel]}")"
done

[ "$smoke" = 1 ] && echo "(smoke form: 1 s per measurement; these numbers are for seeing that every case runs, not for comparing)"
for z in "${ZERO[@]}"; do
	echo "FAIL: $z: moved no data / completed no connection" >&2
	fail=1
done

printf '\npart 2: %s clients per population, %s s each, connections held %s ms (x0.5..1.5), %s ms between connections; 3 backends\n' \
	"$clients" "$popsecs" "$hold" "$gap"
printf '%-5s %-14s %7s %6s %17s %6s %5s %9s %16s\n' TLS path conns conn/s resumed/offered rate fails max/mean 'active s1/s2/s3'
for tls in 1.2 1.3; do
	for p in splice-rr haproxy-stick splice; do
		read -r conns offered reused fails cps rate spread active <<<"${R[$p.$tls]}"
		printf '%-5s %-14s %7s %6s %17s %6s %5s %9s %16s\n' "$tls" "$p" "$conns" "$cps" \
			"$reused/$offered" "$rate" "$fails" "$spread" "$active"
		br_put "$p" "tls$tls.resumption_rate" "${rate%\%}" percent
		br_put "$p" "tls$tls.connections" "$cps" conn/s
		br_put "$p" "tls$tls.fails" "$fails" count
		br_put "$p" "tls$tls.load_max_over_mean" "$spread" ratio
		[ "${conns:-0}" -gt 0 ] || { echo "FAIL: $p TLS $tls: no connection succeeded" >&2; fail=1; }
	done
done
echo "  splice-rr: spliced splice mode, session-table off, no ticket-key-file (round-robin)"
echo "  haproxy-stick: HAProxy session-ID stick table (TLS 1.3 session IDs are random: it cannot route them)"
echo "  splice: spliced splice mode, session-table on, ticket-key-file per backend"
for tls in 1.2 1.3; do
	[ -n "${RC[splice.$tls]:-}" ] && echo "  spliced router, splice TLS $tls: ${RC[splice.$tls]}"
done
echo
echo "spliced splice-mode routing on :443 over its round-1 run (part 1 wrk + both populations; splicectl show stats):"
awk '/^service / { on = ($2 == "tls443") } on' "$NB_DIR/splice.r1.stats" | sed 's/^/  /'
if [ "$fail" = 1 ]; then
	echo "FAIL: a case failed to run" >&2
	exit 1
fi
exit 0
