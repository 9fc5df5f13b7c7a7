#!/usr/bin/env bash
# splicectl inspect against tshark on real openssl handshakes (suite netns).
# Captures on loopback inside a private network namespace (unshare -n), so
# nothing touches the host's interfaces; exits 77 (SKIP) without root.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: capturing on lo in a private netns needs root"; exit 77
fi
for t in tshark dumpcap editcap openssl python3 unshare ip; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
src=${SPLICEKIT_SRC:?} build=${SPLICEKIT_BUILD:?}
w=$(mktemp -d /tmp/mt-inspect.XXXXXX)
trap 'rm -rf "$w"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$w/key.pem" -out "$w/cert.pem" -days 1 -subj /CN=mt.test 2>/dev/null
timeout 90 unshare -n bash "$src/tests/maptable/inspect_capture.sh" "$w"
python3 "$src/tests/maptable/inspect_compare.py" "$build/tools/splicectl" "$w/cap.pcap"
