#!/usr/bin/env python3
"""One-to-one SCTP echo, to prove the guest kernel's SCTP works end to end.

  sctp_echo.py server ADDR PORT         serve one client, echo what it sends
  sctp_echo.py client ADDR PORT FILE    send FILE (8-byte length first), read
                                        the echo back, print its sha256 and
                                        the association's line of
                                        /proc/net/sctp/assocs while it is up

SCTP has no half-close, so the length prefix tells the server when to stop.
"""
import hashlib
import socket
import struct
import sys


def recv_exact(s, n):
    parts = []
    while n:
        b = s.recv(min(n, 1 << 16))
        if not b:
            raise EOFError("peer closed with %d bytes missing" % n)
        parts.append(b)
        n -= len(b)
    return b"".join(parts)


def server(addr, port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    ls.settimeout(60)
    s, _ = ls.accept()
    s.settimeout(60)
    (n,) = struct.unpack("!Q", recv_exact(s, 8))
    left = n
    while left:
        b = s.recv(min(left, 1 << 16))
        if not b:
            raise EOFError("client closed early")
        s.sendall(b)
        left -= len(b)
    # Wait for the client to close first, so it can read the assocs table.
    s.recv(1)
    s.close()


def client(addr, port, path):
    data = open(path, "rb").read()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    s.settimeout(60)
    s.connect((addr, port))
    lport = s.getsockname()[1]
    s.sendall(struct.pack("!Q", len(data)))
    h = hashlib.sha256()
    got = 0
    # Send and receive in steps so neither side's buffers fill up.
    step = 1 << 16
    for off in range(0, len(data), step):
        chunk = data[off:off + step]
        s.sendall(chunk)
        b = recv_exact(s, len(chunk))
        h.update(b)
        got += len(b)
    assoc = ""
    with open("/proc/net/sctp/assocs") as f:
        for line in f:
            cols = line.split()
            if len(cols) > 12 and cols[11] == str(lport) and cols[12] == str(port):
                assoc = " ".join(cols)
    s.close()
    print("sha256", h.hexdigest(), "bytes", got)
    print("assoc", assoc or "none")


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4])
