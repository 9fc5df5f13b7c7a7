#!/usr/bin/env python3
"""Peers for the shim's I/O emulations over SCTP (run both under withsplice).

  ws_io_peer.py server PORT      per connection, one command line from the
                                 client, then the answer:
      "count N"   read N bytes, answer "got N <ms since the line>\\n"
      "three"     send three 1000-byte writes, then shutdown(SHUT_WR)
      "sink N"    splice N bytes from the socket into a pipe, answer the
                  sha256 of what came out of the pipe
  ws_io_peer.py cork ADDR PORT   TCP_CORK on, 100 bytes, 300 ms, TCP_CORK
                                 off: the answer must come within 1 s
  ws_io_peer.py more ADDR PORT   send(MSG_MORE) then TCP_CORK off (TCP's
                                 push): the answer must come within 1 s
  ws_io_peer.py fionread ADDR PORT   FIONREAD sees data, and 0 at EOF
  ws_io_peer.py splice ADDR PORT FILE  file -> pipe -> socket with splice()
Each client prints one line and exits 0 when the check held.
"""
import array
import fcntl
import hashlib
import os
import socket
import sys
import termios
import time

TCP_CORK = getattr(socket, "TCP_CORK", 3)


def line_of(c):
    b = b""
    while not b.endswith(b"\n"):
        x = c.recv(1)
        if not x:
            break
        b += x
    return b.decode().strip()


def serve_one(c):
    cmd = line_of(c).split()
    t0 = time.monotonic()
    if cmd[0] == "count":
        n, want = 0, int(cmd[1])
        while n < want:
            b = c.recv(want - n)
            if not b:
                break
            n += len(b)
        c.sendall(b"got %d %d\n" % (n, (time.monotonic() - t0) * 1000))
    elif cmd[0] == "three":
        for ch in b"abc":
            c.send(bytes([ch]) * 1000)
        c.shutdown(socket.SHUT_WR)
        c.recv(1)
    elif cmd[0] == "sink":
        want, h = int(cmd[1]), hashlib.sha256()
        r, w = os.pipe()
        while want > 0:
            n = os.splice(c.fileno(), w, min(want, 1 << 16))
            if n == 0:
                break
            want -= n
            while n > 0:
                b = os.read(r, n)
                h.update(b)
                n -= len(b)
        c.sendall(h.hexdigest().encode() + b"\n")
    c.close()


def server(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(8)
    while True:
        c, _ = ls.accept()
        serve_one(c)


def reply_within(s, t0, limit):
    s.settimeout(limit + 1)
    ans = line_of(s)
    dt = time.monotonic() - t0
    return ans, dt


def main():
    what, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.create_connection((addr, port), timeout=10)
    if what in ("cork", "more"):
        s.sendall(b"count 100\n")
        if what == "cork":
            s.setsockopt(socket.IPPROTO_TCP, TCP_CORK, 1)
            s.send(b"c" * 100)
            time.sleep(0.3)
        else:
            s.send(b"m" * 100, socket.MSG_MORE)
        t0 = time.monotonic()
        s.setsockopt(socket.IPPROTO_TCP, TCP_CORK, 0)
        ans, dt = reply_within(s, t0, 1.0)
        print("%s: answer %r %.0f ms after uncork" % (what, ans, dt * 1000))
        return ans.startswith("got 100 ") and dt < 1.0
    if what == "fionread":
        s.sendall(b"three\n")
        time.sleep(1.0)
        buf = array.array("i", [0])
        fcntl.ioctl(s.fileno(), termios.FIONREAD, buf, True)
        first, got = buf[0], b""
        while len(got) < 3000:
            b = s.recv(4096)
            if not b:
                break
            got += b
        time.sleep(0.3)
        fcntl.ioctl(s.fileno(), termios.FIONREAD, buf, True)
        end = s.recv(10)
        print("fionread: %d with data queued, %d bytes read, %d at EOF, then read %r"
              % (first, len(got), buf[0], end))
        return first >= 1000 and len(got) == 3000 and buf[0] == 0 and end == b""
    if what == "splice":
        data = open(sys.argv[4], "rb").read()
        s.sendall(b"sink %d\n" % len(data))
        r, w = os.pipe()
        f = os.open(sys.argv[4], os.O_RDONLY)
        left = len(data)
        while left > 0:
            n = os.splice(f, w, min(left, 1 << 16))
            while n > 0:
                m = os.splice(r, s.fileno(), n)
                n -= m
                left -= m
        ans = line_of(s)
        ok = ans == hashlib.sha256(data).hexdigest()
        print("splice: %d bytes through pipe -> socket -> pipe, sha256 %s"
              % (len(data), "equal" if ok else "DIFFERENT"))
        return ok
    raise SystemExit("unknown check " + what)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]))
    else:
        sys.exit(0 if main() else 1)
