#!/usr/bin/env python3
"""Writes the seed corpus for tests/fuzz/fuzz_nat.c into seeds/nat/:
short TCP conversations through the fuzz config's services (IPv4 with
source NAT, IPv6 transparent), in fuzz_nat's record format
[ctl][len hi][len lo][frame]. Checksums are computed, so the seeds pass
the checksum policy and reach the rewrite."""
import os, sys

from seedlib import tcp, rec, IP_VALID

S, A, F, R, P = 0x02, 0x10, 0x01, 0x04, 0x08
C4, V4, B4, N4 = "10.0.1.2", "10.0.100.1", "10.0.11.2", "10.0.200.1"
C6, V6, B6 = "fd00:1::2", "fd00:100::1", "fd00:11::2"
seeds = {
    "v4_snat_conversation": b"".join([
        rec(tcp(C4, V4, 40000, 80, 100, 0, S)),
        rec(tcp(B4, N4, 8080, 40000, 900, 101, S | A)),
        rec(tcp(C4, V4, 40000, 80, 101, 901, A)),
        rec(tcp(C4, V4, 40000, 80, 101, 901, A | P, b"GET / HTTP/1.1\r\n\r\n")),
        rec(tcp(B4, N4, 8080, 40000, 901, 119, A | P | F, b"HTTP/1.1 200 OK\r\n\r\n")),
        rec(tcp(C4, V4, 40000, 80, 119, 921, A | F)),
        rec(tcp(B4, N4, 8080, 40000, 921, 120, A)),
    ]),
    "v6_transparent_rst": b"".join([
        rec(tcp(C6, V6, 50000, 443, 7, 0, S)),
        rec(tcp(B6, C6, 443, 50000, 70, 8, S | A)),
        rec(tcp(C6, V6, 50000, 443, 8, 71, R)),
    ]),
    "v4_super_packet": b"".join([
        rec(tcp(C4, V4, 40002, 80, 1, 0, S)),
        rec(tcp(C4, V4, 40002, 80, 2, 1, A | P, b"x" * 1600), IP_VALID | 0x20),
    ]),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "nat")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("wrote %d seeds to %s" % (len(seeds), out), file=sys.stderr)
