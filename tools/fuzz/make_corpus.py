#!/usr/bin/env python3
"""tools/fuzz/make_corpus.py OUTDIR — the seed corpus of fuzz_schedule.

One file per seed; the first byte is the harness's mode (see
fuzz_schedule.c): 0 schedule text, 1 binary send form, 2 three int128s,
3 text + NUL + x and quota.  Text seeds come from seeds.txt (one literal per
line); binary seeds are encoded here from a few specs.
"""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def i128(v):
    v %= 1 << 128
    return struct.pack(">QQ", v >> 64, v & ((1 << 64) - 1))


def num(v, scale):
    return bytes([scale]) + i128(v)


def binary(base, points, wraps=()):
    b = bytes([1, base]) + struct.pack(">I", len(points))
    for (x, y) in points:
        b += num(*x) + num(*y)
    b += bytes([len(wraps)])
    for kind, v in wraps:
        b += bytes([kind]) + num(*v)
    return b


n = 0


def put(data):
    global n
    with open(os.path.join(out, "seed%04d" % n), "wb") as f:
        f.write(data)
    n += 1


with open(os.path.join(here, "seeds.txt"), encoding="utf-8") as f:
    for line in f:
        lit = line.rstrip("\n").encode()
        if not lit:
            continue
        put(b"\x00" + lit)
        put(b"\x03" + lit + b"\x00" + num(16833333333333333333, 16)[1:] + bytes([16])
            + i128(1) + bytes([0]))

put(b"\x01" + binary(1, [((0, 0), (2, 2)), ((10000, 0), (4, 2))]))
put(b"\x01" + binary(3, [((-5, 0), (7, 0))]))
put(b"\x01" + binary(3, [((-(1 << 127), 0), (0, 0))]))
put(b"\x01" + binary(3, [((-(10**30 - 1), 15), (0, 0))]))
put(b"\x01" + binary(2, [((0, 0), (1, 1))], [(1, (3000, 0)), (2, (5, 1))]))
put(b"\x02" + i128(10**9) + i128(333333333333333333333333333333) + i128(10**30))
put(b"\x02" + i128(-(1 << 127)) + i128(-1) + i128(3))
put(b"\x02" + i128(16833333333333333333) + i128(5 * 10**19) + i128(10**22))
