#!/usr/bin/env python3
"""badhello.py: a client that sends bad, odd or no ClientHellos to a TLS VIP.

    badhello.py HOST PORT CASE [--ca FILE] [--sni NAME] [--wait SECS]

Prints one line "CASE OUTCOME DETAIL" and exits 0 when the connection ended
in a way a client can live with (see OUTCOMES), 1 otherwise:

    answered N      the peer sent N bytes (an alert, an HTTP 400...) and
                    closed or kept quiet afterwards
    closed          orderly close (FIN) without data
    reset           the connection was reset (RST)
    silent          nothing at all within --wait seconds (only acceptable for
                    cases that themselves send nothing usable: nothing,
                    truncated, zerolen; a server waits for the rest too)
    served TEXT     for 'split1': the whole TLS handshake completed over
                    1-byte segments and "/" answered TEXT
    refused/timeout connect() failed: never acceptable (exit 1)

CASES
    truncated   a valid record header and hello, cut after 60 of its bytes,
                then silence (the dispatcher must give up waiting)
    truncfin    as truncated, then FIN
    oversized   a record header claiming 0xffff bytes (> 2^14 + 2048, which
                RFC 8446 forbids), followed by that many bytes
    biglen      a handshake header claiming a 0xfffff-byte ClientHello
                inside a small record
    wronglen    the hello's inner lengths (session ID, ciphers, extensions)
                point past the end of the hello
    zerolen     a record of length 0
    nottls      "GET / HTTP/1.0": plain HTTP to the TLS port
    garbage     4 KB of random bytes
    nothing     connect and send nothing
    split1      a real ClientHello (Python's ssl module) sent one byte per
                segment with TCP_NODELAY and 2 ms gaps, then the handshake
                completed and "GET /" sent: must be served
"""
import argparse
import os
import socket
import ssl
import struct
import sys
import time


def real_hello(ctx, sni):
    """Returns (sslobject, incoming BIO, outgoing BIO, first flight bytes)."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return obj, inc, out, out.read()


def hs_record(body):
    return b"\x16\x03\x01" + struct.pack(">H", len(body)) + body


def wronglen_hello(hello):
    """A copy of a real hello with its session-ID length byte claiming more
    bytes than the rest of the hello holds."""
    rec = bytearray(hello)
    # record(5) + handshake header(4) + version(2) + random(32) -> sid len
    rec[5 + 4 + 2 + 32] = 0xFF
    return bytes(rec)


def outcome(sock, wait):
    """Reads until close, reset or `wait` seconds of silence."""
    sock.settimeout(wait)
    got = 0
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                return ("answered %d" % got) if got else "closed"
            got += len(b)
    except ConnectionResetError:
        return ("answered %d" % got) if got else "reset"
    except socket.timeout:
        return ("answered %d" % got) if got else "silent"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("case")
    ap.add_argument("--ca")
    ap.add_argument("--sni", default="splicekit.test")
    ap.add_argument("--wait", type=float, default=5.0)
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if a.ca:
        ctx.load_verify_locations(a.ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    obj, inc, out, hello = real_hello(ctx, a.sni)

    try:
        s = socket.create_connection((a.host, a.port), timeout=5)
    except OSError as e:
        print(a.case, "refused" if isinstance(e, ConnectionRefusedError) else "timeout", e)
        return 1
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ok_silent = a.case in ("nothing", "truncated", "zerolen")

    c = a.case
    if c in ("truncated", "truncfin"):
        s.sendall(hello[:60])
        if c == "truncfin":
            s.shutdown(socket.SHUT_WR)
    elif c == "oversized":
        s.sendall(b"\x16\x03\x01\xff\xff" + b"\x01" + os.urandom(0xffff - 1))
    elif c == "biglen":
        s.sendall(hs_record(b"\x01\x0f\xff\xff" + hello[9:]))
    elif c == "wronglen":
        s.sendall(wronglen_hello(hello))
    elif c == "zerolen":
        s.sendall(b"\x16\x03\x01\x00\x00")
    elif c == "nottls":
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    elif c == "garbage":
        s.sendall(os.urandom(4096))
    elif c == "nothing":
        pass
    elif c == "split1":
        for i in range(len(hello)):
            s.send(hello[i:i + 1])
            time.sleep(0.002)
        s.settimeout(a.wait)
        try:
            while True:
                try:
                    obj.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    pending = out.read()
                    if pending:
                        s.sendall(pending)
                    b = s.recv(65536)
                    if not b:
                        print(c, "closed", "during the handshake")
                        return 1
                    inc.write(b)
            s.sendall(out.read())
            obj.write(b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % a.sni.encode())
            s.sendall(out.read())
            body = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                inc.write(b)
                try:
                    while True:
                        chunk = obj.read(65536)
                        if not chunk:
                            break
                        body += chunk
                except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                    pass
        except (OSError, ssl.SSLError) as e:
            print(c, "failed", repr(e))
            return 1
        text = body.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
        print(c, "served", text, "hello", len(hello), "bytes", obj.version())
        return 0 if text.startswith("srv") else 1
    else:
        print(c, "unknown-case")
        return 2

    r = outcome(s, a.wait)
    s.close()
    print(c, r)
    return 0 if (r != "silent" or ok_silent) else 1


if __name__ == "__main__":
    sys.exit(main())
