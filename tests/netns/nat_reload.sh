#!/usr/bin/env bash
# Reload under traffic (nat mode, two workers): two long downloads run
# across `splicectl reload` of a config that adds a backend (srv3),
# removes one (srv2, which carries one download), changes a weight
# (srv1 1 -> 3) and the scheduler (wlc -> rr). Both downloads complete
# byte-identical; new connections reach srv3 and never srv2; srv2 is
# listed as draining while its download runs, then disappears. Runtime
# state survives: srv4's admin DOWN and its `set weight 7` (the file did
# not change its weight) stay. A config with an error, and one changing
# the VIP, are refused with file:line and change nothing; SIGHUP reloads
# too (it brings srv2 back).
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
nb_require_root
nb_require nginx curl python3 sha256sum
nb_init rln
nb_setup --servers 4 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
mkdir -p "$NB_DIR/www"
head -c $((48 << 20)) /dev/urandom >"$NB_DIR/www/big"
want=$(sha256sum <"$NB_DIR/www/big" | cut -d' ' -f1)
for i in 1 2 3 4; do en_nginx $i || en_fail "nginx $i"; done

# conf FILE SCHED "IP:PORT[ weight N]"...: the service with these backends.
conf() {
	local f=$1 sched=$2
	shift 2
	{
		echo "control-socket $NB_DIR/spliced.sock"
		echo "workers 2" # the new capture filter must reach both
		echo "service web {"
		echo "	vip ${VIP:-$NB_VIP4:80}"
		echo "	mode nat"
		echo "	client-interface $NB_DISP_CLI_IF"
		echo "	server-interface $EN_SRV_IF"
		echo "	io packet"
		echo "	scheduler $sched"
		for b in "$@"; do echo "	backend $b"; done
		echo "}"
	} >"$f"
}
s1=${NB_SRV_IP4[1]} s2=${NB_SRV_IP4[2]} s3=${NB_SRV_IP4[3]} s4=${NB_SRV_IP4[4]}
conf "$NB_DIR/nat.conf" wlc "$s1:80" "$s2:80" "$s4:80"
en_dispatcher "$NB_DIR/nat.conf"
ctl() { en_ctl "$@"; }
row() { ctl show backends | awk -v b="$1:80" '$1 == b'; }
col() { row "$1" | awk -v c="$2" '{ print $c }'; }
count() { grep -c "^srv$1\$" <<<"$2"; }

ctl backend "web/$s4:80" down >/dev/null || en_fail "backend down"
ctl set weight "web/$s4:80" 7 >/dev/null || en_fail "set weight"

# Two downloads, 4 MB/s each (about 12 s, past every step below; srv2
# must still drain when the refused reloads compare the backends), one on
# srv1 and one on srv2 (wlc with both idle and equal weights rotates).
for k in 1 2; do
	nb_exec "$NB_CLI" curl -sS --max-time 60 --limit-rate 4M \
		-o "$NB_DIR/got$k" -w '%{http_code}\n' "http://$NB_VIP4/files/big" \
		>"$NB_DIR/dl$k.out" 2>&1 &
	eval "dl$k=\$!"
	sleep 0.3
done
sleep 1
[ "$(col "$s1" 6)" = 1 ] && [ "$(col "$s2" 6)" = 1 ] ||
	en_fail "downloads not one per backend: $(ctl show backends)"

conf "$NB_DIR/nat.conf" rr "$s1:80 weight 3" "$s3:80" "$s4:80"
t0=$(date +%s%N)
out=$(ctl reload) || en_fail "reload refused: $out"
echo "$out" | sed 's/^/  reload: /'
echo "splicectl reload answered in $((($(date +%s%N) - t0) / 1000000)) ms (new capture filter in both workers)"
grep -q "1 backend added, 1 backend removed (draining), 1 weight changed, scheduler rr" <<<"$out" ||
	en_fail "reload summary: $out"
ctl show backends | grep -q "scheduler rr" || en_fail "scheduler not rr"
[ "$(col "$s1" 5)" = 3 ] || en_fail "srv1 weight not 3: $(row "$s1")"
[ "$(col "$s4" 5)" = 7 ] || en_fail "srv4 lost its run-time weight 7: $(row "$s4")"
[ "$(col "$s4" 3)" = DOWN ] || en_fail "srv4 lost its admin DOWN: $(row "$s4")"
row "$s2" | grep -q "removed, draining" || en_fail "srv2 not draining: $(ctl show backends)"
[ "$(col "$s2" 6)" = 1 ] || en_fail "srv2's download gone from its count: $(row "$s2")"

out=$(nb_exec "$NB_CLI" curl -sS --max-time 5 --connect-timeout 2 -H 'Connection: close' \
	"http://$NB_VIP4/?n=[1-32]" 2>&1)
n1=$(count 1 "$out") n2=$(count 2 "$out") n3=$(count 3 "$out") n4=$(count 4 "$out")
echo "32 new connections after the reload: srv1=$n1 srv2=$n2 srv3=$n3 srv4=$n4"
[ "$n2" = 0 ] && [ "$n4" = 0 ] || en_fail "new flows to a removed or DOWN backend"
[ "$n3" -ge 6 ] && [ "$n1" -ge 20 ] && [ $((n1 + n3)) = 32 ] ||
	en_fail "weights 3:1 not applied to new flows"

# A file with an error, then one asking for a restart: refused, and the
# backends are what they were.
before=$(en_backends_fixed)
cp "$NB_DIR/nat.conf" "$NB_DIR/good.conf"
sed -i 's/scheduler rr/scheduler fastest/' "$NB_DIR/nat.conf"
line=$(grep -n "scheduler fastest" "$NB_DIR/nat.conf" | cut -d: -f1)
en_reload_refused "$NB_DIR/nat.conf" "$line"
VIP=10.0.100.2:80 conf "$NB_DIR/nat.conf" rr "$s1:80"
if err=$(ctl reload 2>&1); then en_fail "a VIP change was accepted"; fi
grep -q "service web: changing vip needs a restart" <<<"$err" || en_fail "vip refusal: $err"
echo "VIP change refused: $err"
[ "$before" = "$(en_backends_fixed)" ] || en_fail "a refused reload changed the backends: $(diff <(tr "{" "\n" <<<"$before") <(en_backends_fixed | tr "{" "\n"))"

en_downloads_ok "$want" 1 2
echo "both downloads complete and byte-identical (48 MiB each)"
en_wait_unlisted "$s2:80"
echo "srv2 drained and is no longer listed"

# Run-time changes without the file: add srv2 back with weight 2, delete
# srv3; then the SIGHUP reload below makes the set the file's again.
out=$(ctl add backend web "$s2:80" weight 2) || en_fail "add backend: $out"
grep -q "web $s2:80: added, weight 2, now UP" <<<"$out" || en_fail "add backend said: $out"
if out=$(ctl add backend web "$s1:80" 2>&1); then en_fail "adding a backend twice was accepted"; fi
grep -q "already has backend $s1:80" <<<"$out" || en_fail "second add: $out"
out=$(ctl del backend "web/$s3:80") || en_fail "del backend: $out"
grep -q "web $s3:80: deleted, draining 0 connections" <<<"$out" || en_fail "del backend said: $out"
out=$(nb_exec "$NB_CLI" curl -sS --max-time 5 --connect-timeout 2 -H 'Connection: close' \
	"http://$NB_VIP4/?n=[1-15]" 2>&1)
a1=$(count 1 "$out") a2=$(count 2 "$out") a3=$(count 3 "$out")
echo "15 connections after add/del: srv1=$a1 srv2=$a2 srv3=$a3"
[ "$a3" = 0 ] && [ "$a2" -ge 4 ] && [ $((a1 + a2)) = 15 ] || en_fail "add/del not followed"

cp "$NB_DIR/good.conf" "$NB_DIR/nat.conf"
conf "$NB_DIR/nat.conf" rr "$s1:80 weight 3" "$s2:80" "$s3:80" "$s4:80"
kill -HUP "$EN_DISP_PID"
for ((i = 0; i < 50; i++)); do
	[ "$(col "$s2" 2)" = UP ] && break
	sleep 0.1
done
[ "$(col "$s2" 2)" = UP ] || en_fail "SIGHUP did not bring srv2 back: $(ctl show backends)"
[ "$(col "$s3" 2)" = UP ] || en_fail "SIGHUP did not bring the deleted srv3 back: $(ctl show backends)"
grep -q "reloaded" "$EN_DISP_LOG" || en_fail "no reload in the log"
grep -q "reload refused, nothing changed: .*nat.conf:$line:" "$EN_DISP_LOG" ||
	en_fail "the refusal is not in the log"
kill -0 "$EN_DISP_PID" || en_fail "spliced died"
echo "PASS: reload kept both downloads, added srv3, drained srv2, weights 3:1 ($n1/$n3), refusals changed nothing, add/del backend, SIGHUP reloads"
