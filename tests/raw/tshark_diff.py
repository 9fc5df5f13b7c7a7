#!/usr/bin/env python3
"""Differential test: raw/'s view of every frame of a capture (rawdump)
against tshark's dissection of the same file. Exit 0 when every TCP frame
agrees on every field, 1 otherwise (mismatches printed).

    tshark_diff.py RAWDUMP FILE.pcap
"""
import subprocess
import sys

FIELDS = ["frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.ttl",
          "ipv6.hlim", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
          "tcp.ack_raw", "tcp.flags", "tcp.window_size_value", "tcp.hdr_len",
          "tcp.len", "tcp.options.mss_val", "tcp.options.wscale.shift",
          "tcp.options.sack_perm", "tcp.options.timestamp.tsval",
          "tcp.options.timestamp.tsecr", "tcp.options.sack_le",
          "tcp.options.sack_re", "tcp.checksum.status", "ip.flags.mf",
          "ip.frag_offset"]


def main():
    rawdump, pcap = sys.argv[1], sys.argv[2]
    ts = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-o", "tcp.relative_sequence_numbers:FALSE",
         "-o", "tcp.check_checksum:TRUE", "-o", "tcp.analyze_sequence_numbers:FALSE",
         "-T", "fields", "-E", "separator=|", "-E", "occurrence=a",
         "-E", "aggregator=,"] + sum([["-e", f] for f in FIELDS], []),
        check=True, capture_output=True, text=True).stdout.splitlines()
    ours = subprocess.run([rawdump, pcap], check=True, capture_output=True,
                          text=True).stdout.splitlines()
    if len(ts) != len(ours):
        print("frame count differs: tshark %d, rawdump %d" % (len(ts), len(ours)))
        return 1
    bad = tcp = 0
    for t_line, o_line in zip(ts, ours):
        t = dict(zip(FIELDS, t_line.split("|")))
        o = o_line.split("|")
        n = t["frame.number"]
        if t["tcp.srcport"] == "":
            continue  # tshark saw no TCP; nothing to compare
        tcp += 1
        if o[1] != "ok":
            print("frame %s: tshark dissects TCP, raw/ says %s" % (n, o[1]))
            bad += 1
            continue
        want = [t["ipv6.src"] or t["ip.src"], t["ipv6.dst"] or t["ip.dst"],
                t["ipv6.hlim"] or t["ip.ttl"], t["tcp.srcport"], t["tcp.dstport"],
                t["tcp.seq_raw"], t["tcp.ack_raw"],
                "0x%02x" % (int(t["tcp.flags"], 16) & 0xFF),
                t["tcp.window_size_value"], t["tcp.hdr_len"], t["tcp.len"],
                t["tcp.options.mss_val"], t["tcp.options.wscale.shift"],
                "1" if t["tcp.options.sack_perm"] else "0",
                t["tcp.options.timestamp.tsval"], t["tcp.options.timestamp.tsecr"],
                t["tcp.options.sack_le"], t["tcp.options.sack_re"],
                "1" if t["tcp.checksum.status"] == "1" else "0"]
        names = ["src", "dst", "ttl", "sport", "dport", "seq", "ack", "flags",
                 "win", "thl", "paylen", "mss", "ws", "sack_perm", "tsval",
                 "tsecr", "sack_le", "sack_re", "csum_ok"]
        for name, w, g in zip(names, want, o[2:]):
            if w != g:
                print("frame %s: %s tshark=%r raw/=%r" % (n, name, w, g))
                bad += 1
    print("%d TCP frames compared, %d field mismatches" % (tcp, bad))
    return 1 if bad or tcp == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
