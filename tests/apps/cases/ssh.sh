# shellcheck shell=bash
# sshd and ssh (row ssh), and a program that shuts its write side and then
# reads the answer (row halfclose).

# ssh: upload through `ssh host 'cat > f' < data` (the client's end of
# input must reach the remote cat), download, and the remote exit status.
case_ssh() {
  local d=$T/ssh data st
  mkdir -p "$d" /run/sshd
  data=$(vm_file "$d/data" 5)
  ssh-keygen -q -t ed25519 -N '' -f "$d/host"
  ssh-keygen -q -t ed25519 -N '' -f "$d/user"
  cp "$d/user.pub" "$d/authorized_keys"
  cat > "$d/sshd_config" <<CONF
Port 2222
ListenAddress $SA
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
  ap_srv "$d/ws-srv.log" -- /usr/sbin/sshd -D -e -f "$d/sshd_config" -E "$d/sshd.log"
  if ! ap_wait_listen 2222; then
    not_ok "sshd" "nothing listened on $SA:2222 over $AP_T"; vm_tail "$d/sshd.log" "$d/ws-srv.log"; return
  fi
  sshc() {
    ap_cli "$d/ws-cli.log" -- timeout 60 ssh -F /dev/null -i "$d/user" -p 2222 \
      -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR "root@$SA" "$@"
  }
  sshc "cat > $d/recv" < "$d/data" 2>"$d/ssh1.err"
  vm_same "ssh host 'cat > file' < 5 MB (the client's EOF ends the remote cat)" "$d/recv" "$data" ||
    vm_tail "$d/ssh1.err" "$d/sshd.log" "$d/ws-srv.log" "$d/ws-cli.log"
  sshc "cat $d/data" > "$d/back" 2>"$d/ssh2.err" </dev/null
  vm_same "ssh host 'cat file' > 5 MB download" "$d/back" "$data" || vm_tail "$d/ssh2.err" "$d/sshd.log"
  sshc 'exit 7' </dev/null 2>"$d/ssh3.err"
  st=$?
  if [ "$st" -eq 7 ]; then ok "ssh returns the remote exit status (7)"
  else not_ok "ssh returns the remote exit status" "got $st, want 7"; vm_tail "$d/ssh3.err" "$d/sshd.log"; fi
  ap_prove "sshd/ssh 10 MB" $((10 << 20)) 2222
}

# halfclose: `nc -N` sends a file, shuts its write side (SHUT_WR) and then
# reads the answer; the server (socat running sha256sum per connection)
# answers only after it has read EOF. The answer must be the file's sum.
# The server waits a second before reading: the connection then stays
# established long enough for the `ss -M` sampler to see it even on a
# loaded machine (the 2 MB otherwise pass in ~100 ms, and one run in a few
# under load had no sample of it).
case_halfclose() {
  local d=$T/halfclose data got
  mkdir -p "$d"
  data=$(vm_file "$d/data" 2)
  ap_srv "$d/ws-srv.log" -- socat "TCP-LISTEN:7000,bind=$SA,reuseaddr,fork" SYSTEM:'sleep 1; sha256sum'
  if ! ap_wait_listen 7000; then
    not_ok "socat" "nothing listened on $SA:7000 over $AP_T"; vm_tail "$d/ws-srv.log"; return
  fi
  # No -q: Debian's nc would wait that long even after the server closed.
  ap_time ap_cli "$d/ws-cli.log" -- timeout 30 nc -N "$SA" 7000 < "$d/data" > "$d/answer" 2>"$d/nc.err"
  note "  nc: $AP_MS ms"
  got=$(cut -d' ' -f1 "$d/answer")
  if [ "$got" = "$data" ]; then ok "nc -N: the server read EOF and its answer came back (sha256 of 2 MB)"
  else not_ok "nc -N half-close" "answer '$(head -c 100 "$d/answer")', want $data"; vm_tail "$d/nc.err" "$d/ws-srv.log" "$d/ws-cli.log"; fi
  ap_prove "socat/nc half-close 2 MB" $((2 << 20)) 7000
}
