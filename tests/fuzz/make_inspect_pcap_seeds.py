#!/usr/bin/env python3
"""Writes the seed corpus for tests/fuzz/fuzz_inspect_pcap.c into
seeds/inspect_pcap/: the real openssl handshakes of seeds/inspect (fuzz_inspect's
segment format) as whole TCP conversations in capture files, one per link
type splicectl inspect maps (Ethernet, raw IP, Linux SLL and SLL2, BSD
loopback), IPv4 and IPv6, pcap and (through editcap) pcapng. Each file is
prefixed by the harness's option byte. Run from tests/fuzz."""
import os, struct, subprocess, tempfile

from seedlib import tcp

S, A, P = 0x02, 0x10, 0x08

def segments(blob):
    """fuzz_inspect records: u8 flags (1 client, 2 SYN), s16 delta, u8 len."""
    i, out = 0, []
    while i + 4 <= len(blob):
        fl, d, n = blob[i], struct.unpack("!h", blob[i + 1:i + 3])[0], blob[i + 3]
        out.append((fl & 1, d, blob[i + 4:i + 4 + n]))
        i += 4 + n
    return out

def conversation(blob, c, s):
    seq = {1: 1000, 0: 500000}
    pk = [tcp(c, s, 40000, 443, 999, 0, S), tcp(s, c, 443, 40000, 499999, 1000, S | A),
          tcp(c, s, 40000, 443, 1000, 500000, A)]
    for frm_client, delta, data in segments(blob):
        if delta:
            continue  # keep the conversation in order: a clean seed
        if frm_client:
            pk.append(tcp(c, s, 40000, 443, seq[1], seq[0], A | P, data))
        else:
            pk.append(tcp(s, c, 443, 40000, seq[0], seq[1], A | P, data))
        seq[frm_client] += len(data)
    return pk

def link(kind, ip):
    v6 = ip[0] >> 4 == 6
    et = 0x86DD if v6 else 0x0800
    if kind == 1:    # Ethernet
        return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02" + struct.pack("!H", et) + ip
    if kind == 101:  # raw IP
        return ip
    if kind == 113:  # Linux SLL
        return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", et) + ip
    if kind == 276:  # Linux SLL2
        return struct.pack("!HHIHBB8s", et, 0, 2, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0") + ip
    if kind == 0:    # BSD loopback, host-order family
        return struct.pack("<I", 30 if v6 else 2) + ip
    raise ValueError(kind)

def pcap(kind, frames):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, kind)
    for i, f in enumerate(frames):
        out += struct.pack("<IIII", 1700000000 + i, 0, len(f), len(f)) + f
    return out

here = os.path.dirname(os.path.abspath(__file__))
src, dst = os.path.join(here, "seeds/inspect"), os.path.join(here, "seeds/inspect_pcap")
os.makedirs(dst, exist_ok=True)
plan = [("tls12_full", 1, "4", 0), ("tls13_hrr", 101, "6", 1), ("tls13_psk", 113, "4", 6),
        ("tls12_full", 276, "6", 2), ("tls13_psk", 0, "4", 5)]
for name, kind, fam, opt in plan:
    blob = open(os.path.join(src, name), "rb").read()
    c, s = ("10.0.1.2", "10.0.100.1") if fam == "4" else ("fd00:1::2", "fd00:100::1")
    cap = pcap(kind, [link(kind, ip) for ip in conversation(blob, c, s)])
    base = "%s_dlt%d_v%s" % (name, kind, fam)
    open(os.path.join(dst, base), "wb").write(bytes([opt]) + cap)
    # The same capture as pcapng (libpcap's other reader).
    with tempfile.TemporaryDirectory() as t:
        a, b = os.path.join(t, "a"), os.path.join(t, "b")
        open(a, "wb").write(cap)
        subprocess.run(["editcap", "-F", "pcapng", a, b], check=True)
        open(os.path.join(dst, base + "_ng"), "wb").write(bytes([opt ^ 1]) + open(b, "rb").read())
