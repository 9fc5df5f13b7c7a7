#!/usr/bin/env bash
# skfwd's checksum policy on the wire: packets with a corrupt TCP checksum
# are refused, never forwarded; a packet whose checksum field holds only the
# pseudo-header sum (what CHECKSUM_PARTIAL leaves) is completed and
# forwarded by the pcap backend, which cannot see the kernel's state, and
# refused by afpacket, where the kernel would have flagged a real one.
#
#   skfwd-csum.sh IO      (pcap | afpacket)
#
# The client sends hand-made SYNs to the VIP through a raw socket (python3):
# 3 corrupt, 1 with the partial signature, 1 correct. Checked: skfwd's
# drop_csum / csum_completed / forwarded counters, and what the backend's
# interface actually received (its kernel counts TCP checksum errors).
set -u
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
nb_require_root
nb_require python3

io=${1:?IO}
skfwd=${SPLICEKIT_BUILD:?}/tools/skfwd
fail=0
ok() { echo "ok - $*"; }
no() { echo "not ok - $*"; fail=1; }

nb_init ri
nb_setup --servers 1 --offloads off || { no "testbed setup"; exit 1; }
nb_bg "$NB_SRV1" python3 -m http.server 8080 --bind 0.0.0.0
nb_wait_port "$NB_SRV1" 8080 || { no "server up"; exit 1; }
nb_bg "$NB_DISP" "$skfwd" --io "$io" --client-if "$NB_DISP_CLI_IF" \
	--server-if "${NB_DISP_SRV_IF[1]}" --vip "$NB_VIP4" --port 80 \
	--backend "${NB_SRV_IP4[1]}" --backend-port 8080 --duration 30 -v
fwd_pid=$NB_LASTPID fwd_log=$NB_LASTLOG
for ((i = 0; i < 50; i++)); do
	grep -q "skfwd: $io:" "$fwd_log" 2>/dev/null && break
	sleep 0.1
done

incsumerr() {
	nb_exec "$NB_SRV1" awk '/^Tcp:/ { if (h) { for (i = 1; i <= NF; i++)
		if (n[i] == "InCsumErrors") print $i; exit } else { h = 1;
		for (i = 1; i <= NF; i++) n[i] = $i } }' /proc/net/snmp
}
errs0=$(incsumerr)

nb_exec "$NB_CLI" python3 - "$NB_CLI_IP4" "$NB_VIP4" <<'PY'
import socket, struct, sys, time
src, dst = (socket.inet_aton(a) for a in sys.argv[1:3])

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s

def syn(sport, mode):
    tcp = struct.pack("!HHIIBBHHH", sport, 80, 1000, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    full = ~csum(pseudo + tcp) & 0xffff
    field = {"good": full, "bad": full ^ 0x0101, "partial": csum(pseudo)}[mode]
    tcp = tcp[:16] + struct.pack("!H", field) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", ~csum(ip) & 0xffff) + ip[12:]
    return ip + tcp

s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for port, mode in [(40001, "bad"), (40002, "bad"), (40003, "bad"),
                   (40004, "partial"), (40005, "good")]:
    s.sendto(syn(port, mode), (sys.argv[2], 0))
    time.sleep(0.05)
PY
sleep 0.5
kill -TERM "$fwd_pid"
for ((i = 0; i < 30; i++)); do kill -0 "$fwd_pid" 2>/dev/null || break; sleep 0.1; done
cat "$fwd_log" >&2
count() { grep "^skfwd: $1 " "$fwd_log" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
errs=$(($(incsumerr) - errs0))

if [ "$io" = pcap ]; then
	want_drop=3 want_fixed=1 want_fwd=2
else
	want_drop=4 want_fixed=0 want_fwd=1
fi
[ "$(count c2s drop_csum)" = "$want_drop" ] && ok "$want_drop refused as corrupt" ||
	no "drop_csum $(count c2s drop_csum), want $want_drop"
[ "$(count c2s csum_completed)" = "$want_fixed" ] && ok "$want_fixed partial completed" ||
	no "csum_completed $(count c2s csum_completed), want $want_fixed"
# The kernel-built RST answering each SYN-ACK also goes through: count
# only what the script sent, i.e. at least want_fwd and no corrupt one.
[ "$(count c2s forwarded)" -ge "$want_fwd" ] && ok "good SYNs forwarded" ||
	no "forwarded $(count c2s forwarded), want >= $want_fwd"
[ "$(count s2c forwarded)" -ge "$want_fwd" ] && ok "backend answered each forwarded SYN" ||
	no "s2c forwarded $(count s2c forwarded), want >= $want_fwd"
[ "$errs" = 0 ] && ok "backend kernel saw no checksum error" ||
	no "backend kernel counted $errs TCP checksum errors"
exit $fail
