#!/usr/bin/env python3
"""Steady stream for the multihoming check: plain TCP-API sockets that the
shim turns into a multihomed SCTP association.

  ws_mh_peer.py server PORT SECONDS   receive; print bytes and the longest
                                      gap between arrivals (the outage)
  ws_mh_peer.py client ADDR PORT SECONDS
                                      send 1 KiB every 10 ms
"""
import socket
import sys
import time


def server(port, secs):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    print("listening", flush=True)
    c, _ = ls.accept()
    c.settimeout(secs + 30)
    total, gap, last = 0, 0.0, time.monotonic()
    end = last + secs + 20
    while time.monotonic() < end:
        b = c.recv(65536)
        if not b:
            break
        now = time.monotonic()
        gap = max(gap, now - last)
        last = now
        total += len(b)
    print("received %d bytes, longest gap %.3f s" % (total, gap), flush=True)


def client(addr, port, secs):
    s = socket.socket()
    s.connect((addr, port))
    print("connected", flush=True)
    chunk = b"x" * 1024
    end = time.monotonic() + secs
    n = 0
    while time.monotonic() < end:
        s.sendall(chunk)
        n += 1
        time.sleep(0.01)
    print("sent %d bytes" % (n * 1024), flush=True)
    s.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), float(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
