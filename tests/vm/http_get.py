#!/usr/bin/env python3
"""HTTP/1.0 GET over a socket created with SOCK_CLOEXEC | SOCK_NONBLOCK and a
non-blocking connect, the way Python, libuv and modern glibc callers make
them (withsctp leaves such sockets on TCP).

  http_get.py HOST PORT PATH OUTFILE

Writes the body to OUTFILE and prints "so_protocol N" (what the socket
reports after connect) and "status N".
"""
import select
import socket
import sys


def main():
    host, port, path, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    s = socket.socket(socket.AF_INET,
                      socket.SOCK_STREAM | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK)
    err = s.connect_ex((host, port))
    if err not in (0, 115):  # EINPROGRESS
        sys.exit("connect: errno %d" % err)
    _, w, _ = select.select([], [s], [], 30)
    if not w:
        sys.exit("connect: timed out")
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        sys.exit("connect: SO_ERROR %d" % err)
    print("so_protocol", s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL))
    s.setblocking(True)
    s.settimeout(60)
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
    buf = bytearray()
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        buf += b
    s.close()
    head, sep, body = bytes(buf).partition(b"\r\n\r\n")
    if not sep:
        sys.exit("no HTTP header in %d bytes" % len(buf))
    print("status", head.split(b" ", 2)[1].decode())
    with open(out, "wb") as f:
        f.write(body)


if __name__ == "__main__":
    main()
