#!/usr/bin/env bash
# `spliced --check`: the shipped example configs pass; each kind of broken
# config exits 1 with "FILE:LINE: ..." naming the problem; bad command
# lines exit 2. Runs the real binary, no privileges needed.
set -u
spliced=${SPLICEKIT_BUILD:?}/dispatcher/spliced
src=${SPLICEKIT_SRC:?}
tmp=$(mktemp -d /tmp/ct-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }

for f in "$src"/tools/examples/*.conf; do
	if out=$("$spliced" --check -c "$f" 2>/dev/null) && [[ $out == *": OK, "* ]]; then
		ok "example $(basename "$f") passes --check"
	else
		bad "example $(basename "$f") fails --check: $out"
	fi
done

head='service web {
	vip 10.0.0.100:80
	client-interface lo'
be='	backend 10.0.1.1:80'

# name | line the error must name | text the message must hold | config
cases=(
	"unknown keyword|4|unknown keyword 'balance'|$head
	balance rr
$be
}"
	"bad address|2|'10.0.0.256:80' is not an address|service web {
	vip 10.0.0.256:80"
	"missing port|5|with a port|$head
$be
	backend 10.0.1.2"
	"bad mode|4|expected nat or splice|$head
	mode proxy"
	"bad scheduler|4|expected rr, wlc, source-hash or lard|$head
	scheduler random"
	"bad weight|4|not a number in 1..256|$head
	backend 10.0.1.1:80 weight 1000"
	"no backends|1|has no backend|$head
}"
	"unclosed block|4|end of file inside service 'web'|$head
$be"
	"stray brace|1|'}' without an open|}"
	"bad duration|4|not a duration|$head
	timeout syn forever"
	"duplicate backend|5|already listed at line 4|$head
$be
$be"
	"address family mix|4|not the vip's address family|$head
	backend [fd00::1]:80
}"
	"missing argument|4|wrong number of arguments (expected 'vip IP:PORT')|$head
	vip"
	"global in service|4|is a global setting|$head
	user nobody"
	"world-writable socket|1|every local user|control-mode 0777"
	"no service|1|no service defined|workers 2"
	"bad fastpath|4|'xdp' is unknown (expected auto, tc or off)|$head
	fastpath xdp"
)
for c in "${cases[@]}"; do
	IFS='|' read -r name line want text <<<"${c%%$'\n'*}"
	body=${c#*$'\n'}
	[ "$body" = "$c" ] && body=$text || body=$text$'\n'$body
	f=$tmp/${name// /_}.conf
	printf '%s\n' "$body" >"$f"
	err=$("$spliced" --check -c "$f" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 1 ] && [[ $err == "$f:$line: "*"$want"* ]]; then
		ok "$name: $err"
	else
		bad "$name: rc=$rc, got '$err', wanted '$f:$line: ...$want...'"
	fi
done

# fastpath: --check tries the load and says either that it loads here or,
# as a warning naming the service's line, why not (exit 0 both ways).
printf '%s\n\tfastpath auto\n%s\n}\n' "$head" "$be" >"$tmp/fp.conf"
out=$("$spliced" --check -c "$tmp/fp.conf" 2>"$tmp/fp.err"); rc=$?
err=$(cat "$tmp/fp.err")
if [ $rc -eq 0 ] && [[ $out == *"$tmp/fp.conf: fastpath: loads on this host"* && -z $err ]]; then
	ok "fastpath auto: loads here"
elif [ $rc -eq 0 ] && [[ $err == "$tmp/fp.conf:1: warning: service 'web' asks for fastpath auto, which cannot load here: "?* ]] &&
	[[ $out == *": OK, "* && $out != *"fastpath"* ]]; then
	ok "fastpath auto: says why it cannot load: $err"
else
	bad "fastpath auto: rc=$rc out='$out' err='$err'"
fi
printf '%s\n%s\n}\n' "$head" "$be" >"$tmp/nofp.conf"
out=$("$spliced" --check -c "$tmp/nofp.conf" 2>&1)
[[ $out != *fastpath* ]] && ok "no fastpath asked: nothing said" || bad "no fastpath asked: $out"

err=$("$spliced" --check -c "$tmp/none.conf" 2>&1)
[ $? -eq 1 ] && [[ $err == "$tmp/none.conf: cannot open: "* ]] && ok "missing file" || bad "missing file: $err"
"$spliced" --bogus >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown option exits 2" || bad "unknown option"
"$spliced" >/dev/null 2>&1; [ $? -eq 2 ] && ok "no -c exits 2" || bad "no -c"
"$spliced" --version | grep -q '^spliced [0-9]' && ok "--version" || bad "--version"
"$spliced" --help | grep -q -- '--check' && ok "--help" || bad "--help"

# workers N with an io pcap service runs one worker: --check says so,
# naming the service's line; the shipped examples do not trip it.
printf 'workers 2\nservice web {\n\tvip 10.0.0.100:80\n\tclient-interface lo\n\tio pcap\n\tbackend 10.0.1.1:80\n}\n' >"$tmp/pcapw.conf"
err=$("$spliced" --check -c "$tmp/pcapw.conf" 2>&1 >/dev/null)
[ $? -eq 0 ] && [[ $err == "$tmp/pcapw.conf:2: warning: service web uses io pcap, so spliced runs 1 worker, not 2"* ]] &&
	ok "workers 2 on io pcap: $err" || bad "workers 2 on io pcap: '$err'"
err=$(for f in "$src"/tools/examples/*.conf; do "$spliced" --check -c "$f" 2>&1 >/dev/null; done)
[[ $err != *"uses io pcap"* ]] && ok "examples: no pcap/workers warning" || bad "examples: $err"

echo "1..$n"
[ $fails -eq 0 ]
