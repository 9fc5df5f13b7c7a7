#!/usr/bin/env bash
# splicectl inspect on captures it must refuse: each gets exit status 1
# and a message naming the problem; a bad command line gets 2 (suite unit).
set -uo pipefail
sc=${SPLICEKIT_BUILD:?}/tools/splicectl
w=$(mktemp -d /tmp/mt-inspect-err.XXXXXX)
trap 'rm -rf "$w"' EXIT
fail=0

# expect STATUS PATTERN ARGS...: runs splicectl, checks status and stderr.
expect() {
  local want=$1 pat=$2; shift 2
  local err rc
  err=$("$sc" "$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -qi -- "$pat" <<<"$err"; then
    echo "not ok: splicectl $* -> status $rc (want $want), stderr: $err"
    fail=1
  else
    echo "ok: splicectl $* -> $rc: $err"
  fi
}

# pcap global header: magic, v2.4, tz, sigfigs, snaplen, linktype.
hdr() { printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00'; printf "$1"; }

: >"$w/empty.pcap"
echo "GET / HTTP/1.1" >"$w/text.pcap"
hdr '\x01\x00\x00\x00' >"$w/trunc-record.pcap"
# one record header saying 100 bytes, followed by only 10
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x64\x00\x00\x00\x64\x00\x00\x000123456789' >>"$w/trunc-record.pcap"
hdr '\x01\x00\x00\x00' >"$w/trunc-hdr.pcap"
printf '\x00\x00\x00\x00\x00\x00' >>"$w/trunc-hdr.pcap"
head -c 12 "$w/trunc-record.pcap" >"$w/short-global.pcap"
hdr '\x69\x00\x00\x00' >"$w/wifi.pcap"   # 105 = IEEE 802.11

expect 1 'empty file' inspect "$w/empty.pcap"
expect 1 'unknown file format' inspect "$w/text.pcap"
expect 1 'truncated' inspect "$w/trunc-record.pcap"
expect 1 'truncated' inspect "$w/trunc-hdr.pcap"
expect 1 'truncated' inspect "$w/short-global.pcap"
expect 1 'unsupported link type' inspect "$w/wifi.pcap"
expect 1 'No such file' inspect "$w/missing.pcap"
expect 1 'truncated' inspect "$w/trunc-record.pcap" --json
expect 2 'usage' inspect
expect 2 'unknown option' inspect --frobnicate "$w/empty.pcap"
expect 2 'one capture file only' inspect a.pcap b.pcap
expect 2 'bytes of hex' inspect x.pcap --sid-prefix zz=1
expect 2 'expected HEX=BACKEND' inspect x.pcap --sid-prefix 0102
expect 2 'backend must be a number' inspect x.pcap --ticket-prefix 0102=x
expect 2 'needs HEX=BACKEND' inspect x.pcap --ticket-prefix
expect 2 'given twice' inspect x.pcap --ticket-prefix 01=1 --ticket-prefix 01=2
expect 2 'unknown command' frobnicate
expect 2 'needs a socket' -s

# A truncated capture still yields valid JSON naming the error.
out=$("$sc" inspect "$w/trunc-record.pcap" --json 2>/dev/null)
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if "truncated" in d["error"] else 1)' "$out"; then
  echo "ok: --json on a truncated capture is valid JSON with the error"
else
  echo "not ok: --json output on a truncated capture: $out"; fail=1
fi
exit $fail
