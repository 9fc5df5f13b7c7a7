#!/usr/bin/env python3
"""Records real replies of a running spliced for tests/fuzz/fuzz_ctl_reply.c:

    make_ctl_reply_seeds.py SOCKET [DIR]

sends each command below on its own connection to spliced's control socket
and writes the raw reply bytes (header and body) to DIR (default
seeds/ctl_reply next to this script), one file per command."""
import os, socket, sys

COMMANDS = ["show stats", "show stats --json", "show backends", "show backends --json",
            "show table", "show table --json", "show conns", "show conns --json",
            "show nothing", "backend 10.255.0.1:1 up"]

def reply(path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(cmd.encode() + b"\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
        head, _, rest = out.partition(b"\n")
        if _ and len(rest) >= int(head.split()[1]):
            break
    s.close()
    return out

sock = sys.argv[1]
dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds/ctl_reply")
os.makedirs(dst, exist_ok=True)
for c in COMMANDS:
    r = reply(sock, c)
    name = c.replace(" ", "_").replace("--", "").replace(":", "_")
    open(os.path.join(dst, name), "wb").write(r[:65536])
    print(name, len(r))
