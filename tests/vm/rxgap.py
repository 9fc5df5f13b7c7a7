#!/usr/bin/env python3
"""Measures how long data stopped flowing while a path was taken down, from
the receiver's interface counters, so it needs nothing from the programs.

  rxgap.py sample OUT DEV...   every 20 ms append "time rx_bytes..." to OUT
                               (runs until killed, at most 180 s)
  rxgap.py outage OUT           from those samples, with DEV1 the path taken
                               down and DEV2 the one left: the time from
                               the last data on DEV1 to the first data on
                               DEV2 after it ("data": >= 1400 more bytes in
                               one sample), rounded up to whole samples;
                               prints
                               "outage SECONDS, DEV2 carried BYTES after"
Taking the time from the counters, not from when `ip link set down` was
started, leaves out how long that command took to start (long under TCG).
"""
import sys
import time

DATA = 1400  # less than this per sample is heartbeats and SACKs, not data


def sample(out, devs):
    end = time.time() + 180
    with open(out, "a", buffering=1) as f:
        while time.time() < end:
            vals = []
            for d in devs:
                with open("/sys/class/net/%s/statistics/rx_bytes" % d) as s:
                    vals.append(s.read().strip())
            f.write("%.4f %s\n" % (time.time(), " ".join(vals)))
            time.sleep(0.02)


def outage(out):
    rows = [list(map(float, line.split())) for line in open(out) if line.strip()]
    grew = [(b[0], b[1] - a[1] >= DATA, b[2] - a[2] >= DATA) for a, b in zip(rows, rows[1:])]
    a_last = max((i for i, g in enumerate(grew) if g[1]), default=None)
    if a_last is None:
        print("outage none: no data on the first path at all")
        return 1
    b_first = next((i for i in range(a_last + 1, len(grew)) if grew[i][2]), None)
    if b_first is None:
        print("outage none: no data on the second path after the first one stopped")
        return 1
    # Step i covers (rows[i], rows[i + 1]]: the first path's last data came
    # after rows[a_last], the second path's first by rows[b_first + 1].
    # Their distance bounds the outage from above, to within one step.
    print("outage %.3f, second path carried %d bytes after"
          % (rows[b_first + 1][0] - rows[a_last][0], rows[-1][2] - rows[b_first][2]))
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "sample":
        sample(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(outage(sys.argv[2]))
