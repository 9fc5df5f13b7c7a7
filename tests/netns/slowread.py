#!/usr/bin/env python3
"""slowread.py: a client with a tiny receive buffer that reads slowly, so
its advertised window closes (zero-window segments) while a sender keeps
pushing.

    slowread.py HOST PORT REQUEST [--rcvbuf BYTES] [--slow BYTES] [--pause S]

Connects with SO_RCVBUF set before connect() (so the window scale and the
window stay small), sends REQUEST plus a newline, then reads to EOF: the
first --slow bytes 1 KB at a time with a 10 ms pause (about 100 KB/s, far
slower than the sender), then nothing at all for --pause seconds (the
buffer fills, the window closes and the sender has to probe it), then the
rest at full speed. Prints "BYTES SHA256" of everything read. Exit 0 on a
clean EOF, 1 on an error.
"""
import argparse
import hashlib
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("request")
    ap.add_argument("--rcvbuf", type=int, default=4096)
    ap.add_argument("--slow", type=int, default=1 << 18)
    ap.add_argument("--pause", type=float, default=3.0)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.settimeout(60)
    try:
        s.connect((a.host, a.port))
        s.sendall(a.request.encode() + b"\n")
        h, n, paused = hashlib.sha256(), 0, False
        while True:
            if n >= a.slow and not paused:
                time.sleep(a.pause)
                paused = True
            b = s.recv(1024 if n < a.slow else 1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
            if n < a.slow:
                time.sleep(0.01)
    except OSError as e:
        print("error after", n if "n" in dir() else 0, "bytes:", e)
        return 1
    print(n, h.hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main())
