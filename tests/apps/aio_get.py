#!/usr/bin/env python3
"""An asyncio HTTP/1.0 client: fetches every PATH at once, one connection
each, on one event loop (non-blocking sockets, connect driven by epoll).

  aio_get.py [--rate N[M]] HOST PORT OUTDIR PATH...

--rate reads each connection at most N bytes (N MiB with M) a second, so
that a sampler can see the connections while they are open.

Writes each body to OUTDIR/<basename>.got; exits non-zero naming the first
path that failed (no connection, no header, a status other than 200).
"""
import asyncio
import os
import sys
import time


async def read_all(reader, rate):
    if not rate:
        return await reader.read()
    data = bytearray()
    t0 = time.monotonic()
    while True:
        b = await reader.read(1 << 16)
        if not b:
            return bytes(data)
        data += b
        ahead = len(data) / rate - (time.monotonic() - t0)
        if ahead > 0:
            await asyncio.sleep(ahead)


async def get(host, port, path, outdir, rate):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
    await writer.drain()
    data = await read_all(reader, rate)
    writer.close()
    await writer.wait_closed()
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise RuntimeError("%s: no HTTP header in %d bytes" % (path, len(data)))
    status = head.split(b" ", 2)[1]
    if status != b"200":
        raise RuntimeError("%s: status %s" % (path, status.decode()))
    with open(os.path.join(outdir, os.path.basename(path) + ".got"), "wb") as f:
        f.write(body)
    return len(body)


async def main():
    args, rate = sys.argv[1:], 0
    if args[:1] == ["--rate"]:
        n = args[1]
        rate = int(n[:-1]) << 20 if n.endswith("M") else int(n)
        args = args[2:]
    host, port, outdir, paths = args[0], int(args[1]), args[2], args[3:]
    # One rate for the whole page, shared by its connections.
    per = rate / len(paths) if rate else 0
    sizes = await asyncio.wait_for(
        asyncio.gather(*(get(host, port, p, outdir, per) for p in paths)), 50)
    print(" ".join("%s=%d" % (p, n) for p, n in zip(paths, sizes)))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # one line for the row's log, not a traceback
        sys.exit("aio_get: %s: %s" % (type(e).__name__, e))
