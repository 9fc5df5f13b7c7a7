# shellcheck shell=bash
# A browser's load (row browse): names resolved through DNS, a page from
# a server that runs under the shim, and its resources partly from that
# server and partly from a TCP-only server (no shim: over SCTP the client
# must fall back to TCP for it). The page is fetched, its resource URLs
# taken from it and fetched by one curl run in parallel, reusing
# connections, as a browser does; every resource is compared by sha256.
#
# $S runs dnsmasq (app.apps.test and cdn.apps.test, both $SA), nginx on
# port 80 under the shim and python's http.server on 8090 without it; the
# client sees dnsmasq through its own /etc/resolv.conf (a mount namespace).

browse_cli() { # LOG -- CMD...: ap_cli, with $d/resolv.conf as /etc/resolv.conf
  local log=$1; shift 2
  # shellcheck disable=SC2016  # expanded by the inner sh
  ip netns exec "$C" unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
    "$d/resolv.conf" "$WS" --log info --log-file "$log" "--$AP_T" "$@"
}

case_browse() {
  local i url urls=() want=() n=0 bad=0
  d=$T/browse
  mkdir -p "$d/app" "$d/cdn" "$d/got"
  for i in 1 2 3; do want+=("app/a$i.js=$(vm_file "$d/app/a$i.js" 1)"); done
  for i in 1 2; do want+=("cdn/c$i.png=$(vm_file "$d/cdn/c$i.png" 1)"); done
  {
    echo '<html><head>'
    for i in 1 2 3; do echo "<script src=\"http://app.apps.test/a$i.js\"></script>"; done
    echo '</head><body>'
    for i in 1 2; do echo "<img src=\"http://cdn.apps.test:8090/c$i.png\">"; done
    echo '</body></html>'
  } > "$d/app/index.html"
  echo "nameserver $SA" > "$d/resolv.conf"
  web_nginx_conf "$d" "$d/app" "$SA:80"
  # Not our jobs (a subshell starts them): vm_unpair kills them silently.
  ( ip netns exec "$S" dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
      --listen-address="$SA" --address=/app.apps.test/"$SA" --address=/cdn.apps.test/"$SA" \
      --log-queries --log-facility="$d/dns.log" --pid-file="$d/dnsmasq.pid" --user=root & )
  ( ip netns exec "$S" python3 -m http.server 8090 --bind "$SA" --directory "$d/cdn" \
      >"$d/cdn.log" 2>&1 & )
  ap_srv "$d/ws-srv.log" -- nginx -c "$d/nginx.conf" -g 'daemon off;'
  if ! ap_wait_listen 80 || ! vm_wait_port "$S" tcp 8090 300; then
    not_ok "browse" "the servers did not come up"; vm_tail "$d/error.log" "$d/cdn.log" "$d/dns.log"; return
  fi
  browse_cli "$d/ws-cli.log" -- timeout 30 curl -sS --max-time 20 -o "$d/index.html" \
    http://app.apps.test/ 2>"$d/curl1.err"
  mapfile -t urls <<<"$(grep -o 'src="[^"]*"' "$d/index.html" 2>/dev/null | cut -d'"' -f2)"
  [ -n "${urls[0]}" ] || urls=()
  if [ ${#urls[@]} -ne 5 ]; then
    not_ok "browse: the page names its 5 resources" "found ${#urls[@]}"; vm_tail "$d/curl1.err" "$d/dns.log" "$d/ws-cli.log"; return
  fi
  local args=()
  for url in "${urls[@]}"; do args+=(-o "$d/got/${url##*/}" "$url"); done
  # Over MPTCP, 1 MB at 512 KB/s: long enough for `ss -M` to see it.
  ap_time browse_cli "$d/ws-cli.log" -- timeout 60 curl -sS --max-time 50 --parallel \
    ${AP_RATE:+--limit-rate 512K} "${args[@]}" 2>"$d/curl2.err"
  note "  5 resources in $AP_MS ms"
  for i in "${want[@]}"; do
    n=$((n + 1))
    f=${i%%=*}
    [ "$(sha256sum < "$d/got/${f#*/}" 2>/dev/null | cut -d' ' -f1)" = "${i#*=}" ] || bad=$((bad + 1))
  done
  if [ "$bad" -eq 0 ]; then ok "browse: page and 5 resources (3 from the shimmed server, 2 TCP-only) identical"
  else not_ok "browse: resources identical" "$bad of $n differ or are missing"; vm_tail "$d/curl2.err" "$d/ws-cli.log" "$d/error.log" "$d/cdn.log"; fi
  if grep -q 'query\[A\] app.apps.test' "$d/dns.log" && grep -q 'query\[A\] cdn.apps.test' "$d/dns.log"; then
    ok "browse: both names resolved through DNS (dnsmasq saw the queries)"
  else
    not_ok "browse: names resolved through DNS" "dnsmasq log: $(tail -n 3 "$d/dns.log" 2>/dev/null | tr '\n' ' ')"
  fi
  browse_prove
}

# The shimmed server's connections used the transport; the TCP-only
# server's used TCP (a fallback, which is the point of the row).
browse_prove() {
  local cdn_opens
  cdn_opens=$(vm_tcp_stat "$S" PassiveOpens)
  if [ "$AP_T" = sctp ]; then
    local assoc est
    assoc=$(vm_assoc_seen 80) || assoc="none seen"
    est=$(vm_sctp_stat "$S" SctpPassiveEstabs)
    if [ "$assoc" != "none seen" ] && [ "$est" -ge 1 ] && [ "$cdn_opens" -ge 1 ]; then
      ok "browse: port 80 over SCTP ($assoc, $est associations), the TCP-only server over TCP ($cdn_opens opens)"
    else
      not_ok "browse: transports" "port 80 assocs: $assoc, $est associations; TCP opens at the TCP-only server: $cdn_opens"
    fi
  else
    local seen capable fb
    seen=$(awk '$1 == "ESTAB" && $4 ~ /:80$/ {print $4, $5}' "$VM_TMP/ssm.$S" | sort -u | wc -l)
    capable=$(mptcp_stat "$C" MPCapableSYNACKRX)
    fb=$(mptcp_stat "$C" MPCapableFallbackSYNACK)
    if [ "$seen" -ge 1 ] && [ "$capable" -ge 1 ] && [ "$fb" -ge 1 ] && [ "$cdn_opens" -ge 1 ]; then
      ok "browse: port 80 over MPTCP (ss -M saw $seen, $capable MP_CAPABLE), the TCP-only server over TCP ($fb fallbacks)"
    else
      not_ok "browse: transports" "ss -M saw $seen on port 80, $capable MP_CAPABLE, $fb fallbacks, $cdn_opens TCP opens at the server"
    fi
  fi
}
