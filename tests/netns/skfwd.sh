#!/usr/bin/env bash
# skfwd end to end: real TCP connections between a client namespace and a
# backend namespace complete through the forwarder, and only through it.
#
#   skfwd.sh IO OFFLOADS FAMILY [TX [THREADS]]
#     IO        pcap | afpacket   capture backend
#     OFFLOADS  on | off          veth checksum/TSO/GSO/GRO offloads
#     FAMILY    4 | 6
#     TX        ip | packet       raw IP socket (default) or AF_PACKET send
#     THREADS   skfwd --threads (afpacket fanout); default 1. With more,
#               16 more connections are made and every thread must have
#               forwarded some of them (chance of a false failure with
#               2 threads: 2^-15, all flows hashing to one thread).
#
# Checks: the VIP is dead without skfwd; a 1 MiB download (curl from
# python3 http.server) and a 1 MiB upload (socat to socat) arrive intact,
# by SHA-256; the backend saw the client's own address; skfwd's counters
# show traffic both ways, no corrupt or unsendable packets, and, with
# offloads on, that super-packets were met and split (off: none met).
set -u
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
nb_require_root
nb_require curl socat python3 sha256sum timeout

io=${1:?IO} offl=${2:?OFFLOADS} fam=${3:?FAMILY} tx=${4:-ip} threads=${5:-1}
skfwd=${SPLICEKIT_BUILD:?}/tools/skfwd
fail=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; fail=1; }

nb_init ri
nb_setup --servers 1 --offloads "$offl" || { no "testbed setup"; exit 1; }
if [ "$fam" = 4 ]; then
	vip=$NB_VIP4 be=${NB_SRV_IP4[1]} cli=$NB_CLI_IP4 url=http://$NB_VIP4
else
	vip=$NB_VIP6 be=${NB_SRV_IP6[1]} cli=$NB_CLI_IP6 url=http://[$NB_VIP6]
fi
head -c 1048576 /dev/urandom >"$NB_DIR/blob"
want=$(sha256sum <"$NB_DIR/blob" | cut -d' ' -f1)

nb_bg "$NB_SRV1" python3 -m http.server 8080 --bind :: --directory "$NB_DIR"
http_pid=$NB_LASTPID http_log=$NB_LASTLOG
nb_wait_port "$NB_SRV1" 8080 || { no "http server up"; exit 1; }

# Without the forwarder the dispatcher kernel must not carry the VIP.
if nb_exec "$NB_CLI" curl -s -m 2 -o /dev/null "$url:80/blob"; then
	no "VIP unreachable without skfwd"
else
	ok "VIP unreachable without skfwd"
fi

txargs=()
[ "$tx" = packet ] && txargs=(--tx packet --server-mac "$(nb_mac "$NB_SRV1" "${NB_SRV_IF[1]}")")
nb_bg "$NB_DISP" "$skfwd" --io "$io" --client-if "$NB_DISP_CLI_IF" \
	--server-if "${NB_DISP_SRV_IF[1]}" --vip "$vip" --port 80 \
	--backend "$be" --backend-port 8080 --duration 60 -v "${txargs[@]}" \
	--threads "$threads"
fwd_pid=$NB_LASTPID fwd_log=$NB_LASTLOG
for ((i = 0; i < 50; i++)); do
	grep -q "skfwd: $io:" "$fwd_log" 2>/dev/null && break
	kill -0 "$fwd_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "skfwd: $io:" "$fwd_log" || { no "skfwd starts"; cat "$fwd_log"; exit 1; }

# Download: server -> client carries the bulk.
got=$(nb_exec "$NB_CLI" curl -s -m 20 "$url:80/blob" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] && ok "1 MiB download intact ($io, offloads $offl, IPv$fam, tx $tx)" ||
	no "1 MiB download intact: got $got"
grep -Eq "^(::ffff:)?$cli - .*GET /blob" "$http_log" && ok "backend saw the client's own address" ||
	no "backend saw the client's own address"
if [ "$threads" -gt 1 ]; then
	echo small >"$NB_DIR/small"
	good=0
	for ((i = 0; i < 16; i++)); do
		[ "$(nb_exec "$NB_CLI" curl -s -m 5 "$url:80/small")" = small ] && good=$((good + 1))
	done
	[ $good = 16 ] && ok "16 more connections through $threads threads" ||
		no "16 more connections: $good succeeded"
fi
kill "$http_pid"
for ((i = 0; i < 30; i++)); do
	nb_exec "$NB_SRV1" ss -Hltn "sport = :8080" | grep -q . || break
	sleep 0.1
done

# Upload: client -> server carries the bulk (and, offloads on, the
# client's TSO super-packets).
nb_bg "$NB_SRV1" timeout 30 socat -u TCP$fam-LISTEN:8080,reuseaddr "CREATE:$NB_DIR/up"
up_pid=$NB_LASTPID
nb_wait_port "$NB_SRV1" 8080 || no "socat server up"
if [ "$fam" = 4 ]; then dst=TCP4:$vip:80; else dst=TCP6:[$vip]:80; fi
nb_exec "$NB_CLI" timeout 20 socat -u "FILE:$NB_DIR/blob" "$dst" || no "socat upload ran"
for ((i = 0; i < 100; i++)); do kill -0 "$up_pid" 2>/dev/null || break; sleep 0.1; done
got=$(sha256sum <"$NB_DIR/up" 2>/dev/null | cut -d' ' -f1)
[ "$got" = "$want" ] && ok "1 MiB upload intact" || no "1 MiB upload intact: got $got"

kill -TERM "$fwd_pid"
for ((i = 0; i < 30; i++)); do kill -0 "$fwd_pid" 2>/dev/null || break; sleep 0.1; done
cat "$fwd_log" >&2
count() { # count DIR NAME
	grep "^skfwd: $1 " "$fwd_log" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
for d in c2s s2c; do
	[ "$(count $d forwarded)" -gt 0 ] 2>/dev/null && ok "$d packets forwarded" ||
		no "$d packets forwarded"
	for z in drop_csum drop_send drop_parse refused_big; do
		[ "$(count $d $z)" = 0 ] && ok "$d $z is 0" || no "$d $z is $(count $d $z)"
	done
done
for ((t = 0; t < threads && threads > 1; t++)); do
	n=$(grep "^skfwd\[$t\]: c2s " "$fwd_log" | tr ' ' '\n' | sed -n 's/^forwarded=//p')
	[ "${n:-0}" -gt 0 ] && ok "thread $t forwarded client packets ($n)" ||
		no "thread $t forwarded no client packets"
done
big=$(($(count c2s split) + $(count s2c split)))
if [ "$offl" = on ]; then
	[ "$big" -gt 0 ] && ok "super-packets met and split ($big)" ||
		no "offloads on but no super-packet seen"
	cs=$(($(count c2s csum_completed) + $(count s2c csum_completed)))
	[ "$cs" -gt 0 ] && ok "partial checksums completed ($cs)" ||
		no "offloads on but no partial checksum completed"
else
	[ "$big" = 0 ] && ok "no super-packets with offloads off" ||
		no "offloads off yet $big super-packets"
fi
exit $fail
