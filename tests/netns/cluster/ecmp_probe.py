#!/usr/bin/env python3
"""ECMP probe for the cluster testbed.

  ecmp_probe.py serve PORT        answer every TCP connection with the peer's
                                  address and close (what the server saw)
  ecmp_probe.py connect ADDR PORT N
                                  open N connections one after another, each
                                  from a fresh ephemeral port; print how many
                                  replies named each peer address, then
                                  "answered K"; exit 1 if K < N
"""
import collections
import socket
import sys


def serve(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(512)
    while True:
        c, peer = ls.accept()
        try:
            c.sendall((peer[0] + "\n").encode())
        finally:
            c.close()


def connect(addr, port, n):
    seen = collections.Counter()
    ok = 0
    for _ in range(n):
        try:
            with socket.create_connection((addr, port), timeout=3) as s:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(64)
                    if not chunk:
                        break
                    data += chunk
            if data.endswith(b"\n"):
                seen[data.decode().strip()] += 1
                ok += 1
        except OSError as e:
            print("error", e, file=sys.stderr)
    for peer, count in sorted(seen.items()):
        print("peer", peer, count)
    print("answered", ok)
    return 0 if ok == n else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "connect":
        sys.exit(connect(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        sys.exit(__doc__)
