#!/usr/bin/env python3
"""Independent RFC 9162 section 2.1 reference, written from the RFC's definitions with hashlib.

Reads JSON on stdin: {"leaves": [hex data...], "pairs_up_to": N, "root_sizes": [n...]}
Writes JSON: {"roots": {n: hex}, "inclusion": {"m,n": [hex]}, "consistency": {"m,n": [hex]}}
where inclusion covers 0 <= m < n <= N and consistency 1 <= m <= n <= N (PROOF(m, D[n])).
"""
import hashlib
import json
import sys


def h(data):
    return hashlib.sha256(data).digest()


def k_of(n):
    # the largest power of two smaller than n
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    n = len(d)
    if n == 0:
        return h(b"")
    if n == 1:
        return h(b"\x00" + d[0])
    k = k_of(n)
    return h(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m, d):
    n = len(d)
    if n == 1:
        return []
    k = k_of(n)
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = k_of(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m, d):
    return subproof(m, d, True)


def main():
    req = json.load(sys.stdin)
    leaves = [bytes.fromhex(x) for x in req["leaves"]]
    top = req["pairs_up_to"]
    out = {"roots": {}, "inclusion": {}, "consistency": {}}
    for n in sorted(set(list(range(0, top + 1)) + req["root_sizes"])):
        out["roots"][str(n)] = mth(leaves[:n]).hex()
    for n in range(1, top + 1):
        d = leaves[:n]
        for m in range(n):
            out["inclusion"]["%d,%d" % (m, n)] = [x.hex() for x in path(m, d)]
        for m in range(1, n + 1):
            out["consistency"]["%d,%d" % (m, n)] = [x.hex() for x in proof(m, d)]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
