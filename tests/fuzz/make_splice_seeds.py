#!/usr/bin/env python3
"""Writes the seed corpus for tests/fuzz/fuzz_splice.c into seeds/splice/:
whole splice-mode conversations (client handshake, a ClientHello in one
and in several segments, the backend leg, data both ways, FIN and RST),
in fuzz_splice's record format [ctl][op][len hi][len lo][frame]. op bit 0
makes the harness add our last SYN-ACK ISN to the ack field (the fuzzer
cannot know it), bit 1 runs the timers 300 ms later."""
import os, struct, sys

from seedlib import tcp

S, A, F, R, P = 0x02, 0x10, 0x01, 0x04, 0x08
C4, V4, B4, B4b, N4 = "10.0.1.2", "10.0.100.1", "10.0.11.2", "10.0.12.2", "10.0.200.1"
C6, V6, B6 = "fd00:1::2", "fd00:100::1", "fd00:11::2"
IP_VALID = 0x02 | 0x08
REL, TIMER = 1, 2

def rec(frame, op=0, ctl=IP_VALID):
    return bytes([ctl, op]) + struct.pack("!H", len(frame)) + frame

SYNOPT = bytes([2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7])
TS = lambda v, e: bytes([1, 1, 8, 10]) + struct.pack("!II", v, e)

def hello(sid=b"\x11" * 32):
    body = b"\x03\x03" + b"\x42" * 32 + bytes([len(sid)]) + sid + b"\x00\x02\x00\x2f\x01\x00"
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs

def server_hello(sid=b"\x11" * 32):
    body = b"\x03\x03" + b"\x24" * 32 + bytes([len(sid)]) + sid + b"\x00\x2f\x00"
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs + b"\x14\x03\x03\x00\x01\x01"

def conversation(c, v, b, back, cport=40000, vport=443, split=None, first=None):
    h = first or hello()
    n = len(h)
    pieces = [h] if not split else [h[i:i + split] for i in range(0, n, split)]
    out = [rec(tcp(c, v, cport, vport, 100, 0, S, opts=SYNOPT)),
           rec(tcp(c, v, cport, vport, 101, 1, A, opts=TS(2, 0)), REL)]
    off = 0
    for p in pieces:
        out.append(rec(tcp(c, v, cport, vport, 101 + off, 1, A | P, p, TS(3, 0)), REL))
        off += len(p)
    sh = server_hello()
    out += [rec(tcp(b, back, 8443, cport, 900, 101, S | A, opts=SYNOPT)),
            rec(tcp(b, back, 8443, cport, 901, 101 + n, A | P, sh, TS(5, 3))),
            rec(tcp(c, v, cport, vport, 101 + n, 1 + len(sh), A, opts=TS(4, 9)), REL),
            rec(tcp(c, v, cport, vport, 101 + n, 1 + len(sh), A | F), REL),
            rec(tcp(b, back, 8443, cport, 901 + len(sh), 102 + n, A | F)),
            rec(tcp(c, v, cport, vport, 102 + n, 2 + len(sh), A), REL)]
    return b"".join(out)

seeds = {
    "v4_snat_tls": conversation(C4, V4, B4, N4),
    "v4_snat_tls_1byte": conversation(C4, V4, B4, N4, cport=40001, split=1),
    "v6_transparent_tls": conversation(C6, V6, B6, C6, vport=443),
    # the v6 service has content pools: an HTTP head matching pool a's
    # rule, in 1-byte segments, goes to pool a's backend
    "v6_pool_http_1byte": conversation(C6, V6, "fd00:12::2", C6, cport=40010, split=1,
        first=b"GET /a/x HTTP/1.1\r\nHost: h\r\nCookie: k=v\r\n\r\n"),
    "v4_silent_then_timer": b"".join([
        rec(tcp(C4, V4, 40002, 443, 7, 0, S)),
        rec(tcp(C4, V4, 40002, 443, 8, 1, A), REL),
        rec(b"", TIMER), rec(b"", TIMER), rec(b"", TIMER), rec(b"", TIMER),
        rec(tcp(B4, N4, 8443, 40002, 70, 8, R | A)),
        rec(b"", TIMER), rec(b"", TIMER), rec(b"", TIMER), rec(b"", TIMER),
    ]),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "splice")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("wrote %d seeds to %s" % (len(seeds), out), file=sys.stderr)
