# shellcheck shell=bash
# tests/netns/tls_lib.sh: TLS backends and session-resumption probes for the
# splice-mode tests, tools/demo and tools/bench/splice-bench.sh. Source
# lib.sh, then nat_lib.sh, then this file; call nb_init/nb_setup and
# en_bridge_servers first.
#
#   tl_pki                   make a throw-away CA and one server certificate
#                            (CN and SAN "splicekit.test", the VIPs and every
#                            backend address) in $TL_PKI; the CA key never
#                            leaves $NB_DIR
#   tl_nginx I [OPTION]...   start nginx in server ns I on TCP $TL_PORT with
#                            TLS; "/" answers "srvI ADDR" (ADDR: the local
#                            address the connection came to, so one nginx
#                            listening on two backend addresses still says
#                            which one), /files/ serves $NB_DIR/www.
#                            Options:
#                              --proto 1.2|1.3|both   (default both)
#                              --tickets off|on|key   off: no tickets (session
#                                  IDs only); on: nginx's random key; key: a
#                                  per-backend 80-byte ssl_session_ticket_key
#                                  file $NB_DIR/ticket$I.key (default key)
#                              --cache on|off  shared session cache (default on)
#                              --plain PORT    also plain HTTP on PORT
#   tl_nginx_stop I          stop backend I's nginx and wait for its port
#   tl_ticket_key I          print the path of backend I's ticket key file
#   tl_config FILE MODE [KEY VAL]...  write a config: one service "tls" on
#                            $NB_VIP4:$TL_PORT (TL_FAMILY=6: the IPv6 VIP
#                            and backend addresses) in MODE (nat|splice) over
#                            every server, rr, transparent; backend i gets
#                            the extra words in TL_BACKEND_OPTS[i]; KEY VAL
#                            pairs become lines inside the service
#   tl_resume N [S_CLIENT OPTION]...  through the VIP: one full handshake
#                            with -sess_out, then N reconnects with -sess_in,
#                            each sending an HTTP GET. Prints
#                              first=srvK reused=R/N backends=srv1:a,srv2:b..
#                            and leaves per-try lines in $NB_DIR/resume.log
#                            ("i Reused|New srvK ADDR"); returns non-zero if
#                            any connection failed to get an answer
#   tl_get [S_CLIENT OPTION]...  one request through the VIP; prints
#                            "Reused|New srvK ADDR" (empty on failure)
#   tl_ctl ARGS...           splicectl against the testbed's spliced
#   tl_sanitizer_check       after en_dispatcher_stop: fail on ASan/LSan/
#                            UBSan reports in spliced's log
#   tl_stat NAME / tl_rstat NAME  an engine counter / a session-routing
#                            counter of the splice service, from show stats
#
# Everything lives in $NB_DIR and dies with nb_cleanup.

TL_PORT=${TL_PORT:-443}
TL_PKI=
TL_BACKEND_OPTS=()
TL_SNI=splicekit.test

tl_pki()
{
	local i san="DNS:$TL_SNI,IP:$NB_VIP4,IP:$NB_VIP6"
	TL_PKI=$NB_DIR/pki
	mkdir -p "$TL_PKI" || return 1
	for ((i = 1; i <= NB_NSERVERS; i++)); do
		san="$san,IP:${NB_SRV_IP4[i]}"
	done
	# P-256 keys: made in milliseconds, unlike RSA, and every client here
	# speaks ECDSA.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$TL_PKI/ca.key" -out "$TL_PKI/ca.crt" -days 2 \
		-subj "/CN=splicekit test CA" 2>/dev/null || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$TL_PKI/srv.key" -out "$TL_PKI/srv.csr" \
		-subj "/CN=$TL_SNI" 2>/dev/null || return 1
	openssl x509 -req -in "$TL_PKI/srv.csr" -CA "$TL_PKI/ca.crt" \
		-CAkey "$TL_PKI/ca.key" -CAcreateserial -days 2 \
		-extfile <(printf 'subjectAltName=%s\n' "$san") \
		-out "$TL_PKI/srv.crt" 2>/dev/null || return 1
}

tl_ticket_key() { echo "$NB_DIR/ticket$1.key"; }

tl_nginx()
{
	local i=$1 proto=both tickets=key cache=on plain="" d=$NB_DIR/tnginx$1
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--proto) proto=$2; shift 2 ;;
		--tickets) tickets=$2; shift 2 ;;
		--cache) cache=$2; shift 2 ;;
		--plain) plain=$2; shift 2 ;;
		*) echo "tl_nginx: unknown option '$1'" >&2; return 1 ;;
		esac
	done
	[ -n "$TL_PKI" ] || { echo "tl_nginx: call tl_pki first" >&2; return 1; }
	mkdir -p "$d" "$NB_DIR/www"
	local protos tick cachel plainl=
	case $proto in
	1.2) protos="TLSv1.2" ;;
	1.3) protos="TLSv1.3" ;;
	both) protos="TLSv1.2 TLSv1.3" ;;
	*) echo "tl_nginx: --proto wants 1.2|1.3|both" >&2; return 1 ;;
	esac
	case $tickets in
	off) tick="ssl_session_tickets off;" ;;
	on) tick="ssl_session_tickets on;" ;;
	key)
		# 80 bytes: 16 key name, 32 HMAC secret, 32 AES-256 key. A
		# distinct key per backend, so only the backend that issued a
		# ticket can resume it, as on separate real servers.
		[ -f "$(tl_ticket_key "$i")" ] ||
			head -c 80 /dev/urandom >"$(tl_ticket_key "$i")" || return 1
		tick="ssl_session_tickets on; ssl_session_ticket_key $(tl_ticket_key "$i");" ;;
	*) echo "tl_nginx: --tickets wants off|on|key" >&2; return 1 ;;
	esac
	case $cache in
	on) cachel="ssl_session_cache shared:tls$i:4m; ssl_session_timeout 30m;" ;;
	off) cachel="ssl_session_cache off;" ;;
	*) echo "tl_nginx: --cache wants on|off" >&2; return 1 ;;
	esac
	[ -n "$plain" ] && plainl="listen $plain; listen [::]:$plain;"
	{
	en_nginx_head "$d"
	cat <<-CONF
		keepalive_timeout 120s;
		server {
			listen $TL_PORT ssl;
			listen [::]:$TL_PORT ssl;
			$plainl
			ssl_certificate $TL_PKI/srv.crt;
			ssl_certificate_key $TL_PKI/srv.key;
			ssl_protocols $protos;
			$cachel
			$tick
			location = / { default_type text/plain; return 200 "srv$i \$server_addr\n"; }
			location /files/ { alias $NB_DIR/www/; }
		}
	}
	CONF
	} >"$d/nginx.conf"
	nb_bg "${NB_SRV[i]}" nginx -c "$d/nginx.conf" -e "$d/error.log"
	nb_wait_port "${NB_SRV[i]}" "$TL_PORT" 10
}

tl_config()
{
	local f=$1 mode=$2 i
	shift 2
	{
		echo "control-socket $NB_DIR/spliced.sock"
		echo "workers ${EN_WORKERS:-1}"
		[ -n "${EN_FASTPATH:-}" ] && echo "fastpath-dir $NB_DIR/bpf/spliced"
		echo "service tls {"
		if [ "${TL_FAMILY:-4}" = 6 ]; then
			echo "	vip [$NB_VIP6]:$TL_PORT"
		else
			echo "	vip $NB_VIP4:$TL_PORT"
		fi
		echo "	mode $mode"
		echo "	client-interface $NB_DISP_CLI_IF"
		echo "	server-interface ${EN_SRV_IF:-${NB_DISP_SRV_IF[1]}}"
		echo "	io ${EN_IO:-packet}"
		echo "	scheduler rr"
		echo "	transparent"
		[ -n "${EN_FASTPATH:-}" ] && echo "	fastpath $EN_FASTPATH"
		for ((i = 1; i <= ${TL_NBACKENDS:-$NB_NSERVERS}; i++)); do
			local def=${NB_SRV_IP4[i]:-}
			[ "${TL_FAMILY:-4}" = 6 ] && def="[${NB_SRV_IP6[i]:-}]"
			echo "	backend ${TL_BACKEND_ADDR[i]:-$def}:$TL_PORT ${TL_BACKEND_OPTS[i]:-}"
		done
		while [ $# -ge 2 ]; do
			echo "	$1 $2"
			shift 2
		done
		echo "}"
	} >"$f"
}

# The VIP as s_client's -connect wants it ($TL_FAMILY 4 or 6).
tl_vip() { if [ "${TL_FAMILY:-4}" = 6 ]; then echo "[$NB_VIP6]"; else echo "$NB_VIP4"; fi; }

tl_ctl() { nb_exec "$NB_DISP" "$SPLICEKIT_BUILD/tools/splicectl" -s "$NB_DIR/spliced.sock" "$@"; }

# One s_client run; $1 names the output file, the rest are s_client options.
# HTTP/1.0 so nginx closes after the answer and -ign_eof waits for it (and,
# for TLS 1.3, for the NewSessionTicket that comes after the handshake).
tl_sclient()
{
	local out=$1
	shift
	printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$TL_SNI" |
		nb_exec "$NB_CLI" timeout 10 openssl s_client -connect "$(tl_vip):$TL_PORT" \
			-servername "$TL_SNI" -CAfile "$TL_PKI/ca.crt" -verify_return_error \
			-ign_eof "$@" >"$out" 2>&1
}

# "Reused|New srvK ADDR" from one s_client transcript, or nothing.
tl_parse()
{
	local f=$1 how srv
	how=$(grep -o -m1 '^\(Reused\|New\), ' "$f" | tr -d ', ')
	srv=$(grep -a -o -m1 '^srv[0-9]* [0-9a-f.:]*' "$f")
	[ -n "$how" ] && [ -n "$srv" ] && echo "$how $srv"
}

tl_get()
{
	tl_sclient "$NB_DIR/get.out" "$@"
	tl_parse "$NB_DIR/get.out"
}

tl_resume()
{
	local n=$1 i r how srv first reused=0 fails=0 sess=$NB_DIR/resume.sess
	shift
	: >"$NB_DIR/resume.log"
	rm -f "$sess"
	tl_sclient "$NB_DIR/resume.0" -sess_out "$sess" "$@"
	first=$(tl_parse "$NB_DIR/resume.0")
	echo "0 $first" >>"$NB_DIR/resume.log"
	if [ -z "$first" ] || [ ! -s "$sess" ]; then
		echo "first=none reused=0/$n backends="
		return 1
	fi
	declare -A per=()
	for ((i = 1; i <= n; i++)); do
		tl_sclient "$NB_DIR/resume.$i" -sess_in "$sess" "$@"
		r=$(tl_parse "$NB_DIR/resume.$i")
		echo "$i ${r:-FAILED}" >>"$NB_DIR/resume.log"
		if [ -z "$r" ]; then
			fails=$((fails + 1))
			continue
		fi
		read -r how srv _ <<<"$r"
		[ "$how" = Reused ] && reused=$((reused + 1))
		per[$srv]=$((${per[$srv]:-0} + 1))
	done
	local b list=
	for b in $(printf '%s\n' "${!per[@]}" | sort); do
		list="$list${list:+,}$b:${per[$b]}"
	done
	read -r _ srv _ <<<"$first"
	echo "first=$srv reused=$reused/$n backends=$list"
	[ "$fails" -eq 0 ]
}

# tl_nginx_stop I: stop backend I's nginx (started by tl_nginx) and wait
# until its port is free, so the next tl_nginx I can bind it.
tl_nginx_stop()
{
	local i=$1 pid t
	pid=$(cat "$NB_DIR/tnginx$i/nginx.pid" 2>/dev/null) || return 0
	nb_exec "${NB_SRV[i]}" kill "$pid" 2>/dev/null
	for ((t = 0; t < 50; t++)); do
		nb_exec "${NB_SRV[i]}" ss -Hltn "sport = :$TL_PORT" | grep -q . || return 0
		sleep 0.1
	done
	nb_log "nginx $i still listens on $TL_PORT"
	return 1
}

# tl_stat NAME: one engine counter from `splicectl show stats` (the
# "name value" lines at the left margin); tl_rstat NAME: one of the first
# splice service's session-routing counters (the indented lines under
# "service NAME (splice)"). Empty when absent.
tl_stat() { tl_ctl show stats 2>/dev/null | awk -v k="$1" '$1 == k && /^[a-z]/ { print $2; exit }'; }
tl_rstat()
{
	tl_ctl show stats 2>/dev/null |
		awk -v k="$1" '/^service .*\(splice\)/ { f = 1; next } f && /^[^ ]/ { exit } f && $1 == k { print $2; exit }'
}

# tl_sanitizer_check: after en_dispatcher_stop, fail if spliced's log holds
# an AddressSanitizer/LeakSanitizer/UBSan report (only a spliced built with
# -Db_sanitize=... writes one: point SPLICEKIT_BUILD at such a build).
tl_sanitizer_check()
{
	if grep -q 'Sanitizer\|runtime error:' "$EN_DISP_LOG" 2>/dev/null; then
		grep -A12 'Sanitizer\|runtime error:' "$EN_DISP_LOG" | head -40 >&2
		en_fail "spliced's sanitizers reported errors (above)"
	fi
}
