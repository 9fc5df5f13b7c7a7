#!/usr/bin/env python3
"""A population of TLS clients that resume their sessions, for splice-bench.sh.

Each of N clients (one thread each) has its own TLS session and, for a
fixed time, connects again and again: handshake (offering its latest
session once it has one), one HTTP/1.1 GET of "/" (the backend answers
"srvK ADDR"), then holds the connection open for about --hold-ms (0.5 to
1.5 times, at random) so that
backends carry a measurable number of active connections, then closes.
Prints one JSON object: connections, how many offered a session, how many
were resumed, failures, and per-backend connection counts.

  tls_pop.py --host IP --port 443 --sni NAME --cafile CA --tls 1.2|1.3
             [--clients 50] [--seconds 10] [--hold-ms 100] [--gap-ms 0]

--gap-ms: think time between closing a connection and opening the next
(default 0: reconnect at once, while the last close may still be in
flight).

--tls 1.2 turns tickets off (OP_NO_TICKET), so sessions are resumed by
session ID, the case a session-ID stick table can route; --tls 1.3 resumes
by tickets (PSK identities), the only TLS 1.3 mechanism.
"""
import argparse
import json
import random
import socket
import ssl
import sys
import threading
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--sni", required=True)
    p.add_argument("--cafile", required=True)
    p.add_argument("--tls", choices=["1.2", "1.3"], required=True)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--hold-ms", type=int, default=100)
    p.add_argument("--gap-ms", type=int, default=0)
    a = p.parse_args()
    if (not 1 <= a.clients <= 500 or not 0.5 <= a.seconds <= 600
            or not 0 <= a.hold_ms <= 10000 or not 0 <= a.gap_ms <= 10000):
        p.error("--clients 1..500, --seconds 0.5..600, --hold-ms and --gap-ms 0..10000")
    return a


def make_ctx(a):
    ctx = ssl.create_default_context(cafile=a.cafile)
    if a.tls == "1.2":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.options |= ssl.OP_NO_TICKET
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def read_response(s):
    """Read one HTTP/1.1 response with a Content-Length; return its body."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed before headers")
        buf += chunk
        if len(buf) > 65536:
            raise ConnectionError("headers too long")
    head, body = buf.split(b"\r\n\r\n", 1)
    length = None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    if length is None or length > 65536:
        raise ConnectionError("no usable Content-Length")
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed in body")
        body += chunk
    return body[:length]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.conns = self.offered = self.reused = self.fails = 0
        self.backends = {}
        self.errors = {}


def client(a, ctx, deadline, st):
    sess = None
    req = ("GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % a.sni).encode()
    # Spread the clients' phases so the population is not in lock step.
    time.sleep(random.uniform(0, max(a.hold_ms, 50) / 1000.0))
    while time.monotonic() < deadline:
        offered = sess is not None
        try:
            raw = socket.create_connection((a.host, a.port), timeout=5)
            with ctx.wrap_socket(raw, server_hostname=a.sni, session=sess) as s:
                s.sendall(req)
                body = read_response(s)
                # TLS 1.3 tickets arrive after the handshake: the session
                # is complete only once the response has been read.
                if s.session is not None:
                    sess = s.session
                reused = s.session_reused
                # Jittered (0.5 to 1.5 x): a population whose clients all
                # take exactly as long falls into lock step with a
                # round-robin scheduler (50 clients mod 3 backends would
                # send every client's next connection elsewhere), which no
                # real population does.
                time.sleep(a.hold_ms / 1000.0 * random.uniform(0.5, 1.5))
            backend = body.split()[0].decode("ascii", "replace") if body.split() else "?"
            with st.lock:
                st.conns += 1
                st.offered += offered
                st.reused += bool(reused)
                st.backends[backend] = st.backends.get(backend, 0) + 1
            if a.gap_ms:
                time.sleep(a.gap_ms / 1000.0)
        except (OSError, ssl.SSLError, ValueError, ConnectionError) as e:
            with st.lock:
                st.fails += 1
                k = type(e).__name__
                st.errors[k] = st.errors.get(k, 0) + 1
            time.sleep(0.05)


def main():
    a = parse_args()
    ctx = make_ctx(a)
    st = Stats()
    start = time.monotonic()
    deadline = start + a.seconds
    threads = [threading.Thread(target=client, args=(a, ctx, deadline, st), daemon=True)
               for _ in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        # A connection in progress at the deadline finishes within its 5 s
        # socket timeout plus the hold time.
        t.join(timeout=a.seconds + 10 + a.hold_ms / 1000.0)
    elapsed = time.monotonic() - start
    json.dump({"tls": a.tls, "clients": a.clients, "seconds": round(elapsed, 2),
               "conns": st.conns, "offered": st.offered, "reused": st.reused,
               "fails": st.fails, "errors": st.errors,
               "backends": dict(sorted(st.backends.items()))}, sys.stdout)
    print()
    return 0 if st.conns > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
