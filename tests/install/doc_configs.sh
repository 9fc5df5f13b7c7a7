#!/usr/bin/env bash
# Every config block in README.md and spliced.conf(5) (a fenced block whose
# first line starts with `service` or a global keyword) passes `spliced
# --check`, so the docs cannot again show keywords spliced rejects.
set -u
spliced=${SPLICEKIT_BUILD:?}/dispatcher/spliced
docs=("${SPLICEKIT_SRC:?}/README.md" "$SPLICEKIT_SRC/tools/man/spliced.conf.5.scd")
tmp=$(mktemp -d /tmp/ops-readme.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

# Split the README's fenced blocks into files; keep those that look like
# a spliced config.
for d in "${docs[@]}"; do
	awk -v dir="$tmp" -v doc="$(basename "$d")" '
		/^```/ { if (inb) { inb = 0; close(f) } else { inb = 1; k++; f = dir "/" doc "-block" k ".txt" } next }
		inb { print > f }
	' "$d"
done
for f in "$tmp"/*-block*.txt; do
	first=$(grep -m1 -v '^\s*$' "$f")
	case $first in
	service\ *|control-socket\ *|workers\ *|user\ *) ;;
	*) continue ;;
	esac
	n=$((n + 1))
	# Key files named in the README do not exist here: give each its own.
	while read -r key; do
		k=$tmp/$(basename "$key")
		[ -f "$k" ] || head -c 80 /dev/urandom >"$k"
		sed -i "s|ticket-key-file $key|ticket-key-file $k|" "$f"
	done < <(grep -o 'ticket-key-file [^ ]*' "$f" | cut -d' ' -f2)
	if out=$("$spliced" --check -c "$f" 2>&1 >/dev/null) && [ -z "$(grep -v 'warning: interface' <<<"$out")" ]; then
		echo "ok $n - $(basename "${f%-block*}") block '$first' passes --check"
	else
		fails=$((fails + 1))
		echo "not ok $n - $(basename "${f%-block*}") block '$first': $(tr '\n' ' ' <<<"$out")"
	fi
done
[ $n -ge 3 ] || { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - found only $((n - 1)) config blocks in ${docs[*]}"; }
echo "1..$n"
[ $fails -eq 0 ]
