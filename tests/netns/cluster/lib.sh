# shellcheck shell=bash
# shellcheck disable=SC2034  # CL_* variables are for the sourcing tests
# tests/netns/cluster/lib.sh: a testbed of several dispatcher instances
# behind one VIP. Source tests/netns/lib.sh first (namespaces, links,
# background jobs and cleanup come from there), then this file:
#
#   . "$SPLICEKIT_SRC/tests/netns/lib.sh"
#   . "$SPLICEKIT_SRC/tests/netns/cluster/lib.sh"
#   nb_require_root; nb_init clx
#   cl_setup --instances 3 --servers 2 --return snat
#
# Topology (N instances, M servers):
#
#   client ns --veth-- router ns ==ECMP== dispatcher ns 1..N --+-- lan ns (bridge)
#                                                               +-- server ns 1..M
#
#   client            $CL_CLI_IP4          10.0.1.2/24, default via the router
#   router            10.0.1.1; towards instance i 10.0.(20+i).1/24
#   instance i        $CL_DISP_IP4[i]      10.0.(20+i).2 (router side,
#                                          $CL_DISP_RTR_IF[i]), default via
#                                          the router; on the LAN
#                                          $CL_DISP_LAN_IP4[i] 10.0.50.i/24
#                                          ($CL_DISP_LAN_IF[i])
#   server j          $CL_SRV_IP4[j]       10.0.50.(100+j)/24
#   VIP               $NB_VIP4             10.0.100.1
#   SNAT address i    $CL_SNAT_IP4[i]      10.0.200.i (routed, never assigned)
#
# The router reaches the VIP over one multipath route with a next hop per
# instance and fib_multipath_hash_policy=1 (L4: addresses, ports and
# protocol), so each TCP connection sticks to one instance and different
# connections spread; that is what an ECMP fabric in front of Katran or
# Maglev does. The instances are separate namespaces sharing nothing but
# the LAN, like separate hosts.
#
# Return path from the servers (--return):
#   snat         each instance has its own source-NAT address; every server
#                routes 10.0.200.i via instance i, so a reply always comes
#                back to the instance that chose the backend.
#   transparent  servers see the client's address and route the client
#                network back through a multipath route of their own over
#                every instance (L4 hash as well). The forward and return
#                hashes are independent, so a reply may reach another
#                instance than the one that chose the backend: the instances
#                must share the connection state, or this mode only works
#                for N = 1.
#
# Instances keep forwarding off and blackhole the VIP, as lib.sh's single
# dispatcher does, so only a userspace dispatcher moves VIP traffic;
# cl_kernel_forward turns them into plain kernel routers instead (for
# checking the fabric itself).
#
# Functions:
#   cl_setup --instances N [--servers M] [--return snat|transparent]
#            [--offloads on|off]
#   cl_kernel_forward         instances forward in the kernel: the VIP is
#                             assigned to server 1's loopback, and with
#                             --return snat each instance masquerades to
#                             its own SNAT address (nftables)
#   cl_hash_policy NS 0|1     set the multipath hash policy in NS
#   cl_instance_down I        take instance I's router link down on the
#                             router side and drop its next hop, as a
#                             fabric does when a host stops answering
#
# Namespaces: "$NB_ID-cli", "$NB_ID-rtr", "$NB_ID-d$i", "$NB_ID-lan",
# "$NB_ID-s$j"; arrays CL_DISP[i], CL_SRV[j] hold them (indexed from 1).

CL_N=0
CL_M=0
CL_RETURN=snat
CL_LAN_NET=10.0.50
CL_SNAT_NET=10.0.200

cl_setup()
{
	local n=2 m=2 ret=snat offl=off i j
	while [ $# -gt 0 ]; do
		case $1 in
		--instances) n=$2; shift 2 ;;
		--servers) m=$2; shift 2 ;;
		--return) ret=$2; shift 2 ;;
		--offloads) offl=$2; shift 2 ;;
		*) echo "cl_setup: unknown option '$1'" >&2; return 1 ;;
		esac
	done
	[ -n "$NB_ID" ] || { echo "cl_setup: call nb_init PREFIX first" >&2; return 1; }
	[[ $n =~ ^[1-9]$ ]] || { echo "cl_setup: --instances wants 1..9, got '$n'" >&2; return 1; }
	[[ $m =~ ^[1-9]$ ]] || { echo "cl_setup: --servers wants 1..9, got '$m'" >&2; return 1; }
	case $ret in
	snat | transparent) ;;
	*) echo "cl_setup: --return wants snat|transparent, got '$ret'" >&2; return 1 ;;
	esac
	CL_N=$n CL_M=$m CL_RETURN=$ret

	CL_CLI=$NB_ID-cli CL_RTR=$NB_ID-rtr CL_LAN=$NB_ID-lan
	CL_CLI_IP4=10.0.1.2
	nb_mkns "$CL_CLI" && nb_mkns "$CL_RTR" && nb_mkns "$CL_LAN" || return 1
	ip netns exec "$CL_RTR" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.fib_multipath_hash_policy=1 || return 1
	nb_link "$CL_CLI" "${NB_ID}c" "$CL_RTR" "${NB_ID}rc" || return 1
	ip -n "$CL_CLI" addr add "$CL_CLI_IP4/24" dev "${NB_ID}c"
	ip -n "$CL_RTR" addr add 10.0.1.1/24 dev "${NB_ID}rc"
	ip -n "$CL_CLI" route add default via 10.0.1.1 || return 1

	# The LAN is a bridge in a namespace of its own, so no instance owns it.
	ip -n "$CL_LAN" link add "${NB_ID}br" type bridge || return 1
	ip -n "$CL_LAN" link set "${NB_ID}br" up

	CL_DISP=() CL_DISP_IP4=() CL_DISP_RTR_IF=() CL_DISP_LAN_IF=()
	CL_DISP_LAN_IP4=() CL_SNAT_IP4=()
	local hops=()
	for ((i = 1; i <= n; i++)); do
		local ns=$NB_ID-d$i rif=${NB_ID}d${i}r lif=${NB_ID}d${i}l
		nb_mkns "$ns" || return 1
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=0 || return 1
		nb_link "$CL_RTR" "${NB_ID}r$i" "$ns" "$rif" || return 1
		ip -n "$CL_RTR" addr add "10.0.$((20 + i)).1/24" dev "${NB_ID}r$i"
		ip -n "$ns" addr add "10.0.$((20 + i)).2/24" dev "$rif"
		ip -n "$ns" route add default via "10.0.$((20 + i)).1" || return 1
		nb_link "$CL_LAN" "${NB_ID}l$i" "$ns" "$lif" || return 1
		ip -n "$CL_LAN" link set "${NB_ID}l$i" master "${NB_ID}br" || return 1
		ip -n "$ns" addr add "$CL_LAN_NET.$i/24" dev "$lif"
		# Metric 7 as in lib.sh, so a caller may add its own.
		ip -n "$ns" route add blackhole "$NB_VIP4/32" metric 7 || return 1
		CL_DISP[i]=$ns CL_DISP_IP4[i]=10.0.$((20 + i)).2
		CL_DISP_RTR_IF[i]=$rif CL_DISP_LAN_IF[i]=$lif
		CL_DISP_LAN_IP4[i]=$CL_LAN_NET.$i CL_SNAT_IP4[i]=$CL_SNAT_NET.$i
		hops+=(nexthop via "10.0.$((20 + i)).2" dev "${NB_ID}r$i" weight 1)
	done
	ip -n "$CL_RTR" route add "$NB_VIP4/32" "${hops[@]}" || return 1

	CL_SRV=() CL_SRV_IP4=()
	for ((j = 1; j <= m; j++)); do
		local ns=$NB_ID-s$j sif=${NB_ID}s$j
		nb_mkns "$ns" || return 1
		nb_link "$CL_LAN" "${NB_ID}L$j" "$ns" "$sif" || return 1
		ip -n "$CL_LAN" link set "${NB_ID}L$j" master "${NB_ID}br" || return 1
		ip -n "$ns" addr add "$CL_LAN_NET.$((100 + j))/24" dev "$sif"
		CL_SRV[j]=$ns CL_SRV_IP4[j]=$CL_LAN_NET.$((100 + j))
		if [ "$ret" = snat ]; then
			for ((i = 1; i <= n; i++)); do
				ip -n "$ns" route add "$CL_SNAT_NET.$i/32" via "$CL_LAN_NET.$i" || return 1
			done
		else
			local back=()
			for ((i = 1; i <= n; i++)); do
				back+=(nexthop via "$CL_LAN_NET.$i" dev "$sif" weight 1)
			done
			ip netns exec "$ns" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 || return 1
			ip -n "$ns" route add 10.0.1.0/24 "${back[@]}" || return 1
		fi
	done
	nb_offloads "$offl"
}

cl_hash_policy()
{
	ip netns exec "$1" sysctl -qw "net.ipv4.fib_multipath_hash_policy=$2"
}

cl_kernel_forward()
{
	local i
	ip -n "${CL_SRV[1]}" addr add "$NB_VIP4/32" dev lo || return 1
	for ((i = 1; i <= CL_N; i++)); do
		local ns=${CL_DISP[i]}
		ip -n "$ns" route del blackhole "$NB_VIP4/32" metric 7 || return 1
		ip -n "$ns" route add "$NB_VIP4/32" via "${CL_SRV_IP4[1]}" || return 1
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 || return 1
		[ "$CL_RETURN" = snat ] || continue
		ip netns exec "$ns" nft -f - <<-NFT || return 1
		table ip clsnat {
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "${CL_DISP_LAN_IF[i]}" ip saddr 10.0.1.0/24 snat to ${CL_SNAT_IP4[i]}
			}
		}
		NFT
	done
}

cl_instance_down()
{
	local i=$1 hops=() k
	ip -n "$CL_RTR" link set "${NB_ID}r$i" down || return 1
	for ((k = 1; k <= CL_N; k++)); do
		[ "$k" = "$i" ] && continue
		hops+=(nexthop via "10.0.$((20 + k)).2" dev "${NB_ID}r$k" weight 1)
	done
	# A multipath route with one hop left is written as a plain route.
	if [ ${#hops[@]} -eq 6 ]; then
		ip -n "$CL_RTR" route replace "$NB_VIP4/32" "${hops[@]:1:4}"
	else
		ip -n "$CL_RTR" route replace "$NB_VIP4/32" "${hops[@]}"
	fi
}
