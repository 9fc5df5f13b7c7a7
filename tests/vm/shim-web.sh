#!/usr/bin/env bash
# Web servers and clients moved onto SCTP by withsplice, in the VM:
#   - nginx with sendfile on + tcp_nopush on serving 50 MB to curl
#     (plain withsctp aborts these responses: TCP_CORK fails on SCTP);
#   - Apache 2 prefork and event serving a static file with sendfile
#     (the seed document's failing case);
#   - python3 http.server, fetched by a client whose socket is created
#     with SOCK_CLOEXEC|SOCK_NONBLOCK (withsctp leaves those on TCP).
# Server and client each run under withsplice in their own namespace;
# each case proves SCTP carried it (SNMP counters: associations on both
# sides, no TCP open, enough DATA chunks) and the payload's sha256.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh
vm_init
vm_ws_find
tap_plan 8

T=$VM_TMP
mkdir -p "$T/www"
big=$(vm_file "$T/www/big" 50)
mid=$(vm_file "$T/www/mid" 10)

# --- nginx ------------------------------------------------------------------
vm_pair ng
mkdir -p "$T/nginx"
cat > "$T/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log info;
events { worker_connections 64; }
http {
    access_log $T/nginx/access.log;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    server {
        listen 10.77.1.2:8080;
        root $T/www;
    }
}
CONF
vm_ws_bg "$S" "$T/ng-srv.log" --sctp -- nginx -c "$T/nginx/nginx.conf" -g 'daemon off;' 
if vm_wait_listen "$S" 8080; then
  vm_ws "$C" "$T/ng-cli.log" --sctp -- timeout 120 curl -sS --max-time 100 \
    -o "$T/ng.out" http://10.77.1.2:8080/big 2>"$T/ng-curl.err"
  vm_same "nginx (sendfile, tcp_nopush) 50 MB to curl" "$T/ng.out" "$big" ||
    vm_tail "$T/ng-curl.err" "$T/nginx/error.log" "$T/ng-srv.log" "$T/ng-cli.log"
else
  not_ok "nginx (sendfile, tcp_nopush) 50 MB to curl" "nginx never listened on 10.77.1.2:8080"
  vm_tail "$T/nginx/error.log" "$T/ng-srv.log"
fi
vm_prove_sctp "nginx 50 MB" $((50 << 20)) 8080
vm_unpair

# --- Apache 2, prefork then event --------------------------------------------
apache() { # MPM PORT
  local mpm=$1 port=$2 d=$T/apache-$1
  mkdir -p "$d"
  cat > "$d/apache2.conf" <<CONF
ServerRoot /usr/lib/apache2
ServerName vm
LoadModule mpm_${mpm}_module modules/mod_mpm_${mpm}.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule mime_module modules/mod_mime.so
TypesConfig /etc/mime.types
Listen 10.77.1.2:$port
PidFile $d/httpd.pid
DefaultRuntimeDir $d
Mutex file:$d default
ErrorLog $d/error.log
LogLevel info
User www-data
Group www-data
EnableSendfile On
EnableMMAP Off
DocumentRoot $T/www
<Directory $T/www>
    Require all granted
</Directory>
StartServers 2
MaxRequestWorkers 16
CONF
  [ "$mpm" = event ] && printf 'ThreadsPerChild 4\nServerLimit 4\n' >> "$d/apache2.conf"
  vm_pair "a${mpm:0:1}"
  vm_ws_bg "$S" "$d/ws-srv.log" --sctp -- apache2 -f "$d/apache2.conf" -DFOREGROUND
  if vm_wait_listen "$S" "$port"; then
    vm_ws "$C" "$d/ws-cli.log" --sctp -- timeout 60 curl -sS --max-time 50 \
      -o "$d/out" "http://10.77.1.2:$port/mid" 2>"$d/curl.err"
    vm_same "Apache 2 $mpm (EnableSendfile) 10 MB to curl" "$d/out" "$mid" ||
      vm_tail "$d/curl.err" "$d/error.log" "$d/ws-srv.log" "$d/ws-cli.log"
  else
    not_ok "Apache 2 $mpm (EnableSendfile) 10 MB to curl" "apache2 never listened on 10.77.1.2:$port"
    vm_tail "$d/error.log" "$d/ws-srv.log"
  fi
  vm_prove_sctp "Apache 2 $mpm 10 MB" $((10 << 20)) "$port"
  vm_unpair
}
apache prefork 8081
apache event 8082

# --- python3 http.server, client with SOCK_CLOEXEC|SOCK_NONBLOCK ---------------
vm_pair py
vm_ws_bg "$S" "$T/py-srv.log" --sctp -- python3 -m http.server 8000 --bind 10.77.1.2 \
  --directory "$T/www" >"$T/py-srv.out" 2>&1 
if vm_wait_listen "$S" 8000 300; then
  out=$(vm_ws "$C" "$T/py-cli.log" --sctp -- timeout 60 python3 tests/vm/http_get.py \
          10.77.1.2 8000 /mid "$T/py.out" 2>&1)
  note "http_get.py: $(tr '\n' ' ' <<<"$out")"
  vm_same "python3 http.server 10 MB to a SOCK_CLOEXEC|SOCK_NONBLOCK client" "$T/py.out" "$mid" ||
    vm_tail "$T/py-srv.out" "$T/py-srv.log" "$T/py-cli.log"
else
  not_ok "python3 http.server 10 MB to a SOCK_CLOEXEC|SOCK_NONBLOCK client" "never listened on 10.77.1.2:8000"
  vm_tail "$T/py-srv.out" "$T/py-srv.log"
fi
vm_prove_sctp "python3 http.server 10 MB" $((10 << 20)) 8000
vm_unpair
tap_done
