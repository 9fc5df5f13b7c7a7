#!/usr/bin/env python3
"""Decoding speed of `splicectl inspect` against tshark on the same capture.

usage: inspect_bench.py SPLICECTL CAPTURE.pcap [COPIES]

Builds a larger capture by repeating CAPTURE (Ethernet/IPv4, little-endian
pcap) COPIES times (default 200), each copy with its client ports shifted
so every copy is a new set of flows, then times `splicectl inspect --json`
and `tshark -Y tls.handshake -T fields` (the fields inspect prints) on it,
and prints handshake messages per second and the ratio. CPU time of the
child processes, not wall time: the build machine is shared.
"""
import os
import resource
import struct
import subprocess
import sys


def replicate(src, dst, copies):
    data = open(src, "rb").read()
    if struct.unpack("<I", data[:4])[0] != 0xa1b2c3d4 or struct.unpack("<I", data[20:24])[0] != 1:
        sys.exit("need a little-endian microsecond pcap with Ethernet link type")
    recs = []
    off = 24
    while off < len(data):
        hdr = data[off:off + 16]
        incl = struct.unpack("<I", hdr[8:12])[0]
        recs.append((hdr, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    servers = {4433, 4434, 443}
    out = [data[:24]]
    for c in range(copies):
        for hdr, pkt in recs:
            if len(pkt) > 38 and pkt[12:14] == b"\x08\x00" and pkt[23] == 6:
                tcp = 14 + (pkt[14] & 15) * 4
                sp, dp = struct.unpack(">HH", pkt[tcp:tcp + 4])
                b = bytearray(pkt)
                if dp in servers:
                    struct.pack_into(">H", b, tcp, (sp + 7 * c) & 0xffff or 1)
                elif sp in servers:
                    struct.pack_into(">H", b, tcp + 2, (dp + 7 * c) & 0xffff or 1)
                pkt = bytes(b)
            out.append(hdr + pkt)
    open(dst, "wb").write(b"".join(out))


def cpu_of(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), p.stdout


def main():
    exe, src = sys.argv[1], sys.argv[2]
    copies = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    big = src + ".bench.pcap"
    replicate(src, big, copies)
    try:
        t_sc, out = cpu_of([exe, "inspect", big, "--json"])
        import json
        msgs = len(json.loads(out)["messages"])
        t_ts, _ = cpu_of(["tshark", "-r", big, "-Y", "tls.handshake", "-T", "fields",
                          "-e", "frame.number", "-e", "tls.handshake.type",
                          "-e", "tls.handshake.session_id",
                          "-e", "tls.handshake.extensions_server_name",
                          "-e", "tls.handshake.extensions_alpn_str",
                          "-e", "tls.handshake.extensions.psk.identity.identity"])
        size = os.path.getsize(big)
        print(f"{size / 1e6:.1f} MB, {msgs} handshake messages")
        print(f"splicectl inspect: {t_sc:.2f} s CPU, {msgs / t_sc:,.0f} msgs/s")
        print(f"tshark:            {t_ts:.2f} s CPU, {msgs / t_ts:,.0f} msgs/s")
        print(f"ratio tshark/splicectl CPU: {t_ts / t_sc:.1f}")
    finally:
        os.unlink(big)


if __name__ == "__main__":
    main()
