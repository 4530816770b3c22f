"""Signs messages with X-MM-Identity-Sig by the rules of SPEC section 2, for the interop tests.

Reads JSON lines {"message": <base64 eml>, "pem": <PKCS#8 PEM>, "kid", "tenant", "agent",
"oversight", "approval" (or null), "ts", "h", "profile": "v1"|"seed"} and writes
{"field": "X-MM-Identity-Sig: ...\r\n"} per line, folded after some of the "; " separators.
"""
import base64
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from identity_common import P256_N, body_hash, header_hash, split_message


def low_s_der(der):
    r, s = decode_dss_signature(der)
    return encode_dss_signature(r, P256_N - s if s > P256_N // 2 else s)


def sign(case):
    key = serialization.load_pem_private_key(case["pem"].encode(), password=None)
    fields, body = split_message(base64.b64decode(case["message"]))
    bh = body_hash(body)
    if case["profile"] == "seed":
        ordered = [("tenant", case["tenant"]), ("agent", case["agent"]), ("oversight", case["oversight"])]
    else:
        ordered = [("v", "1"), ("kid", case["kid"]), ("tenant", case["tenant"]), ("agent", case["agent"]),
                   ("oversight", case["oversight"])]
        if case.get("approval"):
            ordered.append(("approval", case["approval"]))
        ordered += [("ts", str(case["ts"])), ("h", case["h"]),
                    ("hh", header_hash(fields, case["h"].split(":"))), ("bh", bh)]
    payload = dict(ordered)
    payload["body_hash"] = bh
    data = json.dumps(payload, sort_keys=True).encode("utf-8")
    sig = base64.b64encode(low_s_der(key.sign(data, ec.ECDSA(hashes.SHA256())))).decode()
    parts = ["%s=%s" % kv for kv in ordered] + ["sig=" + sig]
    # Fold after every third separator: unfolding restores "; ".
    value = "".join(p + (";\r\n " if i % 3 == 2 else "; ") for i, p in enumerate(parts[:-1])) + parts[-1]
    return {"field": "X-MM-Identity-Sig: " + value + "\r\n"}


def main():
    for line in sys.stdin:
        print(json.dumps(sign(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
