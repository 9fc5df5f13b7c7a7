# shellcheck shell=bash
# Web servers and HTTP clients (tests/apps/matrix rows nginx, apache-*,
# lighttpd, python): each serves a random file that the client fetches and
# the row compares by sha256, then proves the transport.

# web_fetch WHAT PORT SUM BYTES LOGDIR CLIENT...: run CLIENT in $C under
# the shim (its output file is $LOGDIR/out), compare, prove.
web_fetch() {
  local what=$1 port=$2 sum=$3 bytes=$4 d=$5; shift 5
  if ap_wait_listen "$port"; then
    ap_cli "$d/ws-cli.log" -- timeout 100 "$@" 2>"$d/client.err"
    vm_same "$what" "$d/out" "$sum" || vm_tail "$d/client.err" "$d"/*error.log "$d/ws-srv.log" "$d/ws-cli.log"
  else
    not_ok "$what" "nothing listened on $SA:$port over $AP_T"
    vm_tail "$d"/*error.log "$d/ws-srv.log"
  fi
  ap_prove "$what" "$bytes" "$port"
}

# web_nginx_conf DIR ROOT LISTEN [HTTP-LINES]: a foreground-ready nginx
# config in DIR/nginx.conf serving ROOT on LISTEN, its files all in DIR.
web_nginx_conf() {
  cat > "$1/nginx.conf" <<CONF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log info;
events { worker_connections 64; }
http {
    access_log $1/access.log;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    ${4:-}
    server { listen $3; root $2; }
}
CONF
}

# nginx with sendfile and tcp_nopush (TCP_CORK), 20 MB to curl (10 MB in
# the emulated guest).
case_nginx() {
  local d=$T/nginx sum mb=20
  [ "$AP_T" = sctp ] && mb=10
  mkdir -p "$d/www"
  sum=$(vm_file "$d/www/big" $mb)
  web_nginx_conf "$d" "$d/www" "$SA:8080" 'sendfile on; tcp_nopush on;'
  ap_srv "$d/ws-srv.log" -- nginx -c "$d/nginx.conf" -g 'daemon off;'
  web_fetch "nginx (sendfile, tcp_nopush): $mb MB to curl" 8080 "$sum" $((mb << 20)) "$d" \
    curl -sS --max-time 90 ${AP_RATE:+--limit-rate $AP_RATE} -o "$d/out" "http://$SA:8080/big"
}

# Apache 2 with EnableSendfile, MPM prefork or event, 10 MB to curl.
case_apache() {
  local mpm=$1 d=$T/apache-$1 sum
  mkdir -p "$d/www"
  sum=$(vm_file "$d/www/mid" 10)
  cat > "$d/apache2.conf" <<CONF
ServerRoot /usr/lib/apache2
ServerName apps
LoadModule mpm_${mpm}_module modules/mod_mpm_${mpm}.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule mime_module modules/mod_mime.so
TypesConfig /etc/mime.types
Listen $SA:8081
PidFile $d/httpd.pid
DefaultRuntimeDir $d
Mutex file:$d default
ErrorLog $d/error.log
LogLevel info
User www-data
Group www-data
EnableSendfile On
EnableMMAP Off
DocumentRoot $d/www
<Directory $d/www>
    Require all granted
</Directory>
StartServers 2
MaxRequestWorkers 16
CONF
  [ "$mpm" = event ] && printf 'ThreadsPerChild 4\nServerLimit 4\n' >> "$d/apache2.conf"
  ap_srv "$d/ws-srv.log" -- apache2 -f "$d/apache2.conf" -DFOREGROUND
  web_fetch "Apache 2 $mpm (EnableSendfile): 10 MB to curl" 8081 "$sum" $((10 << 20)) "$d" \
    curl -sS --max-time 90 ${AP_RATE:+--limit-rate $AP_RATE} -o "$d/out" "http://$SA:8081/mid"
}

# lighttpd (its sendfile backend), 10 MB to wget.
case_lighttpd() {
  local d=$T/lighttpd sum
  mkdir -p "$d/www"
  chown www-data "$d"   # lighttpd opens its log after dropping to www-data
  sum=$(vm_file "$d/www/mid" 10)
  cat > "$d/lighttpd.conf" <<CONF
server.document-root = "$d/www"
server.bind = "$SA"
server.port = 8082
server.pid-file = "$d/lighttpd.pid"
server.errorlog = "$d/error.log"
server.network-backend = "sendfile"
server.username = "www-data"
server.groupname = "www-data"
mimetype.assign = ( "" => "application/octet-stream" )
CONF
  ap_srv "$d/ws-srv.log" -- lighttpd -D -f "$d/lighttpd.conf"
  web_fetch "lighttpd: 10 MB to wget" 8082 "$sum" $((10 << 20)) "$d" \
    wget -q -T 90 ${AP_RATE:+--limit-rate $AP_RATE} -O "$d/out" "http://$SA:8082/mid"
}

# python3 http.server, fetched by an asyncio client (four files at once
# over four connections) and by a client whose socket is created
# non-blocking; the body of each compared.
case_python() {
  local d=$T/python i sums=()
  mkdir -p "$d/www"
  for i in 1 2 3 4; do sums+=("$(vm_file "$d/www/f$i" 2)"); done
  ap_srv "$d/ws-srv.log" -- python3 -m http.server 8000 --bind "$SA" --directory "$d/www" >"$d/server.err" 2>&1
  if ap_wait_listen 8000 30; then
    ap_cli "$d/ws-cli.log" -- timeout 60 python3 tests/apps/aio_get.py ${AP_RATE:+--rate "$AP_RATE"} \
      "$SA" 8000 "$d" /f1 /f2 /f3 /f4 2>"$d/client.err" >"$d/client.out"
    for i in 1 2 3 4; do
      vm_same "python http.server: /f$i (2 MB) to an asyncio client" "$d/f$i.got" "${sums[i - 1]}" ||
        vm_tail "$d/client.err" "$d/ws-srv.log" "$d/ws-cli.log"
    done
    # A socket created with SOCK_CLOEXEC|SOCK_NONBLOCK (lksctp's withsctp
    # leaves those on TCP).
    ap_cli "$d/ws-cli.log" -- timeout 60 python3 tests/vm/http_get.py "$SA" 8000 /f1 "$d/flags.got" \
      >"$d/flags.out" 2>&1
    vm_same "python http.server: /f1 to a SOCK_CLOEXEC|SOCK_NONBLOCK client" "$d/flags.got" "${sums[0]}" ||
      vm_tail "$d/flags.out" "$d/ws-cli.log"
  else
    not_ok "python http.server" "nothing listened on $SA:8000 over $AP_T"
    vm_tail "$d/ws-srv.log"
  fi
  ap_prove "python http.server 10 MB" $((10 << 20)) 8000
}
