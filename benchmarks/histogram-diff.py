#!/usr/bin/env python3
"""Bytes and instances per connection by class, from two `jcmd PID GC.class_histogram` outputs.

    benchmarks/histogram-diff.py BEFORE.histo AFTER.histo CONNECTIONS [TOP]

BEFORE and AFTER are what the echo load run writes with -Djevent.echo.snapshotDir=DIR
(SERVER-PID-empty.histo and SERVER-PID-all-N.histo, taken after a full GC); CONNECTIONS is
the number of idle connections opened between them. Prints the classes whose bytes grew most,
per connection, and the total.
"""
import re
import sys


def read(path):
    classes = {}
    for line in open(path):
        m = re.match(r"\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)", line)
        if m:
            classes[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return classes


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip())
        sys.exit(2)
    before, after, n = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3])
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    rows = []
    for name in set(before) | set(after):
        i0, b0 = before.get(name, (0, 0))
        i1, b1 = after.get(name, (0, 0))
        rows.append((b1 - b0, i1 - i0, name))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows)
    print("%10s %10s  %s" % ("B/conn", "inst/conn", "class"))
    for db, di, name in rows[:top]:
        print("%10.1f %10.2f  %s" % (db / n, di / n, name))
    print("%10.1f %10s  total (all classes)" % (total / n, ""))


if __name__ == "__main__":
    main()
