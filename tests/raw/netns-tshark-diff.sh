#!/usr/bin/env bash
# netns test: a fresh capture of real kernel TCP traffic (capture-golden.sh:
# IPv4 and IPv6 fetches, a lossy bulk transfer with SACK), then every TCP
# frame as raw/ parses it (rawdump) compared field by field with tshark.
#   netns-tshark-diff.sh PATH/TO/rawdump
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0
"$here/capture-golden.sh" --pcap "$out/cap.pcap" || rc=$?
[ "$rc" = 0 ] || exit "$rc"
python3 "$here/tshark_diff.py" "$1" "$out/cap.pcap"
