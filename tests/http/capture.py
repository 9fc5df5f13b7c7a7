#!/usr/bin/env python3
"""Records the request heads real HTTP clients send, for the golden table.

Listens on 127.0.0.1, answers every request with an empty 200 response, and
writes the first request head of each connection to OUTDIR/NAME.req, where
NAME is given per client run below. Run as: tests/http/capture.py OUTDIR
(needs curl and wrk). The files are committed; this script is how they
were made."""
import os
import socket
import subprocess
import sys
import threading

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
# A fixed port so that the Host fields in the committed files stay the same.
srv.bind(("127.0.0.1", 18181))
srv.listen(64)
PORT = srv.getsockname()[1]
current = {"name": None, "done": threading.Event()}


def serve():
    while True:
        c, _ = srv.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            b = c.recv(65536)
            if not b:
                break
            data += b
        end = data.find(b"\r\n\r\n")
        head = data[: end + 4] if end >= 0 else b""
        name = current["name"]
        # wrk opens and closes a probe connection first: skip empty ones.
        if name and head and not current["done"].is_set():
            with open(os.path.join(OUT, name + ".req"), "wb") as f:
                f.write(head)
            current["done"].set()
        try:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                      b"Connection: close\r\n\r\n")
        except OSError:
            pass
        c.close()


threading.Thread(target=serve, daemon=True).start()
U = "http://127.0.0.1:%d" % PORT
RUNS = {
    "curl_plain": ["curl", "-s", U + "/"],
    "curl_resolve": ["curl", "-s", "--resolve", "www.example.com:%d:127.0.0.1" % PORT,
                     "http://www.example.com:%d/static/app.js?v=3" % PORT],
    "curl_cookie": ["curl", "-s", "-b", "SERVERID=s2; lang=en", "-H", "Host: Shop.Example.COM",
                    U + "/cart/checkout"],
    "curl_post": ["curl", "-s", "-d", "a=1&b=2", "-H", "Host: api.example.com",
                  U + "/v1/items"],
    "curl_http10": ["curl", "-s", "-0", U + "/index.html"],
    "curl_proxy": ["curl", "-s", "-x", U, "http://origin.example.net/img/logo.png"],
    "wrk_plain": ["wrk", "-t1", "-c1", "-d1s", U + "/bench"],
    "wrk_header": ["wrk", "-t1", "-c1", "-d1s", "-H", "Cookie: SERVERID=s3",
                   "-H", "Host: img.example.com", U + "/a/b/c.jpg"],
}
for name, cmd in RUNS.items():
    current["name"] = name
    current["done"].clear()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    if not current["done"].wait(5):
        sys.exit("no request from " + name)
    print(name)
