#!/usr/bin/env python3
"""A TCP-API client and server for checking the shim's SCTP paths.

Both sides use ordinary TCP sockets (socket.socket(), SOCK_CLOEXEC as Python
makes them); run under withsplice they become SCTP. The client exercises
what SCTP breaks for TCP programs: one send larger than the send buffer,
zero-length send, sendmsg with several buffers, sendfile, TCP_CORK,
TCP_NODELAY, keepalive options, TCP_INFO, and checks SO_PROTOCOL itself.
Framing is a length prefix because SCTP has no half-close.

  ws_sctp_peer.py server PORT            serve one client, print its sha256
  ws_sctp_peer.py client PORT FILE       send FILE, check the echoed sha256
"""
import hashlib
import os
import socket
import struct
import sys

SO_PROTOCOL = getattr(socket, "SO_PROTOCOL", 38)


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        b = s.recv(min(1 << 20, n - len(buf)))
        if not b:
            raise SystemExit("peer closed after %d of %d bytes" % (len(buf), n))
        buf += b
    return bytes(buf)


def server(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    print("listening", flush=True)
    c, _ = ls.accept()
    print("server proto", c.getsockopt(socket.SOL_SOCKET, SO_PROTOCOL), flush=True)
    n = struct.unpack("!Q", recv_exact(c, 8))[0]
    h = hashlib.sha256()
    left = n
    while left:
        b = c.recv(min(1 << 20, left))
        if not b:
            raise SystemExit("short payload")
        h.update(b)
        left -= len(b)
    c.sendall(h.hexdigest().encode())
    c.close()
    print("server got", n, "bytes", flush=True)


def client(port, path):
    data = open(path, "rb").read()
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 4)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 3)
    s.connect(("127.0.0.1", port))
    proto = s.getsockopt(socket.SOL_SOCKET, SO_PROTOCOL)
    print("client proto", proto, flush=True)
    # Options with no SCTP counterpart must succeed harmlessly.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK) == 1, "TCP_CORK not kept"
    assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1, "TCP_NODELAY lost"
    s.sendall(struct.pack("!Q", len(data)))
    q = len(data) // 4
    assert s.send(b"") == 0, "zero-length send"
    s.sendall(data[:2 * q])                       # far larger than SO_SNDBUF/2
    s.sendmsg([data[2 * q:2 * q + 7], data[2 * q + 7:3 * q]])
    with open(path, "rb") as f:
        off, end = 3 * q, len(data)
        while off < end:
            n = os.sendfile(s.fileno(), f.fileno(), off, end - off)
            assert n > 0, "sendfile returned 0"
            off += n
    # Still corked: the last byte is held back, so the server is still
    # waiting and the association surely up.
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    print("client tcp_info state", info[0], flush=True)
    assert info[0] == 1, "TCP_INFO state is not ESTABLISHED"
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
    got = recv_exact(s, 64).decode()
    want = hashlib.sha256(data).hexdigest()
    assert got == want, "sha256 differs: %s != %s" % (got, want)
    print("client sha256 ok", len(data), "bytes", flush=True)
    s.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]))
    else:
        client(int(sys.argv[2]), sys.argv[3])
