#!/usr/bin/env bash
# Login and file-transfer daemons moved onto SCTP by withsplice, in the VM:
#   - sshd and ssh: upload with `ssh host 'cat > file' < data` (the client's
#     end of input must reach the remote cat), download, exit status;
#   - vsftpd with curl as FTP client: listing, passive download, upload,
#     and an active-mode download (the server connects back to a port the
#     client listens on), so control and data connections are all SCTP.
# Each case proves SCTP carried it (assocs, SNMP) and compares sha256.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/vm/lib.sh
vm_init
vm_ws_find
tap_plan 9

T=$VM_TMP

# --- sshd / ssh ---------------------------------------------------------------
vm_pair ssh
d=$T/ssh
mkdir -p "$d" /run/sshd
data=$(vm_file "$d/data" 5)
ssh-keygen -q -t ed25519 -N '' -f "$d/host"
ssh-keygen -q -t ed25519 -N '' -f "$d/user"
cp "$d/user.pub" "$d/authorized_keys"
cat > "$d/sshd_config" <<CONF
Port 2222
ListenAddress 10.77.1.2
HostKey $d/host
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
CONF
vm_ws_bg "$S" "$d/ws-srv.log" --sctp -- /usr/sbin/sshd -D -e -f "$d/sshd_config" -E "$d/sshd.log"
sshc() {
  vm_ws "$C" "$d/ws-cli.log" --sctp -- timeout 60 ssh -F /dev/null -i "$d/user" -p 2222 \
    -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR root@10.77.1.2 "$@"
}
if vm_wait_listen "$S" 2222; then
  sshc "cat > $d/recv" < "$d/data" 2>"$d/ssh1.err"
  vm_same "ssh host 'cat > file' < 5 MB (client EOF ends the remote cat)" "$d/recv" "$data" ||
    vm_tail "$d/ssh1.err" "$d/sshd.log" "$d/ws-srv.log" "$d/ws-cli.log"
  sshc "cat $d/data" > "$d/back" 2>"$d/ssh2.err" </dev/null
  vm_same "ssh host 'cat file' > 5 MB download" "$d/back" "$data" || vm_tail "$d/ssh2.err" "$d/sshd.log"
  sshc 'exit 7' </dev/null 2>"$d/ssh3.err"
  st=$?
  if [ "$st" -eq 7 ]; then ok "ssh returns the remote exit status (7)"
  else not_ok "ssh returns the remote exit status" "got $st, want 7"; vm_tail "$d/ssh3.err" "$d/sshd.log"; fi
else
  for w in "ssh upload" "ssh download" "ssh exit status"; do not_ok "$w" "sshd never listened on 10.77.1.2:2222"; done
  vm_tail "$d/sshd.log" "$d/ws-srv.log"
fi
vm_prove_sctp "sshd/ssh 10 MB" $((10 << 20)) 2222
vm_unpair

# --- vsftpd / curl ------------------------------------------------------------
vm_pair ftp
d=$T/ftp
# vsftpd refuses a chroot root its user can write to; uploads go below it.
mkdir -p "$d/root/up" /run/vsftpd/empty
chown ftp "$d/root/up"
big=$(vm_file "$d/root/big" 10)
up=$(vm_file "$d/updata" 2)
cat > "$d/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=10.77.1.2
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
vm_ws_bg "$S" "$d/ws-srv.log" --sctp -- vsftpd "$d/vsftpd.conf"
ftpc() { vm_ws "$C" "$d/ws-cli.log" --sctp -- timeout 60 curl -sS --max-time 50 "$@"; }
if vm_wait_listen "$S" 2121; then
  list=$(ftpc ftp://10.77.1.2:2121/ 2>"$d/c1.err")
  if grep -q ' big$' <<<"$list"; then ok "vsftpd: curl lists the directory"
  else not_ok "vsftpd: curl lists the directory" "listing: $(head -c 200 <<<"$list")"; vm_tail "$d/c1.err" "$d/vsftpd.log" "$d/ws-srv.log"; fi
  ftpc -o "$d/pasv.out" ftp://10.77.1.2:2121/big 2>"$d/c2.err"
  vm_same "vsftpd: passive download of 10 MB" "$d/pasv.out" "$big" || vm_tail "$d/c2.err" "$d/vsftpd.log" "$d/ws-srv.log" "$d/ws-cli.log"
  ftpc -T "$d/updata" ftp://10.77.1.2:2121/up/updata 2>"$d/c3.err"
  vm_same "vsftpd: upload of 2 MB" "$d/root/up/updata" "$up" || vm_tail "$d/c3.err" "$d/vsftpd.log"
  ftpc -P 10.77.1.1 -o "$d/port.out" ftp://10.77.1.2:2121/big 2>"$d/c4.err"
  vm_same "vsftpd: active-mode (PORT) download of 10 MB" "$d/port.out" "$big" || vm_tail "$d/c4.err" "$d/vsftpd.log" "$d/ws-srv.log" "$d/ws-cli.log"
else
  for w in list passive upload active; do not_ok "vsftpd: $w" "vsftpd never listened on 10.77.1.2:2121"; done
  vm_tail "$d/vsftpd.log" "$d/ws-srv.log"
fi
vm_prove_sctp "vsftpd/curl 22 MB" $((22 << 20)) 2121
vm_unpair
tap_done
