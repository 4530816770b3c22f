"""Shared helpers for the X-MM-Identity-Sig interop checkers, written from SPEC section 2 alone.

Independent of the TypeScript code: message splitting is done here, canonicalization comes from
dkimpy (dkim.canonicalization.Relaxed), ECDSA from python3-cryptography.
"""
import hashlib
import re

from dkim.canonicalization import Relaxed

HEADER = b"x-mm-identity-sig"
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def to_crlf(raw):
    return re.sub(rb"(?<!\r)\n", b"\r\n", raw)


def split_message(raw):
    """Returns ([(name, value_after_colon)], body) of a CRLF message."""
    raw = to_crlf(raw)
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, body = raw, b""
    fields = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b"\r\n" + line)
        elif line:
            name, _, value = line.partition(b":")
            fields.append((name, value))
    return fields, body


def body_hash(body):
    return hashlib.sha256(Relaxed.canonicalize_body(body)).hexdigest()


def header_hash(fields, names):
    """Every instance of each name in h, in message order, relaxed-canonicalized (SPEC 2.1)."""
    h = hashlib.sha256()
    for want in names:
        chosen = [f for f in fields if f[0].strip().lower() == want.encode()]
        for name, value in Relaxed.canonicalize_headers(chosen):
            h.update(name + b":" + value)
    return h.hexdigest()


def parse_fields(value):
    """SPEC 2.1: unfold, split on ';', trim, split at the first '=', strip whitespace from sig."""
    text = re.sub(r"\r\n(?=[ \t])", "", value.decode("utf-8"))
    out = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, _, val = part.partition("=")
        name, val = name.strip(), val.strip()
        if name in out:
            raise ValueError("duplicate field " + name)
        out[name] = re.sub(r"\s+", "", val) if name == "sig" else val
    return out
