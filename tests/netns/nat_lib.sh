# shellcheck shell=bash
# tests/netns/nat_lib.sh: what the nat-mode tests and tools/demo add to
# tests/netns/lib.sh (source lib.sh first, then this, then nb_init/nb_setup).
#
#   en_bridge_servers        put the dispatcher's server-side veths under one
#                            bridge "$EN_SRV_IF", so spliced has one
#                            server-facing interface, as on a real host, and
#                            blackhole the VIPs in the dispatcher ns
#   en_nginx I [DOCROOT]     start nginx in server ns I answering "srvI" on /
#                            and serving DOCROOT (default $NB_DIR/www) under
#                            /files/; waits until it listens
#   en_config FILE [KEY VAL]...  write a nat config for the testbed: VIP
#                            $NB_VIP4:80 (EN_FAMILY=6: [$NB_VIP6]:80), all
#                            servers, scheduler rr, transparent, workers
#                            $EN_WORKERS (1), io $EN_IO (packet); extra
#                            "keyword value" lines go inside the service
#   en_dispatcher FILE       start spliced (or, until branch control's
#                            spliced exists, the engine's test harness) in
#                            the dispatcher ns; $EN_DISP_PID, log $EN_DISP_LOG
#   en_dispatcher_stop       SIGTERM it, wait, and keep its counters in
#                            $NB_DIR/disp.stats ("name value" lines)
#   en_stat NAME             print one counter from $NB_DIR/disp.stats
#   en_fail MSG              print "FAIL: MSG" and exit 1; called in a
#                            subshell ($(...), a pipeline, "( ) &") it ends
#                            the test's own shell too, with status 1

EN_SRV_IF=
EN_DISP_PID=
EN_DISP_LOG=

# A failure in a subshell must not be an empty value the test goes on
# with: en_fail there signals the test's shell, which exits 1 (after the
# subshell ends: bash runs the trap once its foreground command is done).
trap 'exit 1' USR1

en_fail()
{
	echo "FAIL: $*" >&2
	[ -n "$EN_DISP_LOG" ] && [ -f "$EN_DISP_LOG" ] && sed 's/^/  dispatcher: /' "$EN_DISP_LOG" | tail -20 >&2
	[ "$BASHPID" != "$$" ] && kill -USR1 "$$"
	exit 1
}

en_bridge_servers()
{
	local i dif
	EN_SRV_IF=${NB_ID}br
	ip -n "$NB_DISP" link add "$EN_SRV_IF" type bridge || return 1
	ip -n "$NB_DISP" link set "$EN_SRV_IF" up
	for ((i = 1; i <= NB_NSERVERS; i++)); do
		dif=${NB_DISP_SRV_IF[i]}
		ip -n "$NB_DISP" addr flush dev "$dif"
		ip -n "$NB_DISP" link set "$dif" master "$EN_SRV_IF" || return 1
		ip -n "$NB_DISP" addr add "10.0.$((10 + i)).1/24" dev "$EN_SRV_IF"
		ip -n "$NB_DISP" addr add "fd00:$((10 + i))::1/64" dev "$EN_SRV_IF" nodad
	done
	# Without a route to the VIP, the dispatcher's kernel answers a
	# client's IPv6 SYN with ICMPv6 "no route", and Linux aborts a
	# connecting socket on any ICMPv6 error, even though spliced forwards
	# the SYN. A blackhole route drops VIP packets silently (IPv4 with
	# forwarding off already does); packet capture still sees them.
	ip -n "$NB_DISP" -6 route add blackhole "$NB_VIP6/128" || return 1
	ip -n "$NB_DISP" route add blackhole "$NB_VIP4/32" || return 1
	# The bridge is a testbed link too: offload switches apply to it.
	NB_LINKS+=("$NB_DISP $EN_SRV_IF")
}

# en_nginx_head DIR: the start of an nginx.conf shared by the test
# backends (one worker in the foreground, state and temp files in DIR,
# logs off) up to inside the open http block; the caller adds its server
# blocks and the closing brace.
en_nginx_head()
{
	local d=$1
	cat <<-CONF
	worker_processes 1;
	daemon off;
	user root;
	pid $d/nginx.pid;
	error_log $d/error.log warn;
	events { worker_connections 4096; }
	http {
		access_log off;
		client_body_temp_path $d/body;
		proxy_temp_path $d/proxy;
		fastcgi_temp_path $d/fastcgi;
		uwsgi_temp_path $d/uwsgi;
		scgi_temp_path $d/scgi;
		sendfile on;
	CONF
}

en_nginx()
{
	local i=$1 root=${2:-$NB_DIR/www} d=$NB_DIR/nginx$1
	mkdir -p "$d" "$root"
	{
	en_nginx_head "$d"
	cat <<-CONF
		server {
			listen 80;
			listen [::]:80;
			location = / { default_type text/plain; return 200 "srv$i\n"; }
			location /files/ { alias $root/; }
			location = /ip { default_type text/plain; return 200 "\$remote_addr\n"; }
		}
	}
	CONF
	} >"$d/nginx.conf"
	nb_bg "${NB_SRV[i]}" nginx -c "$d/nginx.conf" -e "$d/error.log"
	printf -v "EN_NGINX${i}_PID" %s "$NB_LASTPID"
	nb_wait_port "${NB_SRV[i]}" 80 10
}

en_config()
{
	local f=$1 i
	shift
	{
		echo "control-socket $NB_DIR/spliced.sock"
		echo "workers ${EN_WORKERS:-1}"
		[ -n "${EN_FASTPATH:-}" ] && echo "fastpath-dir $NB_DIR/bpf/spliced"
		echo "service web {"
		if [ "${EN_FAMILY:-4}" = 6 ]; then
			echo "	vip [$NB_VIP6]:80"
		else
			echo "	vip $NB_VIP4:80"
		fi
		echo "	mode nat"
		echo "	client-interface $NB_DISP_CLI_IF"
		echo "	server-interface ${EN_SRV_IF:-${NB_DISP_SRV_IF[1]}}"
		echo "	io ${EN_IO:-packet}"
		echo "	scheduler rr"
		[ -n "${EN_FASTPATH:-}" ] && echo "	fastpath $EN_FASTPATH"
		for ((i = 1; i <= NB_NSERVERS; i++)); do
			if [ "${EN_FAMILY:-4}" = 6 ]; then
				echo "	backend [${NB_SRV_IP6[i]}]:80"
			else
				echo "	backend ${NB_SRV_IP4[i]}:80"
			fi
		done
		while [ $# -ge 2 ]; do
			echo "	$1 $2"
			shift 2
		done
		echo "}"
	} >"$f"
}

en_dispatcher()
{
	local conf=$1 bin
	EN_DISP_LOG=$NB_DIR/disp.log
	if [ -x "$SPLICEKIT_BUILD/dispatcher/spliced" ] && [ -z "${EN_HARNESS:-}" ]; then
		bin=("$SPLICEKIT_BUILD/dispatcher/spliced" -c "$conf")
	else
		bin=("$SPLICEKIT_BUILD/tests/netns/en_nat_harness" "$conf")
	fi
	ip netns exec "$NB_DISP" "${bin[@]}" >"$NB_DIR/disp.stats" 2>"$EN_DISP_LOG" &
	EN_DISP_PID=$!
	NB_BGPIDS+=("$EN_DISP_PID")
	# Ready when it says so (or dies trying).
	local t
	for ((t = 0; t < 50; t++)); do
		kill -0 "$EN_DISP_PID" 2>/dev/null || en_fail "dispatcher exited at start"
		grep -qi "forwarding\|started\|ready" "$EN_DISP_LOG" 2>/dev/null && return 0
		sleep 0.1
	done
	en_fail "dispatcher not ready after 5 s"
}

en_dispatcher_stop()
{
	[ -n "$EN_DISP_PID" ] || return 0
	kill -TERM "$EN_DISP_PID" 2>/dev/null
	wait "$EN_DISP_PID" 2>/dev/null
	EN_DISP_PID=
	# With the fast path asked for, flows must really have gone to it.
	if [ "${EN_FASTPATH:-off}" != off ]; then
		grep -q "fastpath: on" "$EN_DISP_LOG" ||
			en_fail "fastpath $EN_FASTPATH did not come on: $(grep -i fastpath "$EN_DISP_LOG")"
		[ $(($(en_stat fp_offloaded) + $(en_stat fp_adopted))) -gt 0 ] 2>/dev/null ||
			en_fail "fastpath on, but no flow offloaded ($(grep '^fp_' "$NB_DIR/disp.stats" | tr '\n' ' '))"
		echo "fast path: $(grep '^fp_' "$NB_DIR/disp.stats" | tr '\n' ' ')"
	fi
}

en_stat()
{
	awk -v k="$1" '$1 == k { print $2 }' "$NB_DIR/disp.stats"
}

# Helpers of the reload tests (nat_reload.sh, splice_reload.sh).
#   en_ctl ARGS...           splicectl against the testbed's spliced
#   en_backends_fixed        `show backends --json` without the counters
#                            that move by themselves (to compare)
#   en_reload_refused F N    `splicectl reload` must fail naming F:N
#   en_downloads_ok SHA K... downloads K (pid in $dlK, output in
#                            $NB_DIR/gotK, messages in dlK.out) ended well
#                            with content SHA
#   en_wait_unlisted ADDR    until `show backends` no longer lists ADDR (10 s)
en_ctl() { nb_exec "$NB_DISP" "$SPLICEKIT_BUILD/tools/splicectl" -s "$NB_DIR/spliced.sock" "$@"; }

en_backends_fixed() { en_ctl show backends --json | sed 's/"active":[0-9]*,"total":[0-9]*//g'; }

en_reload_refused()
{
	local err
	if err=$(en_ctl reload 2>&1); then en_fail "a bad config was accepted: $err"; fi
	grep -q "$(basename "$1"):$2:" <<<"$err" || en_fail "no file:line in: $err"
	echo "refused: $err"
}

en_downloads_ok()
{
	local want=$1 k got
	shift
	for k in "$@"; do
		wait "$(eval echo "\$dl$k")" || en_fail "download $k failed: $(cat "$NB_DIR/dl$k.out")"
		got=$(sha256sum <"$NB_DIR/got$k" | cut -d' ' -f1)
		[ "$got" = "$want" ] || en_fail "download $k differs ($(stat -c %s "$NB_DIR/got$k") bytes)"
	done
}

en_wait_unlisted()
{
	local i
	for ((i = 0; i < 50; i++)); do
		en_ctl show backends | awk -v b="$1" '$1 == b { f = 1 } END { exit !f }' || return 0
		sleep 0.2
	done
	en_fail "$1 still listed: $(en_ctl show backends)"
}
