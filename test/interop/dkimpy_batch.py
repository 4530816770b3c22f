#!/usr/bin/python3
"""Batch driver for dkimpy (Debian python3-dkim), used by the DKIM interop tests.

Reads one JSON array of jobs on stdin and writes one JSON array of results on stdout, so a
whole corpus costs a single Python start-up. Bytes travel as base64.

  {"op": "sign", "msg": b64, "selector": s, "domain": d, "key": b64 (PEM or base64 seed),
   "alg": "rsa-sha256" | "ed25519-sha256", "canon": ["relaxed", "simple"],
   "headers": [names] | null, "length": bool}
      -> {"field": b64 of the DKIM-Signature line to prepend}
  {"op": "verify", "msg": b64, "records": {name: txt}}
      -> {"results": [true | false | "error: ..."] one per DKIM-Signature, top first}
"""
import base64
import json
import sys

import dkim


def b(s):
    return base64.b64decode(s)


def count_signatures(msg):
    # Header section only; dkimpy indexes signatures in header order.
    head = msg.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return sum(1 for line in head.split(b"\n") if line.lower().startswith(b"dkim-signature:"))


def verify(job):
    records = {k.lower().rstrip(".").encode(): v.encode() for k, v in job["records"].items()}

    def dnsfunc(name, timeout=5):
        return records.get(name.lower().rstrip(b"."))

    msg = b(job["msg"])
    d = dkim.DKIM(msg)
    out = []
    for i in range(count_signatures(msg)):
        try:
            out.append(bool(d.verify(idx=i, dnsfunc=dnsfunc)))
        except Exception as e:  # dkimpy raises for malformed signatures and keys
            out.append("error: %s" % str(e)[:120])
    return {"results": out}


def sign(job):
    kwargs = dict(
        canonicalize=tuple(c.encode() for c in job["canon"]),
        signature_algorithm=job["alg"].encode(),
        length=bool(job.get("length")),
    )
    if job.get("headers"):
        kwargs["include_headers"] = [h.encode() for h in job["headers"]]
    field = dkim.sign(b(job["msg"]), job["selector"].encode(), job["domain"].encode(), b(job["key"]), **kwargs)
    return {"field": base64.b64encode(field).decode()}


def main():
    jobs = json.load(sys.stdin)
    results = []
    for job in jobs:
        try:
            results.append(sign(job) if job["op"] == "sign" else verify(job))
        except Exception as e:
            results.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
