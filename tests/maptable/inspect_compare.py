#!/usr/bin/env python3
"""Cross-checks `splicectl inspect --json` against tshark on one capture.

usage: inspect_compare.py SPLICECTL CAPTURE.pcap

1. For every frame that carries a plaintext TLS handshake message, tshark's
   dissection and splicectl's must agree on: tcp stream, handshake types,
   versions (legacy and supported_versions), session IDs, SNI, client ALPN
   lists, the ClientHello session_ticket extension length, NewSessionTicket
   length and first bytes, PSK identity lengths and first bytes.
2. The capture must contain every scenario the test means to cover, so the
   comparison cannot pass on an empty or partial capture.
3. The same capture converted to pcapng, and rewritten as Linux cooked v2,
   must decode identically; repeated with every 4-tuple reused by later
   connections, it must still match tshark stream by stream.
4. The capture is rewritten with each ClientHello's first segment split in
   three, sent out of order, overlapping and duplicated; splicectl must
   decode exactly the same messages from it.
Prints what differs and exits 1 on any difference.
"""
import json
import struct
import subprocess
import sys

FIELDS = [
    "frame.number", "tcp.stream", "tls.handshake.type", "tls.handshake.version",
    "tls.handshake.extensions.supported_version", "tls.handshake.session_id",
    "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
    "tls.handshake.extension.type", "tls.handshake.extension.len",
    "tls.handshake.session_ticket_length", "tls.handshake.session_ticket",
    "tls.handshake.extensions.psk.identity.identity",
    "tls.handshake.extensions.psk.identity.identity_length",
]


def run_splicectl(exe, pcap, *opts):
    p = subprocess.run([exe, "inspect", pcap, "--json", *opts], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"splicectl inspect {pcap} exited {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


def ints(v):
    return [int(x, 0) for x in v]


def tshark_view(pcap):
    cmd = ["tshark", "-r", pcap, "-Y", "tls.handshake.type", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    frames = {}
    for line in out.splitlines():
        cols = [c.split("|") if c else [] for c in line.split("\t")]
        cols += [[]] * (len(FIELDS) - len(cols))
        f = dict(zip(FIELDS, cols))
        num = int(f["frame.number"][0])
        exts = list(zip(ints(f["tls.handshake.extension.type"]),
                        ints(f["tls.handshake.extension.len"])))
        frames[num] = {
            "stream": int(f["tcp.stream"][0]),
            "types": ints(f["tls.handshake.type"]),
            "versions": ints(f["tls.handshake.version"]),
            "supported_versions": ints(f["tls.handshake.extensions.supported_version"]),
            "session_ids": [s for s in f["tls.handshake.session_id"] if s],
            "sni": f["tls.handshake.extensions_server_name"],
            "alpn": f["tls.handshake.extensions_alpn_str"],
            "ticket_ext_len": [n for t, n in exts if t == 35],
            "nst_len": ints(f["tls.handshake.session_ticket_length"]),
            "nst": list(f["tls.handshake.session_ticket"]),
            "psk_len": ints(f["tls.handshake.extensions.psk.identity.identity_length"]),
            "psk": list(f["tls.handshake.extensions.psk.identity.identity"]),
        }
    return frames


def splicectl_view(doc):
    frames = {}
    for m in doc["messages"]:
        v = frames.setdefault(m["frame"], {
            "stream": m["stream"], "dir": m["dir"], "types": [], "versions": [],
            "supported_versions": [], "session_ids": [], "sni": [], "alpn": [],
            "ticket_ext_len": [], "nst_len": [], "nst": [], "psk_len": [],
            "psk": []})
        v["types"].append(m["type_id"])
        if m["type"] == "client_hello" and "legacy_version" in m:
            v["versions"].append(int(m["legacy_version"], 0))
            v["supported_versions"] += ints(m.get("supported_versions", []))
            if m["session_id"]:
                v["session_ids"].append(m["session_id"])
            if "sni" in m:
                v["sni"].append(m["sni"])
            v["alpn"] += m.get("alpn", [])
            if "ticket" in m:
                v["ticket_ext_len"].append(m["ticket"]["len"])
            for p in m.get("psk_identities", []):
                v["psk_len"].append(p["len"])
                v["psk"].append(p["identity"])
        elif m["type"] == "server_hello" and "legacy_version" in m:
            v["versions"].append(int(m["legacy_version"], 0))
            # supported_versions is only on the wire when it differs from
            # legacy_version (TLS 1.3 ServerHello and HRR).
            if m["version"] != m["legacy_version"]:
                v["supported_versions"].append(int(m["version"], 0))
            if m["session_id"]:
                v["session_ids"].append(m["session_id"])
        elif m["type"] == "new_session_ticket" and "ticket" in m:
            v["nst_len"].append(m["ticket"]["len"])
            v["nst"].append(m["ticket"]["bytes"])
    return frames


def compare(pcap, doc):
    ts, sc = tshark_view(pcap), splicectl_view(doc)
    bad = 0
    for num in sorted(set(ts) | set(sc)):
        if num not in sc:
            print(f"frame {num}: tshark sees {ts[num]['types']}, splicectl nothing")
            bad += 1
            continue
        if num not in ts:
            print(f"frame {num}: splicectl sees {sc[num]['types']}, tshark nothing")
            bad += 1
            continue
        t, s = ts[num], sc[num]
        if s["dir"] == "s2c":
            # splicectl does not decode the server's ALPN choice or its
            # empty session_ticket acknowledgement.
            t = dict(t, alpn=[], ticket_ext_len=[])
        for k in t:
            if t[k] != s[k]:
                print(f"frame {num} {k}: tshark {t[k]!r} splicectl {s[k]!r}")
                bad += 1
    print(f"compared {len(ts)} frames with handshake messages "
          f"({sum(len(v['types']) for v in ts.values())} messages): {bad} differences")
    return bad


def coverage(doc):
    """The scenarios the capture must contain; names what is missing."""
    msgs = doc["messages"]
    ch = [m for m in msgs if m["type"] == "client_hello" and "legacy_version" in m]
    sh = [m for m in msgs if m["type"] == "server_hello" and "legacy_version" in m]
    need = {
        "TLS 1.2 session-ID resumption (resumed, key == learned key)": any(
            s["resumed"] and s["version"] == "0x0303" and s["learn_key"]
            and any(c["stream"] == s["stream"] and c["routing_key"]
                    and c["routing_key"]["bytes"] == s["learn_key"]["bytes"] for c in ch)
            for s in sh),
        "TLS 1.2 NewSessionTicket": any(m["type"] == "new_session_ticket" and "ticket" in m
                                        and m["ticket"]["len"] > 0 for m in msgs),
        "TLS 1.2 ticket offered in ClientHello": any(c.get("ticket", {}).get("len", 0) > 0
                                                     for c in ch),
        "TLS 1.3 PSK resumption": any(s["version"] == "0x0304" and s["resumed"] for s in sh)
        and any(c.get("psk_identities") for c in ch),
        "TLS 1.3 HelloRetryRequest then a second ClientHello": any(
            s["hello_retry_request"] for s in sh) and any(
            sum(1 for c in ch if c["stream"] == s["stream"]) == 2 for s in sh),
        "SNI": any("sni" in c for c in ch),
        "ALPN": any(c.get("alpn") for c in ch),
        "ClientHello over 1280 bytes (several segments)": any(
            sum(len(a) + 1 for a in c.get("alpn", [])) > 1280 for c in ch),
        "IPv6 flow": any(c["flow"].startswith("[::1]:") for c in ch),
        "no notes": not doc["notes"],
    }
    bad = [k for k, ok in need.items() if not ok]
    for k in bad:
        print(f"capture lacks: {k}")
    if doc["notes"]:
        print("notes:", doc["notes"])
    return len(bad)


def mangle(src, dst):
    """Splits each ClientHello's first segment into 3 overlapping pieces and
    writes them out of order with a duplicate. Checksums are left stale:
    neither splicectl nor this comparison verifies them."""
    data = open(src, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic != 0xa1b2c3d4:
        sys.exit(f"{src}: expected a little-endian microsecond pcap")
    if struct.unpack("<I", data[20:24])[0] != 1:
        sys.exit(f"{src}: expected Ethernet link type")
    out = [data[:24]]
    off, split = 24, 0
    while off < len(data):
        ts, tu, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        pieces = [pkt]
        if len(pkt) > 14 + 20 and pkt[12:14] == b"\x08\x00" and pkt[23] == 6:
            ihl = (pkt[14] & 15) * 4
            tcp = 14 + ihl
            doff = (pkt[tcp + 12] >> 4) * 4
            pay = pkt[tcp + doff:14 + struct.unpack(">H", pkt[16:18])[0]]
            if len(pay) > 60 and pay[0] == 0x16 and pay[5] == 1:
                seq = struct.unpack(">I", pkt[tcp + 4:tcp + 8])[0]
                a, b = len(pay) // 3, 2 * len(pay) // 3
                parts = [(0, a), (a - 5, b), (b, len(pay))]

                def seg(lo, hi):
                    ip = bytearray(pkt[14:tcp + doff])
                    struct.pack_into(">H", ip, 2, ihl + doff + hi - lo)
                    struct.pack_into(">I", ip, ihl + 4, (seq + lo) & 0xffffffff)
                    return pkt[:14] + bytes(ip) + pay[lo:hi]
                p0, p1, p2 = (seg(*x) for x in parts)
                pieces = [p2, p0, p0, p1]
                split += 1
        for p in pieces:
            out.append(struct.pack("<IIII", ts, tu, len(p), len(p)) + p)
    open(dst, "wb").write(b"".join(out))
    return split


def prefix_routing(exe, pcap, doc):
    """With the server's ticket key name configured as a prefix, TLS 1.2
    ticket and TLS 1.3 PSK resumptions must route straight to that backend,
    as spliced would with the same prefix in its config."""
    nst = [m for m in doc["messages"] if m["type"] == "new_session_ticket" and "ticket" in m]
    if not nst:
        print("no NewSessionTicket to take a key name from")
        return 1
    name = nst[0]["ticket"]["bytes"][:32]  # RFC 5077 key_name: first 16 bytes
    doc2 = run_splicectl(exe, pcap, "--ticket-prefix", name + "=3")
    routed = {m["routing_key"]["kind"] for m in doc2["messages"]
              if m["type"] == "client_hello" and m.get("routing_key")
              and m["routing_key"]["backend"] == 3}
    print(f"--ticket-prefix {name}=3 routes: {sorted(routed)}")
    return 0 if routed == {"ticket", "psk"} else 1


def to_sll2(src, dst):
    """Rewrites an Ethernet capture as Linux cooked v2 (what `tcpdump -i
    any` writes on newer systems): 20-byte header instead of 14."""
    data = open(src, "rb").read()
    out = [data[:20] + struct.pack("<I", 276)]
    off = 24
    while off < len(data):
        ts, tu, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        sll = pkt[12:14] + b"\0\0" + struct.pack(">IHBB", 1, 772, 0, 6) + pkt[6:12] + b"\0\0"
        p = sll + pkt[14:]
        out.append(struct.pack("<IIII", ts, tu, len(p), orig + 6) + p)
    open(dst, "wb").write(b"".join(out))


def port_reuse(src, dst, copies=3):
    """Appends the capture to itself with the same addresses and ports but
    new sequence numbers: each copy is a later connection reusing every
    4-tuple, as a busy client does."""
    data = open(src, "rb").read()
    out = [data[:24]]
    for c in range(copies):
        off = 24
        while off < len(data):
            hdr = data[off:off + 16]
            incl = struct.unpack("<I", hdr[8:12])[0]
            pkt = bytearray(data[off + 16:off + 16 + incl])
            off += 16 + incl
            tcp = None
            if len(pkt) > 38 and pkt[12:14] == b"\x08\x00" and pkt[23] == 6:
                tcp = 14 + (pkt[14] & 15) * 4
            elif len(pkt) > 74 and pkt[12:14] == b"\x86\xdd" and pkt[20] == 6:
                tcp = 14 + 40
            if tcp is not None:
                for o in (4, 8):  # seq and ack move together
                    v = struct.unpack_from(">I", pkt, tcp + o)[0]
                    struct.pack_into(">I", pkt, tcp + o, (v + c * 0x10000000) & 0xffffffff)
            out.append(hdr + bytes(pkt))
    open(dst, "wb").write(b"".join(out))


def strip_frames(doc):
    return [{k: v for k, v in m.items() if k != "frame"} for m in doc["messages"]]


def main():
    exe, pcap = sys.argv[1], sys.argv[2]
    doc = run_splicectl(exe, pcap)
    bad = compare(pcap, doc)
    bad += coverage(doc)
    mangled = pcap + ".mangled.pcap"
    n = mangle(pcap, mangled)
    doc2 = run_splicectl(exe, mangled)
    same = strip_frames(doc) == strip_frames(doc2) and not doc2["notes"]
    print(f"reordered/overlapped/duplicated {n} ClientHello segments: "
          f"{'same decode' if same else 'DIFFERENT decode'}")
    if not same or n < 8:
        bad += 1
    bad += prefix_routing(exe, pcap, doc)
    reuse = pcap + ".reuse.pcap"
    port_reuse(pcap, reuse)
    doc_r = run_splicectl(exe, reuse)
    print("same 4-tuples reused by 3 later connections:")
    bad += compare(reuse, doc_r)
    if len(doc_r["messages"]) != 3 * len(doc["messages"]) or doc_r["notes"]:
        print(f"port reuse: {len(doc_r['messages'])} messages, want 3 x {len(doc['messages'])}")
        bad += 1
    sll2 = pcap + ".sll2.pcap"
    to_sll2(pcap, sll2)
    same_sll2 = run_splicectl(exe, sll2)["messages"] == doc["messages"]
    print(f"Linux cooked v2 copy: {'same decode' if same_sll2 else 'DIFFERENT decode'}")
    if not same_sll2:
        bad += 1
    ng = pcap + ".pcapng"
    subprocess.run(["editcap", "-F", "pcapng", pcap, ng], check=True)
    same_ng = run_splicectl(exe, ng)["messages"] == doc["messages"]
    print(f"pcapng copy: {'same decode' if same_ng else 'DIFFERENT decode'}")
    if not same_ng:
        bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
