#!/usr/bin/env bash
# Reload under traffic in splice mode (TLS session routing): two HTTPS
# downloads through the VIP run across `splicectl reload` of a config that
# adds a backend (srv3), removes one (srv2, carrying one download), changes
# a weight (srv1 1 -> 3) and the scheduler (wlc -> rr). Both downloads
# complete byte-identical; a TLS 1.2 session made on srv1 before the reload
# resumes there 20 times out of 20 after it (the mapping table is kept); new sessions
# reach srv3 and never srv2; srv2 drains and disappears; a broken config is
# refused with file:line and changes nothing.
set -uo pipefail
. "$SPLICEKIT_SRC/tests/netns/lib.sh"
. "$SPLICEKIT_SRC/tests/netns/nat_lib.sh"
. "$SPLICEKIT_SRC/tests/netns/tls_lib.sh"
nb_require_root
nb_require nginx openssl curl sha256sum
nb_init rls
nb_setup --servers 3 --offloads off || en_fail "testbed setup"
en_bridge_servers || en_fail "bridge"
tl_pki || en_fail "certificates"
mkdir -p "$NB_DIR/www"
head -c $((24 << 20)) /dev/urandom >"$NB_DIR/www/big"
want=$(sha256sum <"$NB_DIR/www/big" | cut -d' ' -f1)
for i in 1 2 3; do tl_nginx $i --proto 1.2 --tickets off || en_fail "nginx $i"; done
s1=${NB_SRV_IP4[1]} s2=${NB_SRV_IP4[2]} s3=${NB_SRV_IP4[3]}
conf() {
	local sched=$1
	shift
	TL_NBACKENDS=$#
	TL_BACKEND_ADDR=()
	TL_BACKEND_OPTS=()
	local i=1 b
	for b in "$@"; do
		TL_BACKEND_ADDR[i]=${b%% *}
		[ "$b" != "${b#* }" ] && TL_BACKEND_OPTS[i]=${b#* }
		i=$((i + 1))
	done
	tl_config "$NB_DIR/splice.conf" splice
	sed -i "s/scheduler rr/scheduler $sched/" "$NB_DIR/splice.conf"
}
conf wlc "$s1" "$s2"
en_dispatcher "$NB_DIR/splice.conf"
row() { tl_ctl show backends | awk -v b="$1:$TL_PORT" '$1 == b'; }
col() { row "$1" | awk -v c="$2" '{ print $c }'; }

# A session on srv1 (wlc rotates over idle backends: try until srv1).
for ((k = 0; k < 4; k++)); do
	tl_sclient "$NB_DIR/s0" -tls1_2 -sess_out "$NB_DIR/sess"
	first=$(tl_parse "$NB_DIR/s0")
	[[ $first == "New srv1 "* ]] && break
done
[[ $first == "New srv1 "* ]] || en_fail "no session on srv1: $first"

for k in 1 2; do
	nb_exec "$NB_CLI" curl -sS --max-time 60 --limit-rate 2M --cacert "$TL_PKI/ca.crt" \
		--resolve "$TL_SNI:$TL_PORT:$NB_VIP4" -o "$NB_DIR/got$k" \
		"https://$TL_SNI:$TL_PORT/files/big" >"$NB_DIR/dl$k.out" 2>&1 &
	eval "dl$k=\$!"
	sleep 0.5
done
sleep 1
[ "$(col "$s1" 6)" = 1 ] && [ "$(col "$s2" 6)" = 1 ] ||
	en_fail "downloads not one per backend: $(tl_ctl show backends)"

conf rr "$s1 weight 3" "$s3"
out=$(tl_ctl reload) || en_fail "reload refused: $out"
echo "$out" | sed 's/^/  reload: /'
grep -q "1 backend added, 1 backend removed (draining), 1 weight changed, scheduler rr" <<<"$out" ||
	en_fail "reload summary: $out"
row "$s2" | grep -q "removed, draining" || en_fail "srv2 not draining: $(tl_ctl show backends)"

# While srv2 still drains (so the snapshots must agree): a broken file.
before=$(en_backends_fixed)
sed -i 's/scheduler rr/scheduler fastest/' "$NB_DIR/splice.conf"
en_reload_refused "$NB_DIR/splice.conf" "$(grep -n "scheduler fastest" "$NB_DIR/splice.conf" | cut -d: -f1)"
[ "$before" = "$(en_backends_fixed)" ] || en_fail "a refused reload changed the backends: $(diff <(tr "{" "\n" <<<"$before") <(en_backends_fixed | tr "{" "\n"))"

reused=0
for ((k = 0; k < 20; k++)); do
	tl_sclient "$NB_DIR/s1" -tls1_2 -sess_in "$NB_DIR/sess"
	again=$(tl_parse "$NB_DIR/s1")
	[[ $again == "Reused srv1 "* ]] && reused=$((reused + 1))
done
echo "session from before the reload: $reused of 20 resumptions on srv1"
[ "$reused" = 20 ] || en_fail "the session made before the reload: $reused/20 resumed on srv1 (last: $again)"

declare -A per=()
for ((k = 0; k < 8; k++)); do
	r=$(tl_get -tls1_2)
	read -r _ srv _ <<<"$r"
	per[${srv:-failed}]=$((${per[${srv:-failed}]:-0} + 1))
done
echo "8 new sessions after the reload: srv1=${per[srv1]:-0} srv2=${per[srv2]:-0} srv3=${per[srv3]:-0} failed=${per[failed]:-0}"
[ "${per[failed]:-0}" = 0 ] && [ "${per[srv2]:-0}" = 0 ] && [ "${per[srv3]:-0}" -ge 1 ] &&
	[ "${per[srv1]:-0}" -ge 4 ] || en_fail "new sessions not on srv1/srv3 at 3:1"

en_downloads_ok "$want" 1 2
echo "both downloads complete and byte-identical (24 MiB each)"
en_wait_unlisted "$s2:$TL_PORT"
kill -0 "$EN_DISP_PID" || en_fail "spliced died"
echo "PASS: splice reload kept both downloads and the session on srv1, added srv3, drained srv2, refused a broken file"
