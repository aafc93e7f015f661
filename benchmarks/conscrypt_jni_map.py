#!/usr/bin/env python3
"""Maps offsets in Conscrypt's stripped JNI library to the JNI method they lie in.

Conscrypt registers its natives with RegisterNatives: a table of {name, signature, function}
pointers, each filled by an R_X86_64_RELATIVE relocation whose addend is the target's offset.
The name strings are in a read-only segment whose file offset equals its address. So: find every
relocation whose addend points at a NUL-terminated identifier, and the relocation 16 bytes later
(the function). Usage: conscrypt_jni_map.py LIB [OFFSET_HEX ...] (without offsets: prints the table).
"""
import bisect
import re
import subprocess
import sys


def relocations(lib):
    out = subprocess.run(["readelf", "-rW", lib], capture_output=True, text=True, check=True).stdout
    rel = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "R_X86_64_RELATIVE":
            rel[int(parts[0], 16)] = int(parts[3], 16)
    return rel


def string_at(data, off):
    if off >= len(data):
        return None
    end = data.find(b"\0", off)
    if end < 0 or end - off > 80:
        return None
    s = data[off:end]
    return s.decode("ascii") if re.fullmatch(rb"[A-Za-z_][A-Za-z0-9_]*", s) else None


def table(lib):
    data = open(lib, "rb").read()
    rel = relocations(lib)
    entries = {}
    for where, target in rel.items():
        name = string_at(data, target)
        sig_target = rel.get(where + 8)
        fn = rel.get(where + 16)
        if name and sig_target is not None and fn is not None:
            sig = data[sig_target:data.find(b"\0", sig_target)] if sig_target < len(data) else b""
            if sig.startswith(b"("):
                entries[fn] = name
    return entries


def main():
    lib = sys.argv[1]
    t = table(lib)
    starts = sorted(t)
    if len(sys.argv) == 2:
        for s in starts:
            print(f"{s:x} {t[s]}")
        return
    for a in sys.argv[2:]:
        off = int(a, 16)
        i = bisect.bisect_right(starts, off) - 1
        print(a, t[starts[i]] if i >= 0 else "?", f"+{off - starts[i]:x}" if i >= 0 else "")


if __name__ == "__main__":
    main()
