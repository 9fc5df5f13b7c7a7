#!/usr/bin/env bash
# The cluster testbed's fabric, with plain kernel forwarding on every
# instance (no dispatcher): the router's L4 multipath route spreads TCP
# connections over all N instances, each connection's packets stay on one
# instance, and the chosen return path brings the replies back:
#   snat         the server saw instance i's SNAT address on exactly the
#                connections whose SYN went through instance i;
#   transparent  the servers' own multipath route spreads the replies over
#                the instances too.
# A control run with the L3 hash policy (addresses only) puts every
# connection on one instance, which shows the spread comes from the L4 hash.
# Usage: ecmp.sh N snat|transparent
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/cluster/lib.sh"
nb_require_root
nb_require python3 nft
n=${1:?usage: ecmp.sh N snat|transparent} ret=${2:?usage: ecmp.sh N snat|transparent}
conns=300 port=8090
probe=$SPLICEKIT_SRC/tests/netns/cluster/ecmp_probe.py
fail() { echo "FAIL: $*" >&2; exit 1; }

nb_init clx
cl_setup --instances "$n" --servers 1 --return "$ret" || fail "testbed setup"
cl_kernel_forward || fail "kernel forwarding"

# Per instance: SYNs from clients to the VIP, and SYN-ACKs from servers.
for ((i = 1; i <= n; i++)); do
	nb_exec "${CL_DISP[i]}" nft -f - <<-NFT || fail "counters on instance $i"
	table ip clcount {
		counter syn {}
		counter synack {}
		chain pre {
			type filter hook prerouting priority -300;
			ip daddr $NB_VIP4 tcp flags & (syn|ack) == syn counter name syn
			ip saddr $NB_VIP4 tcp flags & (syn|ack) == syn|ack counter name synack
		}
	}
	NFT
done
count() { # count I NAME: packets on instance I's counter
	nb_exec "${CL_DISP[$1]}" nft list counter ip clcount "$2" |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
reset() {
	for ((i = 1; i <= n; i++)); do
		nb_exec "${CL_DISP[i]}" nft reset counters table ip clcount >/dev/null
	done
}

nb_bg "${CL_SRV[1]}" python3 "$probe" serve $port
nb_wait_port "${CL_SRV[1]}" $port || fail "probe server"

out=$(nb_exec "$CL_CLI" python3 "$probe" connect "$NB_VIP4" $port $conns) ||
	fail "not every connection was answered: $out"
echo "$out"
total=0
for ((i = 1; i <= n; i++)); do
	s=$(count $i syn) a=$(count $i synack)
	total=$((total + s))
	echo "instance $i: SYN $s SYN-ACK $a"
	# Binomial(300, 1/N): 1/(2N) of the connections is more than 5
	# standard deviations below the mean for N <= 3.
	[ "$s" -ge $((conns / n / 2)) ] || fail "instance $i carried $s of $conns SYNs"
	if [ "$ret" = snat ]; then
		seen=$(awk -v a="${CL_SNAT_IP4[i]}" '$1 == "peer" && $2 == a { print $3 }' <<<"$out")
		# Retransmitted SYNs would count twice; none are expected here.
		[ "${seen:-0}" = "$s" ] ||
			fail "server saw ${CL_SNAT_IP4[i]} ${seen:-0} times, instance $i forwarded $s SYNs"
		[ "$a" = "$s" ] || fail "instance $i: $a SYN-ACKs for $s SYNs (return path)"
	else
		[ "$a" -ge $((conns / n / 2)) ] || fail "instance $i returned $a of $conns SYN-ACKs"
	fi
done
[ "$total" = $conns ] || fail "$total SYNs for $conns connections"

# Control: hash on addresses only, one client and one VIP -> one instance.
cl_hash_policy "$CL_RTR" 0
reset
nb_exec "$CL_CLI" python3 "$probe" connect "$NB_VIP4" $port 60 >/dev/null ||
	fail "L3 control run: not every connection answered"
used=0
for ((i = 1; i <= n; i++)); do
	[ "$(count $i syn)" -gt 0 ] && used=$((used + 1))
done
echo "L3 hash policy: $used instance(s) used for 60 connections"
[ "$used" = 1 ] || fail "with the L3 policy $used instances carried one client's flows"
echo "PASS: ECMP over $n instances, return path $ret, $conns connections"
