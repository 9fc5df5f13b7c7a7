#!/usr/bin/env python3
"""Half-close peers over plain TCP-API sockets (SCTP under withsplice).

  ws_halfclose.py server PORT api|sctp REPLYBYTES
                                       accept one client, read to EOF (the
                                       client's shutdown(SHUT_WR)), then
                                       answer "<sha256> <n>\\n" and
                                       REPLYBYTES more, close. 'sctp' makes
                                       the listener SCTP itself (no shim).
  ws_halfclose.py client ADDR PORT FILE REPLYBYTES
                                       send FILE, shutdown(SHUT_WR), read the
                                       answer to EOF; exit 0 when the server
                                       saw exactly FILE and the reply came
                                       whole after our half-close.
The server never answers before EOF, so a missing half-close hangs it: the
client gives up after 30 s.
"""
import hashlib
import socket
import sys


def server(port, raw_sctp, reply):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                       socket.IPPROTO_SCTP if raw_sctp else 0)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(4)
    print("listening", flush=True)
    c, _ = ls.accept()
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    print("server got EOF after", n, "bytes", flush=True)
    c.sendall(("%s %d\n" % (h.hexdigest(), n)).encode())
    block = b"r" * 65536
    left = reply
    while left:
        left -= c.send(block[:min(left, len(block))])
    c.close()


def client(addr, port, path, reply):
    data = open(path, "rb").read()
    s = socket.create_connection((addr, port), timeout=30)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = bytearray()
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        got += b
    line, _, rest = bytes(got).partition(b"\n")
    want = "%s %d" % (hashlib.sha256(data).hexdigest(), len(data))
    print("client: server said", line.decode(errors="replace"), "then", len(rest), "bytes")
    if line.decode(errors="replace") != want or len(rest) != reply:
        raise SystemExit("client: want '%s' and %d bytes" % (want, reply))
    print("client ok")


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), sys.argv[3] == "sctp", int(sys.argv[4]))
    else:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
