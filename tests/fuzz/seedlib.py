"""TCP/IP frame builders shared by the seed-corpus scripts (checksums
computed, so seeds pass the checksum policy and reach the rewrite)."""
import socket, struct

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def tcp(src, dst, sp, dp, seq, ack, flags, payload=b"", opts=b""):
    v6 = ":" in src
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    s, d = socket.inet_pton(fam, src), socket.inet_pton(fam, dst)
    hdr = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, (5 + len(opts) // 4) << 4,
                      flags, 65535, 0, 0) + opts
    seg = hdr + payload
    if v6:
        pseudo = s + d + struct.pack("!IxxxB", len(seg), 6)
    else:
        pseudo = s + d + struct.pack("!xBH", 6, len(seg))
    c = csum(pseudo + seg)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    if v6:
        return struct.pack("!IHBB", 6 << 28, len(seg), 6, 64) + s + d + seg
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0x4000, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + seg

IP_VALID = 0x02 | 0x08  # link IP, RAW_FRAME_CSUM_VALID
def rec(frame, ctl=IP_VALID):
    return bytes([ctl]) + struct.pack("!H", len(frame)) + frame

