#!/usr/bin/env bash
# `meson install --destdir` into a scratch root, then check the tree an
# operator gets: every binary, the unit whose ExecStart/ExecStartPre run the
# installed spliced with the installed config path (and which
# `systemd-analyze verify` accepts), the examples (which the installed
# spliced accepts), the README, man pages when scdoc was found, and bash
# completions that load. Arguments: KEY=VALUE layout lines from meson.
set -u
build=${SPLICEKIT_BUILD:?}
declare -A L
for kv in "$@"; do L[${kv%%=*}]=${kv#*=}; done
dest=$(mktemp -d /tmp/ops-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
has() { [ -e "$dest$1" ] && ok "installs $1" || bad "missing $1"; }

if ! out=$(meson install -C "$build" --destdir "$dest" --no-rebuild --quiet 2>&1); then
	bad "meson install failed: $out"
	echo "1..$n"
	exit 1
fi
ok "meson install --destdir"

for b in "${L[sbindir]}/spliced" "${L[bindir]}/splicectl" "${L[bindir]}/withsplice" \
	 "${L[bindir]}/skfwd"; do
	[ -x "$dest$b" ] && ok "installs $b" || bad "missing executable $b"
done
has "${L[libdir]}/libwithsplice.so"

unit=${L[unitdir]}/spliced.service
has "$unit"
# The unit must start the spliced this install put in place, with the
# config under this prefix's sysconfdir: no /usr/sbin when prefix is
# /usr/local.
conf=${L[sysconfdir]}/spliced.conf
for key in ExecStartPre ExecStart; do
	line=$(sed -n "s/^$key=//p" "$dest$unit")
	read -r exe _ <<<"$line"
	if [ "$exe" = "${L[sbindir]}/spliced" ] && [ -x "$dest$exe" ] &&
	   [[ " $line " == *" -c $conf "* ]]; then
		ok "$key runs the installed spliced with $conf"
	else
		bad "$key='$line': wanted ${L[sbindir]}/spliced ... -c $conf"
	fi
done
if grep -q '@[A-Z]*@' "$dest$unit"; then
	bad "unit has unfilled placeholders: $(grep -o '@[A-Z]*@' "$dest$unit" | sort -u | tr '\n' ' ')"
else
	ok "unit has no unfilled placeholders"
fi
if command -v systemd-analyze >/dev/null; then
	# verify wants ExecStart to exist on this host: point a copy at the
	# destdir. The man pages it would open are checked below, not by man(1).
	sed "s|${L[sbindir]}/spliced|$dest${L[sbindir]}/spliced|g" "$dest$unit" >"$dest/spliced.service"
	if out=$(systemd-analyze verify --man=no "$dest/spliced.service" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify accepts the installed unit"
	else
		bad "systemd-analyze verify: $(tr '\n' ' ' <<<"$out")"
	fi
	rm "$dest/spliced.service"
else
	skip "systemd-analyze verify" "systemd-analyze not installed"
fi

has "${L[docdir]}/README.md"
for ex in nat.conf splice.conf pools.conf; do
	f=${L[docdir]}/examples/$ex
	if [ ! -f "$dest$f" ]; then
		bad "missing $f"
	elif out=$("$dest${L[sbindir]}/spliced" --check -c "$dest$f" 2>/dev/null) &&
	     [[ $out == *": OK, "* ]]; then
		ok "installed $ex passes the installed spliced's --check"
	else
		bad "installed $ex: $out"
	fi
done

if [ "${L[man]}" = yes ]; then
	for page in spliced.8 spliced.conf.5 splicectl.8 withsplice.1; do
		f=${L[mandir]}/man${page##*.}/$page
		name=${page%.*}
		# The page must render, and say what it documents in its NAME line.
		if [ ! -f "$dest$f" ]; then
			bad "missing $f"
		elif out=$(MANWIDTH=80 man -l "$dest$f" 2>&1) && grep -q "^ *$name - " <<<"$out"; then
			ok "installs $f, which renders"
		else
			bad "$f does not render: $(head -3 <<<"$out" | tr '\n' ' ')"
		fi
	done
else
	skip "man pages" "scdoc not found at configure time"
fi

# Completions load in bash and complete: each case is "file|words|want".
for c in "splicectl|splicectl sh|show" "splicectl|splicectl show b|backends" \
	 "splicectl|splicectl -s /x backend 10.0.0.1:80 dr|drain" "spliced|spliced --ch|--check"; do
	IFS='|' read -r cmd words want <<<"$c"
	f=${L[completiondir]}/$cmd
	if [ ! -f "$dest$f" ]; then
		bad "missing $f"
		continue
	fi
	got=$(bash -c '. "$1"; read -ra COMP_WORDS <<<"$2"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		"_$3"; echo "${COMPREPLY[*]}"' _ "$dest$f" "$words" "$cmd" 2>&1)
	[ "$got" = "$want" ] && ok "completion: '$words' gives '$want'" ||
		bad "completion: '$words' gave '$got', wanted '$want'"
done

echo "1..$n"
[ $fails -eq 0 ]
