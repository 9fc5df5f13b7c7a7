#!/usr/bin/env bash
# Checks the testbed library itself: the topology is what lib.sh promises
# (addresses reachable hop by hop, VIP routed to the dispatcher but dropped
# there, forwarding off) and nb_cleanup leaves nothing behind, even when the
# test using it fails.
set -u
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
nb_require_root
nb_require ip ethtool python3 timeout

fail=0
check() { # check DESCRIPTION CMD...
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		fail=1
	fi
}
refuse() { # refuse DESCRIPTION CMD...: CMD must fail
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "not ok - $what"
		fail=1
	else
		echo "ok - $what"
	fi
}

# A failing test in a child shell must still clean up after itself.
# $(...) returns only once the child has exited, trap included.
out=$(bash -c '. "$SPLICEKIT_SRC/tests/netns/lib.sh"; nb_init ritb;
	nb_setup --servers 1 >/dev/null; nb_bg "$NB_SRV1" sleep 60; echo "$NB_ID $NB_LASTPID"; false')
read -r child_id child_pid <<<"$out"
check "the failed run got an id and a job" test -n "$child_id" -a -n "$child_pid"
check "a failed run removed its namespaces" \
	bash -c "! ip netns list | grep -q '^$child_id-'"
check "a failed run killed its background jobs" bash -c "! kill -0 $child_pid"

nb_init ritb
nb_setup --servers 2 --offloads off || { echo "not ok - nb_setup"; exit 1; }

# Reachability is tested with TCP connects (no ping on these machines) to a
# listener in the dispatcher on every address.
tcp() { # tcp NS ADDR PORT: connect and close within 2 s
	nb_exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3"
}
nb_bg "$NB_DISP" python3 -m http.server 8097 --bind ::
nb_wait_port "$NB_DISP" 8097 10
check "client reaches dispatcher (v4)" tcp "$NB_CLI" "$NB_DISP_CLI_IP4" 8097
check "client reaches dispatcher (v6)" tcp "$NB_CLI" "$NB_DISP_CLI_IP6" 8097
check "server 2 reaches dispatcher (v4)" tcp "$NB_SRV2" 10.0.12.1 8097
check "server 1 reaches dispatcher (v6)" tcp "$NB_SRV1" fd00:11::1 8097
check "dispatcher ip_forward is 0" \
	test "$(nb_exec "$NB_DISP" sysctl -n net.ipv4.ip_forward)" = 0
check "dispatcher ipv6 forwarding is 0" \
	test "$(nb_exec "$NB_DISP" sysctl -n net.ipv6.conf.all.forwarding)" = 0
check "client routes the VIP via the dispatcher" \
	bash -c "ip -n $NB_CLI route get $NB_VIP4 | grep -q 'via $NB_DISP_CLI_IP4'"
refuse "VIP is not assigned in the dispatcher" \
	bash -c "ip -n $NB_DISP addr | grep -q '$NB_VIP4'"
nb_bg "$NB_SRV1" python3 -m http.server 8099 --bind ::
check "wait-for-port sees a listener" nb_wait_port "$NB_SRV1" 8099 10
refuse "wait-for-port times out on a closed port" nb_wait_port "$NB_SRV1" 8098 1
refuse "client cannot reach a server (dispatcher does not forward)" \
	tcp "$NB_CLI" "${NB_SRV_IP4[1]}" 8099
refuse "client cannot reach a server over v6" tcp "$NB_CLI" "${NB_SRV_IP6[1]}" 8099
# Silence, not refusal: a RST or an ICMP error would make the connect fail
# fast; only a timeout (124) shows the dispatcher kernel kept quiet.
silent() { tcp "$@"; [ $? -eq 124 ]; }
check "the dispatcher kernel does not answer the VIP (v4)" silent "$NB_CLI" "$NB_VIP4" 8097
check "the dispatcher kernel does not answer the VIP (v6)" silent "$NB_CLI" "$NB_VIP6" 8097
check "servers route the client's address via the dispatcher" \
	bash -c "ip -n $NB_SRV2 route get $NB_CLI_IP4 | grep -q 'via 10.0.12.1'"
check "servers route the client's v6 address via the dispatcher" \
	bash -c "ip -n $NB_SRV1 -6 route get $NB_CLI_IP6 | grep -q 'via fd00:11::1'"
check "a caller can add its own VIP blackhole (v4) without a clash" \
	ip -n "$NB_DISP" route add blackhole "$NB_VIP4/32"
check "a caller can add its own VIP blackhole (v6) without a clash" \
	ip -n "$NB_DISP" -6 route add blackhole "$NB_VIP6/128"
check "offloads are off on a testbed link" \
	bash -c "ip netns exec $NB_DISP ethtool -k $NB_DISP_CLI_IF | grep -q '^generic-receive-offload: off'"
nb_offloads on
check "nb_offloads on switches GRO on" \
	bash -c "ip netns exec $NB_DISP ethtool -k $NB_DISP_CLI_IF | grep -q '^generic-receive-offload: on'"
check "MAC helper prints a MAC" \
	eval '[[ $(nb_mac "$NB_CLI" "$NB_CLI_IF") =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]]'


exit $fail
