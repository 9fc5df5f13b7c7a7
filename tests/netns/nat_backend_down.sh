#!/usr/bin/env bash
# A backend killed under load: with health checks every 200 ms, fall 2,
# timeout 200 ms (detection within ~0.6 s; 3 s allowed here), spliced marks
# it DOWN, sends it no new flows, and the open connections to the other
# backends keep working; restarted, it is marked UP again and gets flows.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl python3
nb_init en
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
for i in 1 2 3; do en_nginx $i || en_fail "nginx $i"; done
en_config "$NB_DIR/nat.conf" \
	health "tcp interval 200ms timeout 200ms fall 2 rise 2 backoff-max 1s"
en_dispatcher "$NB_DIR/nat.conf"
ctl() { nb_exec "$NB_DISP" "$SPLICEKIT_BUILD/tools/splicectl" -s "$NB_DIR/spliced.sock" "$@"; }
state_of() { ctl show backends | awk -v b="$1:80" '$1 == b { print $2 }'; }
srv2=${NB_SRV_IP4[2]}

# Three keep-alive connections, one per backend (round-robin); they stay
# open across the failure. The client answers a line on stdin per round.
mkfifo "$NB_DIR/go" "$NB_DIR/res"
cat >"$NB_DIR/held.py" <<'PY'
import re, socket, sys
vip = sys.argv[1]
def get(s):
    """One keep-alive GET; returns the body ("srvN")."""
    s.sendall(b"GET / HTTP/1.1\r\nHost: v\r\n\r\n")
    data = b""
    while True:
        if b"\r\n\r\n" in data:
            head, body = data.split(b"\r\n\r\n", 1)
            m = re.search(rb"(?i)content-length: *(\d+)", head)
            if m and len(body) >= int(m.group(1)):
                return body.decode().strip()
        b = s.recv(4096)
        if not b:
            raise ConnectionError("closed")
        data += b
conns = [socket.create_connection((vip, 80), timeout=3) for _ in range(3)]
names = [get(s) for s in conns]
print(" ".join(names), flush=True)
sys.stdin.readline()                 # the shell killed srv2 and saw DOWN
ok = {}
for s, n in zip(conns, names):
    if n == "srv2":
        continue
    try:
        ok[n] = sum(get(s) == n for _ in range(20))
    except Exception as e:
        ok[n] = "error %s" % e
print(" ".join("%s=%s" % kv for kv in sorted(ok.items())), flush=True)
PY
nb_exec "$NB_CLI" timeout 60 python3 "$NB_DIR/held.py" "$NB_VIP4" <"$NB_DIR/go" >"$NB_DIR/res" &
exec 3>"$NB_DIR/go" 4<"$NB_DIR/res"
read -r -t 10 names <&4 || en_fail "held connections did not start"
echo "held connections on: $names"
[ "$(tr ' ' '\n' <<<"$names" | sort | tr '\n' ' ')" = "srv1 srv2 srv3 " ] ||
	en_fail "round-robin did not give one connection per backend: $names"
[ "$(state_of "$srv2")" = UP ] || en_fail "srv2 not UP at start"

# Kill every process in srv2's namespace (nginx master and worker).
kill -9 $(ip netns pids "${NB_SRV[2]}") 2>/dev/null
wait "$EN_NGINX2_PID" 2>/dev/null
t0=$(date +%s%N)
for ((i = 0; i < 30; i++)); do
	[ "$(state_of "$srv2")" = DOWN ] && break
	sleep 0.1
done
down_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(state_of "$srv2")" = DOWN ] || en_fail "srv2 not marked DOWN after ${down_ms} ms"
echo "srv2 marked DOWN ${down_ms} ms after it was killed"

echo go >&3
read -r -t 20 result <&4 || en_fail "held connections stalled after the failure"
echo "held connections afterwards: $result"
[ "$result" = "srv1=20 srv3=20" ] || en_fail "surviving connections disturbed: $result"

out=$(nb_exec "$NB_CLI" curl -sS --max-time 30 --connect-timeout 2 \
	-H 'Connection: close' "http://$NB_VIP4/?n=[1-60]" 2>&1)
[ "$(grep -c '^srv[13]$' <<<"$out")" -eq 60 ] ||
	en_fail "new flows while srv2 is DOWN: $(sort <<<"$out" | uniq -c | tr '\n' ' ')"
echo "60 new connections while DOWN: all answered by srv1/srv3"

en_nginx 2 || en_fail "restart nginx 2"
t0=$(date +%s%N)
for ((i = 0; i < 50; i++)); do
	[ "$(state_of "$srv2")" = UP ] && break
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(state_of "$srv2")" = UP ] || en_fail "srv2 not back UP after ${ms} ms"
echo "srv2 back UP ${ms} ms after restart"
out=$(nb_exec "$NB_CLI" curl -sS --max-time 30 -H 'Connection: close' \
	"http://$NB_VIP4/?n=[1-30]" 2>&1)
n2=$(grep -c '^srv2$' <<<"$out")
[ "$n2" -ge 9 ] || en_fail "recovered srv2 got $n2 of 30 new flows"
echo "PASS: DOWN after ${down_ms} ms, no new flows while DOWN, others unaffected, UP after ${ms} ms ($n2/30 flows)"
