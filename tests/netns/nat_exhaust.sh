#!/usr/bin/env bash
# Flow-table exhaustion: with max-flows 8, eight idle client connections
# fill the table; the ninth connection is refused cleanly (an RST, so the
# client fails at once with "connection refused", and counted), while the
# eight established ones still carry requests. Once they close, new
# connections are admitted again.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl python3
nb_init en
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
for i in 1 2 3; do en_nginx $i || en_fail "nginx $i"; done
en_config "$NB_DIR/nat.conf" max-flows 8 timeout "fin 1s"
en_dispatcher "$NB_DIR/nat.conf"

# The client holds 8 connections open, tries a ninth, then uses the 8.
cat >"$NB_DIR/exhaust.py" <<'PY'
import socket, sys, time
vip = sys.argv[1]
held = []
for i in range(8):
    s = socket.create_connection((vip, 80), timeout=3)
    held.append(s)
t0 = time.monotonic()
try:
    x = socket.create_connection((vip, 80), timeout=3)
    print("ninth: connected (table not bounded)")
    sys.exit(1)
except ConnectionRefusedError:
    print("ninth: refused after %.0f ms" % ((time.monotonic() - t0) * 1000))
except socket.timeout:
    print("ninth: timed out (dropped without RST)")
    sys.exit(1)
ok = 0
for s in held:
    s.sendall(b"GET / HTTP/1.1\r\nHost: v\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    if b" 200 OK" in data and b"srv" in data:
        ok += 1
    s.close()
print("held connections answered: %d of 8" % ok)
sys.exit(0 if ok == 8 else 1)
PY
nb_exec "$NB_CLI" timeout 30 python3 "$NB_DIR/exhaust.py" "$NB_VIP4" ||
	en_fail "exhaustion behaviour"

# Closed flows linger at most the fin timeout (1 s); then room again.
sleep 1.5
code=$(nb_exec "$NB_CLI" curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	"http://$NB_VIP4/")
[ "$code" = 200 ] || en_fail "after the held flows closed, a new request got '$code'"

en_dispatcher_stop
refused=$(en_stat refused_full)
echo "refused_full=$refused rst_sent=$(en_stat rst_sent) capacity=$(en_stat flow_capacity)"
[ "${refused:-0}" -ge 1 ] || en_fail "refusal not counted"
[ "$(en_stat flow_capacity)" = 8 ] || en_fail "capacity is not the configured 8"
echo "PASS: full table refuses new flows with RST, existing flows unaffected"
