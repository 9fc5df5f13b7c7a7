#!/usr/bin/env bash
# Content pools in splice mode, real peers: 4 nginx backends, each
# answering with its own name ("srvI ADDR"), openssl s_client and curl as
# clients.
#   TLS service (VIP:443): SNI a.example -> pool a (srv2), *.b.example ->
#   pool b (srv3, srv4), anything else (another name, the bare suffix, no
#   SNI) -> the default pool (srv1); TLS 1.2 and 1.3. A TLS 1.2 session
#   made in pool b resumes on its backend; the same session offered under
#   a name of pool a is not followed out of the pool (a new session on
#   srv2). A TLS 1.3 client made to do a HelloRetryRequest is routed by
#   its first hello, and the backend's real ServerHello is still read.
#   Cleartext HTTP service (VIP:8080): path /api/ -> srv2, Host
#   shop.example -> srv3, cookie chan=beta -> srv4, else srv1; first match
#   wins; a request sent in 1-byte segments is routed like a whole one.
#   scheduler lard (VIP:8081, no pools): under light load each path stays
#   on one backend, and the paths spread over several.
# Every answer must name the backend its rule points at.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/tls_lib.sh"
nb_require_root
nb_require nginx openssl curl python3 ethtool

HTTP_PORT=8080
LARD_PORT=8081
nb_init spool
nb_setup --servers 4 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
nb_offloads off "$NB_DISP" "$EN_SRV_IF" || en_fail "offloads"
tl_pki || en_fail "certificates"

# Each backend: TLS on 443 and plain HTTP on 8080, every path answered
# with the backend's name, so a routed path needs no file behind it.
backend() {
	local i=$1 d=$NB_DIR/pnginx$1
	mkdir -p "$d"
	head -c 80 /dev/urandom >"$d/ticket.key"
	{
	en_nginx_head "$d"
	cat <<-CONF
		server {
			listen $TL_PORT ssl;
			listen $HTTP_PORT;
			ssl_certificate $TL_PKI/srv.crt;
			ssl_certificate_key $TL_PKI/srv.key;
			ssl_protocols TLSv1.2 TLSv1.3;
			ssl_ecdh_curve X25519:prime256v1;
			ssl_session_cache shared:p$i:4m;
			ssl_session_ticket_key $d/ticket.key;
			location / { default_type text/plain; return 200 "srv$i \$server_addr\n"; }
		}
	}
	CONF
	} >"$d/nginx.conf"
	nb_bg "${NB_SRV[i]}" nginx -c "$d/nginx.conf" -e "$d/error.log"
	nb_wait_port "${NB_SRV[i]}" "$TL_PORT" 10 && nb_wait_port "${NB_SRV[i]}" "$HTTP_PORT" 10
}
for i in 1 2 3 4; do backend $i || en_fail "nginx $i"; done

S=("" "${NB_SRV_IP4[1]}" "${NB_SRV_IP4[2]}" "${NB_SRV_IP4[3]}" "${NB_SRV_IP4[4]}")
cat >"$NB_DIR/pools.conf" <<EOF
control-socket $NB_DIR/spliced.sock
service tls {
	vip $NB_VIP4:$TL_PORT
	mode splice
	client-interface $NB_DISP_CLI_IF
	server-interface $EN_SRV_IF
	io packet
	scheduler rr
	backend ${S[1]}:$TL_PORT
	pool a {
		backend ${S[2]}:$TL_PORT
	}
	pool b {
		backend ${S[3]}:$TL_PORT
		backend ${S[4]}:$TL_PORT
	}
	use-pool a if sni a.example
	use-pool b if sni *.b.example
}
service web {
	vip $NB_VIP4:$HTTP_PORT
	mode splice
	client-interface $NB_DISP_CLI_IF
	server-interface $EN_SRV_IF
	io packet
	pool api {
		backend ${S[2]}:$HTTP_PORT
	}
	pool shop {
		backend ${S[3]}:$HTTP_PORT
	}
	pool beta {
		backend ${S[4]}:$HTTP_PORT
	}
	pool rest {
		backend ${S[1]}:$HTTP_PORT
	}
	default-pool rest
	use-pool api if path /api/
	use-pool shop if host shop.example
	use-pool beta if cookie chan=beta
}
service lard {
	vip $NB_VIP4:$LARD_PORT
	mode splice
	client-interface $NB_DISP_CLI_IF
	server-interface $EN_SRV_IF
	io packet
	scheduler lard
	backend ${S[1]}:$HTTP_PORT
	backend ${S[2]}:$HTTP_PORT
	backend ${S[3]}:$HTTP_PORT
	backend ${S[4]}:$HTTP_PORT
}
EOF
"$SPLICEKIT_BUILD/dispatcher/spliced" --check -c "$NB_DIR/pools.conf" >/dev/null 2>&1 ||
	en_fail "config: $("$SPLICEKIT_BUILD/dispatcher/spliced" --check -c "$NB_DIR/pools.conf" 2>&1)"
en_dispatcher "$NB_DIR/pools.conf"

fails=0
check() { # WHAT GOT WANT-REGEX
	if [[ $2 =~ ^($3)$ ]]; then
		echo "  ok: $1 -> $2"
	else
		echo "  WRONG: $1 -> '${2:-no answer}', want $3"
		fails=$((fails + 1))
	fi
}

# One TLS request; prints "New|Reused srvK". $1: SNI ("" = none), rest:
# s_client options. The test certificate does not name these hosts; the
# routing, not the certificate, is under test, so it is not verified.
tls_get() {
	local sni=$1 out=$NB_DIR/tls.out
	shift
	local name=(-servername "$sni")
	[ -z "$sni" ] && name=(-noservername)
	printf 'GET / HTTP/1.0\r\n\r\n' |
		nb_exec "$NB_CLI" timeout 10 openssl s_client -connect "$NB_VIP4:$TL_PORT" \
			"${name[@]}" -ign_eof "$@" >"$out" 2>&1
	r=$(tl_parse "$out")
	echo "${r% *}"
}

for v in -tls1_2 -tls1_3; do
	echo "TLS ($v):"
	for k in 1 2 3; do check "sni a.example #$k" "$(tls_get a.example $v)" "New srv2"; done
	seen3=0 seen4=0
	for name in x.b.example y.z.b.example X.B.EXAMPLE w.b.example; do
		r=$(tls_get $name $v)
		check "sni $name" "$r" "New srv[34]"
		[ "$r" = "New srv3" ] && seen3=1
		[ "$r" = "New srv4" ] && seen4=1
	done
	[ $seen3 = 1 ] && [ $seen4 = 1 ] || { echo "  WRONG: pool b not balanced over srv3 and srv4"; fails=$((fails + 1)); }
	check "sni b.example (the suffix itself)" "$(tls_get b.example $v)" "New srv1"
	check "sni c.example" "$(tls_get c.example $v)" "New srv1"
	check "sni a.example.org" "$(tls_get a.example.org $v)" "New srv1"
	check "no sni" "$(tls_get "" $v)" "New srv1"
done

# A client whose first hello offers a key share the backends do not take
# (P-521): the backend answers with a HelloRetryRequest and the client
# sends a second hello. Routed by the first one; the server stream is
# read through the HRR to the real ServerHello (a full handshake counted).
echo "TLS 1.3 HelloRetryRequest:"
full0=$(tl_rstat full)
r=$(tls_get a.example -tls1_3 -groups P-521:X25519 -msg)
check "sni a.example, first key share refused" "$r" "New srv2"
check "ClientHellos the client sent" "$(grep -c 'Handshake .*ClientHello' "$NB_DIR/tls.out")" 2
check "full handshakes counted" "$(tl_rstat full)" "$((full0 + 1))"

# Session routing inside the pool (TLS 1.2: the table learns the session
# ID and ticket from the backend's clear bytes).
echo "TLS 1.2 resumption:"
sess=$NB_DIR/b.sess
first=$(tls_get x.b.example -tls1_2 -sess_out "$sess")
check "first, sni x.b.example" "$first" "New srv[34]"
for k in 1 2 3 4; do
	check "resume #$k, sni q$k.b.example" "$(tls_get q$k.b.example -tls1_2 -sess_in "$sess")" "Reused ${first#New }"
done
hits=$(tl_rstat table_hits) miss0=$(tl_rstat table_misses)
check "table hits for the 4 resumptions" "$hits" 4
# Offered under a name of pool a: the table's entry points at pool b's
# backend, so it is a miss and the scheduler picks in pool a.
check "same session, sni a.example" "$(tls_get a.example -tls1_2 -sess_in "$sess")" "New srv2"
check "table misses after it" "$(tl_rstat table_misses)" "$((miss0 + 1))"

http_get() { # PATH [curl options]
	local path=$1
	shift
	nb_exec "$NB_CLI" curl -s -m 10 "$@" "http://$NB_VIP4:$HTTP_PORT$path" | awk '{ print $1 }'
}
echo "HTTP:"
check "GET /" "$(http_get /)" srv1
check "GET /api/v1/items" "$(http_get /api/v1/items)" srv2
check "GET /api (no slash: not the prefix)" "$(http_get /api)" srv1
check "GET / Host shop.example" "$(http_get / -H 'Host: shop.example')" srv3
check "GET / Host SHOP.example:8080" "$(http_get / -H 'Host: SHOP.example:8080')" srv3
check "GET / cookie chan=beta" "$(http_get / -b 'x=1; chan=beta')" srv4
check "GET / cookie chan=beta2" "$(http_get / -b 'chan=beta2')" srv1
check "GET /api/ Host shop.example (first rule wins)" "$(http_get /api/ -H 'Host: shop.example')" srv2
for k in 1 2 3; do check "GET / again #$k" "$(http_get /)" srv1; done

# The request in 1-byte segments (TCP_NODELAY, a pause between bytes):
# the parser sees it piece by piece and must route it as a whole one.
split=$(nb_exec "$NB_CLI" timeout 20 python3 - "$NB_VIP4" "$HTTP_PORT" <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = b"GET /x HTTP/1.1\r\nHost: shop.example\r\nCookie: chan=beta\r\nConnection: close\r\n\r\n"
for b in req:
    s.send(bytes([b]))
    time.sleep(0.003)
data = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    data += d
body = data.split(b"\r\n\r\n", 1)[-1].decode()
print(body.split()[0] if body.split() else "")
PY
)
check "1-byte segments, Host shop.example" "$split" srv3

echo "LARD:"
declare -A home=()
used=
for round in 1 2 3 4; do
	for path in /a /b/c /d.png /e/f /g /h/i/j; do
		r=$(nb_exec "$NB_CLI" curl -s -m 10 "http://$NB_VIP4:$LARD_PORT$path" | awk '{ print $1 }')
		if [ $round = 1 ]; then
			home[$path]=$r
			used="$used $r"
		fi
		check "round $round, GET $path" "$r" "${home[$path]:-srv[1-4]}"
	done
done
nused=$(tr ' ' '\n' <<<"$used" | sort -u | grep -c srv)
[ "$nused" -ge 2 ] || { echo "  WRONG: every path on one backend ($used)"; fails=$((fails + 1)); }
echo "  6 paths on $nused backends:$used; lard_routed $(tl_ctl show stats | awk '$1 == "lard_routed" { s += $2 } END { print s }')"

# Connections per pool, as `show stats` counts them (each chosen once).
tl_ctl show stats | grep -E '^  pool ' | sed 's/^/ /'
pc() { # SERVICE POOL: the pool's conns
	tl_ctl show stats | awk -v s="$1" -v p="$2" '/^service / { in_s = ($2 == s) } in_s && $1 == "pool" && $2 == p { print $4 }'
}
check "tls: pool a connections" "$(pc tls a)" 8
check "tls: pool b connections" "$(pc tls b)" 13
check "tls: default pool connections" "$(pc tls -)" 8
check "web: pool api connections" "$(pc web api)" 2
check "web: pool shop connections" "$(pc web shop)" 3
check "web: pool beta connections" "$(pc web beta)" 1
check "web: default pool rest connections" "$(pc web rest)" 6
check "show stats --json, pool a of tls" "$(tl_ctl show stats --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
svcs = d if isinstance(d, list) else [v for v in d.values() if isinstance(v, list)][0]
def walk(x):
    if isinstance(x, dict):
        if x.get("service") == "tls" and "pools" in x:
            print([p["conns"] for p in x["pools"] if p["pool"] == "a"][0])
        for v in x.values():
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(d)' 2>&1)" 8

tl_ctl show stats | grep -E '^splice_(bound|not_tls|hello_timeout|be_refused) ' | sed 's/^/  /'
kill -0 "$EN_DISP_PID" 2>/dev/null || en_fail "spliced died"
en_dispatcher_stop
tl_sanitizer_check
[ $fails -eq 0 ] || en_fail "$fails connection(s) reached the wrong backend"
echo "PASS: splice_pools"
