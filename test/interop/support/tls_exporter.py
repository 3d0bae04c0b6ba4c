"""Independent EAP-TLS key derivation from a TLS key log, for netrx's tests.

Reads JSON on stdin: {"version": "TLSv1.2"|"TLSv1.3", "hash": "sha256"|"sha384",
"secret": hex (TLS 1.2 master secret or TLS 1.3 exporter master secret),
"client_random": hex, "server_random": hex, optional "type": the EAP type (13
EAP-TLS, 25 PEAP, 21 TTLS; default 13) and "label": the TLS 1.2 PRF label
(default "client EAP encryption"; TTLS "ttls keying material")}. Prints JSON {"msk", "emsk",
"session_id"} in hex, computed with hashlib/hmac only: the TLS 1.2 PRF
(RFC 5246 section 5) for RFC 5216, the TLS 1.3 exporter (RFC 8446 section
7.5) for RFC 9190 and, with the type as context, RFC 9427 section 2.1.
"""
import hashlib
import hmac
import json
import sys


def p_hash(name, secret, seed, length):
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, name).digest()
        out += hmac.new(secret, a + seed, name).digest()
    return out[:length]


def hkdf_expand_label(name, secret, label, context, length):
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([counter]), name).digest()
        out += block
        counter += 1
    return out[:length]


def exporter(name, secret, label, context, length):
    empty = hashlib.new(name, b"").digest()
    derived = hkdf_expand_label(name, secret, label, empty, hashlib.new(name).digest_size)
    return hkdf_expand_label(name, derived, b"exporter", hashlib.new(name, context).digest(), length)


def main():
    q = json.load(sys.stdin)
    name = q["hash"]
    secret = bytes.fromhex(q["secret"])
    cr = bytes.fromhex(q["client_random"])
    code = bytes([q.get("type", 13)])
    if q["version"] == "TLSv1.2":
        sr = bytes.fromhex(q["server_random"])
        label = q.get("label", "client EAP encryption").encode()
        material = p_hash(name, secret, label + cr + sr, 128)
        session_id = code + cr + sr
    else:
        material = exporter(name, secret, b"EXPORTER_EAP_TLS_Key_Material", code, 128)
        session_id = code + exporter(name, secret, b"EXPORTER_EAP_TLS_Method-Id", code, 64)
    json.dump({"msk": material[:64].hex(), "emsk": material[64:].hex(), "session_id": session_id.hex()}, sys.stdout)


main()
