#!/usr/bin/env python3
"""Writes tests/dispatcher/splice_syn_golden.h: the exact SYN-ACK bytes
splice_syn must send for real Linux SYNs, computed without splicekit's code.

  tests/dispatcher/splice_syn_golden_gen.py > tests/dispatcher/splice_syn_golden.h

Inputs (raw IP, hex):
  * v4-full, v6-full: the SYN / SYN-ACK pairs of tests/raw/golden_pkts.h
    frames 1-2 and 13-14 (curl -> python http.server across a veth pair,
    captured by tests/raw/capture-golden.sh; Ethernet header stripped).
  * v4-bare, v6-ts: captured by tests/dispatcher/splice_syn_capture.sh
    (socat connects with the client's timestamps / SACK / window scaling
    switched off per namespace).
For each SYN, with the fixed key and clock below and our side's MSS, window
scale, window, TSval and TTL taken from the kernel's own SYN-ACK to that SYN:
  * the ISN is SipHash-2-4 from `openssl mac ... SIPHASH` (OpenSSL's
    implementation, not ours) over the 52-byte message documented in
    dispatcher/splice/syn/splice_syn_int.h; the cookie ISN likewise, with the option
    bits of dispatcher/splice/syn/splice_cookie.c;
  * the SYN-ACK is packed here by hand in Linux's option layout
    (tcp_options_write: MSS, SACK-perm+TS or NOP NOP TS or NOP NOP
    SACK-perm, NOP WS), IPv4 with DF and ID 0, IPv6 with flow label 0, and
    both checksums computed here;
  * tshark then dissects the expected bytes (with checksum checking on) and
    the script refuses to write the header unless tshark agrees on the
    checksums, seq/ack, window and every option; its output goes into the
    header as a comment.
"""
import struct, subprocess, sys, tempfile, os

KEY = b"0123456789abcdef"
NOW_S = 1_000_000          # slot 15625
SLOT = NOW_S // 64
MSS_TAB = [536, 1220, 1300, 1380, 1420, 1440, 1460, 8960]

PAIRS = [
    ("v4-full",
     "4500003c350040004006f11f0a4d00010a4d0002cada1f90c1ba7b7d00000000a002faf0bb720000020405b40402080afd8357d6000000000103030a",
     "4500003c00004000400626200a4d00020a4d00011f90cada29ae0fc9c1ba7b7ea012fe880c750000020405b40402080a0c2a65b3fd8357d60103030a"),
    ("v6-full",
     "6004029e00280640fd000077000000000000000000000001fd000077000000000000000000000002c3b21f906331a8f600000000a002fd20ff220000020405a00402080a3834293c000000000103030a",
     "6008bd6e00280640fd000077000000000000000000000002fd0000770000000000000000000000011f90c3b22d62807a6331a8f7a012fb048daa0000020405a00402080a628b631b3834293c0103030a"),
    ("v4-bare",
     "4500002c710640004006b5270a4e00010a4e0002925020fb4a00db19000000006002fbe0b01d0000020404d8",
     "4500002c000040004006262e0a4e00020a4e000120fb9250ca43a66b4a00db1a6012fbe03f5d0000020404d8"),
    ("v6-ts",
     "6003055d00240640fd000078000000000000000000000001fd000078000000000000000000000002c7be20fbf3cee31e000000009002f474d0cf0000020422ec0101080a0533bcc300000000",
     "60077cc600240640fd000078000000000000000000000002fd00007800000000000000000000000120fbc7becd4abebff3cee31f9012f4203eaf0000020422ec0101080af26713f10533bcc3"),
]


def siphash(msg):
    with tempfile.NamedTemporaryFile() as f:
        f.write(msg)
        f.flush()
        out = subprocess.run(["openssl", "mac", "-macopt", "hexkey:" + KEY.hex(),
                              "-macopt", "size:8", "-in", f.name, "SIPHASH"],
                             check=True, capture_output=True, text=True).stdout.strip()
    return int.from_bytes(bytes.fromhex(out), "little")


def parse(ip):
    if ip[0] >> 4 == 4:
        fam, hl = 4, (ip[0] & 15) * 4
        src, dst, ttl = ip[12:16], ip[16:20], ip[8]
    else:
        fam, hl = 6, 40
        src, dst, ttl = ip[8:24], ip[24:40], ip[7]
    t = ip[hl:]
    sport, dport, seq, ack = struct.unpack_from(">HHII", t)
    doff = (t[12] >> 4) * 4
    win = struct.unpack_from(">H", t, 14)[0]
    o = dict(mss=0, ws=-1, sack=False, ts=False, tsval=0)
    i, opts = 0, t[20:doff]
    while i < len(opts):
        k = opts[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        ln = opts[i + 1]
        body = opts[i + 2:i + ln]
        if k == 2:
            o["mss"] = struct.unpack(">H", body)[0]
        elif k == 3:
            o["ws"] = min(body[0], 14)
        elif k == 4:
            o["sack"] = True
        elif k == 8:
            o["ts"] = True
            o["tsval"] = struct.unpack(">I", body[:4])[0]
        i += ln
    return dict(fam=fam, src=src, dst=dst, sport=sport, dport=dport, seq=seq,
                ack=ack, win=win, ttl=ttl, opts=o)


def msg(p, domain, extra, cisn):
    pad = lambda a: a + bytes(16 - len(a))
    fam = 2 if p["fam"] == 4 else 10          # AF_INET, AF_INET6
    return (pad(p["src"]) + pad(p["dst"]) + struct.pack(">HHBBH", p["sport"], p["dport"],
            fam, domain, extra) + struct.pack(">QI", SLOT, cisn))


def cookie_bits(o):
    mi = 0
    if o["mss"]:
        for i in range(len(MSS_TAB) - 1, 0, -1):
            if o["mss"] >= MSS_TAB[i]:
                mi = i
                break
    ws = 15 if o["ws"] < 0 else o["ws"]
    return mi | ws << 3 | int(o["sack"]) << 7 | int(o["ts"]) << 8


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def synack(syn, local, isn):
    c = syn["opts"]
    o = struct.pack(">BBH", 2, 4, local["mss"])
    if c["ts"]:
        o += (b"\x04\x02" if c["sack"] else b"\x01\x01") + struct.pack(">BBII", 8, 10, local["tsval"], c["tsval"])
    elif c["sack"]:
        o += b"\x01\x01\x04\x02"
    if c["ws"] >= 0:
        o += bytes([1, 3, 3, local["ws"]])
    seg = min(c["mss"] or 536, local["mss"])
    win = min(max(local["win"], 2 * seg), 65535)
    tcp = struct.pack(">HHIIBBHHH", syn["dport"], syn["sport"], isn, (syn["seq"] + 1) & 0xffffffff,
                      (20 + len(o)) // 4 << 4, 0x12, win, 0, 0) + o
    if syn["fam"] == 4:
        pseudo = syn["dst"] + syn["src"] + struct.pack(">BBH", 0, 6, len(tcp))
    else:
        pseudo = syn["dst"] + syn["src"] + struct.pack(">IxxxB", len(tcp), 6)
    tcp = tcp[:16] + struct.pack(">H", csum(pseudo + tcp)) + tcp[18:]
    if syn["fam"] == 4:
        ip = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(tcp), 0, 0x4000, local["ttl"], 6, 0) + syn["dst"] + syn["src"]
        ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
    else:
        ip = struct.pack(">IHBB", 6 << 28, len(tcp), 6, local["ttl"]) + syn["dst"] + syn["src"]
    return ip + tcp


def tshark_check(rows):
    """Dissects every expected packet; returns tshark's lines."""
    fields = ["frame.number", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.window_size_value",
              "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.sack_perm",
              "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr",
              "tcp.checksum.status", "ip.checksum.status"]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "x.pcap")
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
            for r in rows:
                f.write(struct.pack("<IIII", 0, 0, len(r["pkt"]), len(r["pkt"])) + r["pkt"])
        cmd = ["tshark", "-n", "-r", path, "-o", "tcp.check_checksum:TRUE",
               "-o", "ip.check_checksum:TRUE", "-o", "tcp.relative_sequence_numbers:FALSE",
               "-T", "fields", "-E", "separator=|"]
        for fl in fields:
            cmd += ["-e", fl]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()
    ver = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    assert len(out) == len(rows), out
    for r, line in zip(rows, out):
        v = line.split("|")
        syn, isn, loc = r["syn"], r["isn"], r["local"]
        c = syn["opts"]
        assert int(v[1]) == isn and int(v[2]) == (syn["seq"] + 1) & 0xffffffff, line
        assert v[3] == "0x0012", line
        assert int(v[4]) >= min(2 * min(c["mss"] or 536, loc["mss"]), 65535), line
        assert int(v[5]) == loc["mss"], line
        assert (v[6] != "") == (c["ws"] >= 0), line
        assert (v[7] != "") == c["sack"], line
        assert (v[8] != "") == c["ts"], line
        if c["ts"]:
            assert int(v[9]) == c["tsval"], line
        assert v[10] == "1", line                   # 1 = Good
        assert syn["fam"] == 6 or v[11] == "1", line
    return ver, fields, out


def main():
    rows = []
    for name, syn_hex, kern_hex in PAIRS:
        syn = parse(bytes.fromhex(syn_hex))
        kern = parse(bytes.fromhex(kern_hex))
        k = bytes.fromhex(kern_hex)
        local = dict(mss=kern["opts"]["mss"], ws=max(kern["opts"]["ws"], 0), win=kern["win"],
                     tsval=kern["opts"]["tsval"], ttl=kern["ttl"])
        for mode in ("isn", "cookie"):
            if mode == "isn":
                isn = siphash(msg(syn, 1, 0, 0)) & 0xffffffff
            else:
                bits = cookie_bits(syn["opts"])
                h = siphash(msg(syn, 2, bits, syn["seq"]))
                isn = ((h >> 32) << 9 | bits) & 0xffffffff
            rows.append(dict(name=name + "/" + mode, syn=syn, syn_hex=syn_hex, kern_hex=kern_hex,
                             mode=mode, isn=isn, local=local, pkt=synack(syn, local, isn)))
    ver, fields, out = tshark_check(rows)
    w = sys.stdout.write
    w("/* Generated by tests/dispatcher/splice_syn_golden_gen.py; do not edit.\n"
      " * Expected SYN-ACKs for real Linux SYNs, key \"%s\", clock %d s\n"
      " * (slot %d), ISNs from OpenSSL's SipHash, packets packed by the\n"
      " * script. Cross-checked by %s\n"
      " * (checksum status 1 = good; IPv6 has no header checksum):\n" % (KEY.decode(), NOW_S, SLOT, ver))
    w(" *   " + "|".join(f.replace("tcp.options.", "") for f in fields) + "\n")
    for line in out:
        w(" *   " + line + "\n")
    w(" */\n#define GOLDEN_NOW_S %du\nstatic const char golden_key[16] = \"%s\";\n\n" % (NOW_S, KEY.decode()))
    w("static const struct golden_synack golden[] = {\n")
    for r in rows:
        l = r["local"]
        w('\t{ .name = "%s", .cookie = %d, .isn = %uu,\n' % (r["name"], r["mode"] == "cookie", r["isn"]))
        w('\t  .local = { .mss = %d, .wscale = %d, .window = %d, .tsval = %uu, .ttl = %d },\n'
          % (l["mss"], l["ws"], l["win"], l["tsval"], l["ttl"]))
        w('\t  .syn = "%s",\n' % r["syn_hex"])
        w('\t  .kernel = "%s",\n' % r["kern_hex"])
        w('\t  .synack = "%s" },\n' % r["pkt"].hex())
    w("};\n")


main()
