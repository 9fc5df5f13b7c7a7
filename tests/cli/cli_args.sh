#!/usr/bin/env bash
# Command lines an operator gets wrong: every tool answers --version, and
# splicectl refuses a bad word by naming it (exit 2), and a -s path that is
# not a live socket by saying what it is (exit 1). No daemon, no privileges.
set -u
b=${SPLICEKIT_BUILD:?}
ctl=$b/tools/splicectl
tmp=$(mktemp -d /tmp/ops-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }

for t in dispatcher/spliced tools/splicectl preload/withsplice tools/skfwd; do
	name=${t##*/}
	out=$("$b/$t" --version 2>&1)
	[ $? -eq 0 ] && [[ $out =~ ^$name\ [0-9]+\.[0-9]+\.[0-9]+$ ]] &&
		ok "$name --version: $out" || bad "$name --version: '$out'"
done

# A socket file nobody listens on (a daemon that died without removing it).
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/stale.sock"
: >"$tmp/regular"
mkfifo "$tmp/fifo"

# exit code | words | text stderr must hold (the bad word in quotes)
cases=(
	"1|-s $tmp/regular show stats|$tmp/regular is not a socket (it is a regular file"
	"1|-s $tmp show stats|$tmp is not a socket (it is a directory"
	"1|-s /dev/null show stats|/dev/null is not a socket (it is a character device"
	"1|-s $tmp/fifo show stats|$tmp/fifo is not a socket (it is a FIFO"
	"1|-s $tmp/stale.sock show stats|nobody listens on it"
	"1|-s $tmp/none.sock show stats|No such file or directory (is spliced running?"
	"2|-s|-s needs a socket path"
	"2|--frob show stats|unknown option '--frob'"
	"2|frobnicate|unknown command 'frobnicate'"
	"2|show backends --jsno|unknown option '--jsno'"
	"2|show bogus|unknown topic 'bogus'"
	"2|show backends stats|'stats' is a second"
	"2|backend 10.0.0.1:80 sideways|'sideways' is not a state"
	"2|backend 10.0.0.1:80 up --jsno|unexpected '--jsno'"
	"2|backend 10.0.0.1:80 up --json --json|unexpected '--json' after --json"
	"2|set wieght 10.0.0.1:80 2|'wieght' is not a setting"
	"2|set weight 10.0.0.1:80 2 3|unexpected '3'"
	"2|watch -x|unexpected '-x'"
	"2|watch -n|no number after '-n'"
	"2|watch -n soon|not 'soon'"
	"2|flush --older-than 1h|--older-than '1h' is not a number"
	"2|inspect x.pcap --jsno|unknown option '--jsno'"
)
for c in "${cases[@]}"; do
	IFS='|' read -r want words text <<<"$c"
	read -ra argv <<<"$words"
	err=$("$ctl" "${argv[@]}" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq "$want" ] && [[ $err == *"$text"* ]]; then
		ok "splicectl $words: exit $rc, $(head -1 <<<"$err")"
	else
		bad "splicectl $words: exit $rc (wanted $want), got '$(tr '\n' ' ' <<<"$err")', wanted '...$text...'"
	fi
done

# tools/bootstrap: a production host's group pulls no compiler, test peer
# or VM; an unknown group is named.
boot=${SPLICEKIT_SRC:?}/tools/bootstrap
rt=$("$boot" --list | sed -n 's/^runtime: //p')
heavy=$(grep -owE 'qemu[^ ]*|apache2|vsftpd|nginx|haproxy|gcc|clang|build-essential|[^ ]*-dev' <<<"$rt")
[ -n "$rt" ] && [ -z "$heavy" ] && ok "bootstrap --runtime installs only: $rt" ||
	bad "bootstrap runtime group '$rt' holds: $heavy"
err=$("$boot" --group runtime,nosuch --dry-run 2>&1)
[ $? -eq 2 ] && [[ $err == *"unknown group 'nosuch'"* ]] && ok "bootstrap: $err" ||
	bad "bootstrap --group nosuch: '$err'"

echo "1..$n"
[ $fails -eq 0 ]
