#!/usr/bin/env python3
"""Live Conscrypt allocations per engine between two malltrack markers, by call site.

Usage: malltrack_diff.py OUT LIB FROM_MARK TO_MARK ENGINES
OUT is the tracker's dump, LIB Conscrypt's JNI library (for the JNI entry names), ENGINES the
number of engines opened between the two markers. Prints, per site (JNI entry, innermost frames),
the live allocations and bytes (malloc usable size) added per engine, and the resident pages.
"""
import subprocess
import sys
from collections import defaultdict

import importlib.util
import os

spec = importlib.util.spec_from_file_location("conscrypt_jni_map", os.path.join(os.path.dirname(__file__), "conscrypt_jni_map.py"))
jni_map = importlib.util.module_from_spec(spec)
spec.loader.exec_module(jni_map)


def parse(path):
    marks = {}
    cur = None
    for line in open(path):
        p = line.split()
        if p[0] == "MARK":
            cur = {"head": dict(zip(p[2::2], p[3::2])), "sites": {}}
            marks[len(marks)] = cur  # by order: the label is the marker's size, rounded by the JVM
        elif p[0] == "SITE" and cur is not None:
            outer = p[3]
            inner = tuple(p[5:9])
            d = dict(zip(p[9::2], p[10::2]))
            cur["sites"][(outer, inner)] = {k: int(v) for k, v in d.items()}
    return marks


def main():
    out, lib, a, b, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    marks = parse(out)
    t = jni_map.table(lib)
    starts = sorted(t)
    import bisect

    def name(off_hex):
        off = int(off_hex, 16)
        i = bisect.bisect_right(starts, off) - 1
        return t[starts[i]] if i >= 0 else "?"

    ma, mb = marks[a], marks[b]
    ha, hb = ma["head"], mb["head"]
    print(f"live bytes per engine {(int(hb['live_bytes']) - int(ha['live_bytes'])) / n:.0f} usable, "
          f"{(int(hb['live_req']) - int(ha['live_req'])) / n:.0f} requested, "
          f"allocations per engine {(int(hb['live_count']) - int(ha['live_count'])) / n:.2f}, "
          f"pages covered per engine {(int(hb['pages_covered']) - int(ha['pages_covered'])) / n:.2f}, "
          f"resident {(int(hb['pages_resident']) - int(ha['pages_resident'])) / n:.2f}")
    rows = []
    for key in set(ma["sites"]) | set(mb["sites"]):
        sa = ma["sites"].get(key, {"count": 0, "bytes": 0, "req": 0, "pages": 0, "resident": 0, "last": 0})
        sb = mb["sites"].get(key, {"count": 0, "bytes": 0, "req": 0, "pages": 0, "resident": 0, "last": 0})
        dc = sb["count"] - sa["count"]
        db = sb["bytes"] - sa["bytes"]
        if dc == 0 and db == 0:
            continue
        rows.append((db / n, dc / n, (sb["resident"] - sa["resident"]) / n, (sb["pages"] - sa["pages"]) / n,
                     name(key[0]), key, sb.get("last", sa.get("last")), (sb["req"] - sa["req"]) / n))
    by_entry = defaultdict(lambda: [0.0, 0.0, 0.0])
    for r in sorted(rows, reverse=True):
        if abs(r[0]) >= 1:
            print(f"{r[0]:9.1f} B (req {r[7]:8.1f}) {r[1]:6.2f} allocs  resident {r[2]:5.2f}/{r[3]:5.2f} pages  size {r[6]:6d}  "
                  f"{r[4]:<40} inner {' '.join(r[5][1])}")
        e = by_entry[r[4]]
        e[0] += r[0]
        e[1] += r[1]
        e[2] += r[2]
    print("by JNI entry:")
    for k, v in sorted(by_entry.items(), key=lambda kv: -kv[1][0]):
        if abs(v[0]) >= 1:
            print(f"{v[0]:9.1f} B {v[1]:6.2f} allocs resident pages {v[2]:5.2f}  {k}")


if __name__ == "__main__":
    main()
