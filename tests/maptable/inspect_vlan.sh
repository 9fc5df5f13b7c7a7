#!/usr/bin/env bash
# splicectl inspect on a capture from a trunk port: a real ClientHello (the
# tls12_full fuzz seed's first segment) in frames with stacked 802.1ad +
# 802.1Q tags (QinQ) is decoded, and a packet it cannot parse (an ARP
# frame) is reported in the text output, not only in --json (suite unit).
set -uo pipefail
sc=${SPLICEKIT_BUILD:?}/tools/splicectl
src=${SPLICEKIT_SRC:?}
w=$(mktemp -d /tmp/content-inspect-vlan.XXXXXX)
trap 'rm -rf "$w"' EXIT
fail=0

python3 - "$src/tests/fuzz/seeds/inspect/tls12_full" "$w/qinq.pcap" <<'PY'
import struct, sys
seed = open(sys.argv[1], "rb").read()
hello = seed[4:4 + seed[3]]            # first segment: the client's hello
def frame(ip_payload, proto_tags):
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
    for tpid, vid in proto_tags:        # outer S-tag first, then C-tag
        eth += struct.pack(">HH", tpid, vid)
    return eth + ip_payload
def tcp(seq, flags, data):
    t = struct.pack(">HHIIBBHHH", 40000, 443, seq, 0, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(t) + len(data), 1, 0x4000,
                     64, 6, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return b"\x08\x00" + ip + t + data
tags = [(0x88A8, 100), (0x8100, 200)]
pkts = [frame(tcp(999, 0x02, b""), tags),
        b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x06" + b"\x00" * 28,
        frame(tcp(1000, 0x18, hello), tags)]
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(pkts):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)) + p)
PY

out=$("$sc" inspect "$w/qinq.pcap" 2>"$w/err"); rc=$?
err=$(cat "$w/err")
if [ $rc -eq 0 ] && grep -q '^#3 stream 0 10.0.0.1:40000 > 10.0.0.2:443 client_hello legacy=TLS1.2 .*sni=a.example' <<<"$out"; then
  echo "ok: the QinQ-tagged ClientHello is decoded: $out"
else
  echo "not ok: status $rc, output: $out / $err"; fail=1
fi
if grep -q 'splicectl inspect: 1 packets skipped (first: frame 2, ethertype)' <<<"$err"; then
  echo "ok: the skipped ARP frame is reported in the text output: $err"
else
  echo "not ok: no skipped-packet report in text mode: $err"; fail=1
fi
json=$("$sc" inspect "$w/qinq.pcap" --json 2>/dev/null)
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["skipped_packets"] == 1 and d["messages"][0]["sni"] == "a.example" else 1)' "$json"; then
  echo "ok: --json agrees (1 skipped, the hello decoded)"
else
  echo "not ok: --json: $json"; fail=1
fi
exit $fail
