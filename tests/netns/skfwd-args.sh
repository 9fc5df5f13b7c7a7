#!/usr/bin/env bash
# skfwd's command line: every rejection exits 2 with a message naming the
# option and the problem, before anything is opened (so no root needed).
set -u
skfwd=${SPLICEKIT_BUILD:?}/tools/skfwd
fail=0
base=(--client-if a0 --server-if b0 --vip 10.0.100.1 --port 80 --backend 10.0.11.2)

expect() { # expect "WHAT THE MESSAGE MUST SAY" ARGS...
	local want=$1 out rc
	shift
	out=$("$skfwd" "$@" 2>&1)
	rc=$?
	if [ $rc = 2 ] && grep -qF -- "$want" <<<"$out"; then
		echo "ok - rejects: $want"
	else
		echo "not ok - '$*' gave rc=$rc: $out"
		fail=1
	fi
}

expect "are required" --vip 10.0.100.1
expect "--io 'netmap': not a backend" "${base[@]}" --io netmap
expect "--port '0': not a port" --client-if a --server-if b --vip 10.0.100.1 --port 0 --backend 10.0.11.2
expect "--port '80x': not a port" --client-if a --server-if b --vip 10.0.100.1 --port 80x --backend 10.0.11.2
expect "--backend-port '70000': not a port" "${base[@]}" --backend-port 70000
expect "--vip '10.0.100': not an IPv4 or IPv6 address" --client-if a --server-if b --vip 10.0.100 --port 80 --backend 10.0.11.2
expect "--backend 'fd00:11::2': not the VIP's address family" --client-if a --server-if b --vip 10.0.100.1 --port 80 --backend fd00:11::2
expect "--tx 'udp': want ip or packet" "${base[@]}" --tx udp
expect "--tx 'packet': needs --server-mac" "${base[@]}" --tx packet
expect "--server-mac '00:11:22:33:44': want xx:xx" "${base[@]}" --tx packet --server-mac 00:11:22:33:44
expect "--csum 'maybe': want fix or refuse" "${base[@]}" --csum maybe
expect "--big 'x': want split or refuse" "${base[@]}" --big x
expect "--threads '17': want 1..16" "${base[@]}" --threads 17
expect "--block-kb '6': want a power of two" "${base[@]}" --block-kb 6
expect "needs --io afpacket" "${base[@]}" --io pcap --threads 2
expect "argument 'extra': unexpected" "${base[@]}" extra
# A well-formed line naming a missing interface fails at open, exit 1.
out=$("$skfwd" --client-if ri-noif0 --server-if ri-noif1 --vip 10.0.100.1 --port 80 \
	--backend 10.0.11.2 2>&1)
rc=$?
[ $rc = 1 ] && grep -q 'ri-noif0' <<<"$out" && echo "ok - missing interface named, exit 1" ||
	{ echo "not ok - missing interface: rc=$rc $out"; fail=1; }
out=$("$skfwd" --help)
[ $? = 0 ] && grep -q '^usage: skfwd' <<<"$out" && echo "ok - --help" || { echo "not ok - --help"; fail=1; }
exit $fail
