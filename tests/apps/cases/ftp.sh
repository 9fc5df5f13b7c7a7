# shellcheck shell=bash
# FTP servers with curl as the client (rows vsftpd, proftpd): listing,
# passive download, upload and active-mode download (the server connects
# back to a port the client listens on), so control and data connections
# all go over the row's transport. Every step is timed and must finish
# within $FTP_MAX_S: the field report had proftpd stall for minutes after a
# listing.
FTP_MAX_S=60

# ftp_step WHAT CURL-ARGS...: one curl run in $C, timed; fails past FTP_MAX_S.
ftp_step() {
  local what=$1; shift
  ap_time ap_cli "$d/ws-cli.log" -- timeout $((FTP_MAX_S + 10)) curl -sS --max-time "$FTP_MAX_S" "$@" \
    2>>"$d/curl.err"
  local rc=$?
  note "  $what: curl exit $rc in $AP_MS ms"
  if [ "$AP_MS" -gt $((FTP_MAX_S * 1000)) ] || [ "$rc" -eq 28 ]; then
    not_ok "$what finishes without a stall" "took $AP_MS ms (curl exit $rc)"
  fi
  return "$rc"
}

# ftp_session SERVER PORT: the four steps against a server whose anonymous
# root is $d/root (with $d/root/big) and which accepts uploads in up/.
ftp_session() {
  local srv=$1 port=$2 sum=$3 up
  up=$(vm_file "$d/updata" 2)
  if ! ap_wait_listen "$port"; then
    not_ok "$srv" "nothing listened on $SA:$port over $AP_T"
    vm_tail "$d"/*.log
    return
  fi
  ftp_step "$srv listing" -o "$d/list.out" "ftp://$SA:$port/"
  if grep -q ' big$' "$d/list.out" 2>/dev/null; then ok "$srv: curl lists the directory"
  else not_ok "$srv: curl lists the directory" "listing: $(head -c 200 "$d/list.out" 2>/dev/null)"; vm_tail "$d"/*.log "$d/curl.err"; fi
  ftp_step "$srv passive download" -o "$d/pasv.out" "ftp://$SA:$port/big"
  vm_same "$srv: passive download" "$d/pasv.out" "$sum" || vm_tail "$d"/*.log "$d/curl.err"
  ftp_step "$srv upload" -T "$d/updata" "ftp://$SA:$port/up/updata"
  vm_same "$srv: upload of 2 MB" "$d/root/up/updata" "$up" || vm_tail "$d"/*.log "$d/curl.err"
  ftp_step "$srv active download" -P "$CA" -o "$d/port.out" "ftp://$SA:$port/big"
  vm_same "$srv: active-mode (PORT) download" "$d/port.out" "$sum" || vm_tail "$d"/*.log "$d/curl.err"
  # The data connections use other ports; the control connection's port
  # is the one every session had open throughout.
  ap_prove "$srv: 4 sessions" $((2 * (5 << 20) + (2 << 20))) "$port"
}

case_vsftpd() {
  local sum
  d=$T/vsftpd
  # vsftpd refuses a chroot root its user can write to; uploads go below it.
  mkdir -p "$d/root/up" /run/vsftpd/empty
  chown ftp "$d/root/up"
  sum=$(vm_file "$d/root/big" 5)
  cat > "$d/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=$SA
listen_port=2121
background=NO
anonymous_enable=YES
local_enable=NO
no_anon_password=YES
anon_root=$d/root
write_enable=YES
anon_upload_enable=YES
anon_umask=022
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30009
port_enable=YES
connect_from_port_20=NO
secure_chroot_dir=/run/vsftpd/empty
xferlog_enable=YES
vsftpd_log_file=$d/vsftpd.log
CONF
  ap_srv "$d/ws-srv.log" -- vsftpd "$d/vsftpd.conf"
  ftp_session vsftpd 2121 "$sum"
}

# Debian's vsftpd and proftpd conflict; tools/bootstrap installs vsftpd and
# unpacks proftpd-core in /opt/splicekit/proftpd.
#
# The stall: after sending a file or a listing, proftpd shuts its write
# side (SHUT_WR) and waits up to TimeoutLinger for the client to close.
# Over SCTP the shim's default defers SHUT_WR to close(), so the client
# never sees the end of the data and every transfer waits the linger out
# (measured: 10 s each with proftpd's default). TimeoutLinger 120 makes
# such a stall exceed FTP_MAX_S. '--shutwr full' did not end it either (the
# listing still timed out): open, see the matrix's known failure.
case_proftpd() {
  local sum bin=/opt/splicekit/proftpd/usr/sbin/proftpd
  [ -x "$bin" ] || bin=$(command -v proftpd) || { not_ok "proftpd" "not found (run tools/bootstrap)"; return; }
  d=$T/proftpd
  mkdir -p "$d/root/up"
  chown ftp "$d/root/up"
  sum=$(vm_file "$d/root/big" 5)
  cat > "$d/proftpd.conf" <<CONF
ServerType standalone
ServerName "apps"
DefaultServer on
Port 2121
DefaultAddress $SA
SocketBindTight on
UseIPv6 off
User nobody
Group nogroup
PidFile $d/proftpd.pid
ScoreboardFile $d/proftpd.scoreboard
SystemLog $d/proftpd.log
TransferLog $d/xfer.log
WtmpLog off
TimeoutLinger 120
UseReverseDNS off
RequireValidShell off
PassivePorts 30010 30019
<Anonymous $d/root>
  User ftp
  Group nogroup
  UserAlias anonymous ftp
  RequireValidShell off
  <Directory up>
    <Limit WRITE>
      AllowAll
    </Limit>
  </Directory>
</Anonymous>
CONF
  ap_srv "$d/ws-srv.log" -- "$bin" -n -q -c "$d/proftpd.conf" 2>"$d/proftpd.err"
  ftp_session proftpd 2121 "$sum"
}
