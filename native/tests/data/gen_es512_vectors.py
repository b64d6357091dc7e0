"""Generates tests/data/es512_vectors.json: ES512 (ECDSA P-521 + SHA-512, RFC 7518 §3.4) tokens
signed with Python `cryptography` (a different implementation than the engine's aws-lc verifier).

The shared attack corpus (shared/attack-corpus, read-only) predates ES512; these are its ES512
cases: valid low-s and high-s signatures, a JWK without `alg`, and the refusals (curve/alg
mismatch, DER encoding, wrong width, r = 0, s = n, s > n, a flipped bit).
Run: python3 gen_es512_vectors.py > es512_vectors.json
"""

import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

P521_N = int.from_bytes(bytes.fromhex(  # the secp521r1 group order (SEC 2)
    "01" + "ff" * 32 + "fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409"
), "big")
assert P521_N.bit_length() == 521
CLAIMS = {
    "iss": "https://auth.example.com/",
    "aud": "https://mcp.example.com",
    "sub": "user-1",
    "exp": 1767228900,
    "iat": 1767225300,
    "scope": "mcp:read",
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(obj: dict) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str, crv: str, size: int, alg: str | None) -> dict:
    nums = key.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": crv, "kid": kid, "use": "sig",
           "x": b64(nums.x.to_bytes(size, "big")), "y": b64(nums.y.to_bytes(size, "big"))}
    if alg:
        jwk["alg"] = alg
    return jwk


def sign(key, kid: str, alg: str = "ES512", digest=hashes.SHA512, claims=CLAIMS):
    signing_input = segment({"alg": alg, "kid": kid, "typ": "at+jwt"}) + "." + segment(claims)
    der = key.sign(signing_input.encode(), ec.ECDSA(digest()))
    r, s = utils.decode_dss_signature(der)
    return signing_input, r, s, der


def raw(r: int, s: int, size: int = 66) -> bytes:
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def main() -> None:
    p521 = ec.generate_private_key(ec.SECP521R1())
    p521_noalg = ec.generate_private_key(ec.SECP521R1())
    p256 = ec.generate_private_key(ec.SECP256R1())
    keys = [
        ec_jwk(p521, "p521", "P-521", 66, "ES512"),
        ec_jwk(p521_noalg, "p521-noalg", "P-521", 66, None),
        ec_jwk(p256, "p256", "P-256", 32, None),
    ]
    cases = []

    def add(name: str, token: str, valid: bool) -> None:
        cases.append({"name": name, "token": token, "valid": valid})

    si, r, s, der = sign(p521, "p521")
    low_s, high_s = min(s, P521_N - s), max(s, P521_N - s)
    add("es512 low s", f"{si}.{b64(raw(r, low_s))}", True)
    add("es512 high s (allowed)", f"{si}.{b64(raw(r, high_s))}", True)
    add("es512 DER signature", f"{si}.{b64(der)}", False)
    add("es512 r||s 65-byte halves", f"{si}.{b64(r.to_bytes(66, 'big')[1:] + s.to_bytes(66, 'big')[1:])}", False)
    add("es512 r = 0", f"{si}.{b64(raw(0, s))}", False)
    add("es512 s = n", f"{si}.{b64(raw(r, P521_N))}", False)
    add("es512 s = n + s (> n, same residue)", f"{si}.{b64(raw(r, P521_N + low_s))}", False)
    flipped = bytearray(raw(r, s))
    flipped[100] ^= 0x01
    add("es512 flipped signature bit", f"{si}.{b64(bytes(flipped))}", False)
    si2, r2, s2, _ = sign(p521_noalg, "p521-noalg")
    add("es512 with a P-521 JWK without alg", f"{si2}.{b64(raw(r2, s2))}", True)
    si3, r3, s3, _ = sign(p521, "p521", alg="ES256", digest=hashes.SHA256)
    add("ES256 header on a P-521 key", f"{si3}.{b64(raw(r3, s3))}", False)
    si4, r4, s4, _ = sign(p256, "p256", alg="ES512")
    add("ES512 header on a P-256 key", f"{si4}.{b64(raw(r4, s4, 32))}", False)
    si5, r5, s5, _ = sign(p521, "p521", alg="ES384", digest=hashes.SHA384)
    add("ES384 header on a P-521 key", f"{si5}.{b64(raw(r5, s5))}", False)
    expired = dict(CLAIMS, exp=1767225000)
    si6, r6, s6, _ = sign(p521, "p521", claims=expired)
    add("es512 expired", f"{si6}.{b64(raw(r6, s6))}", False)
    id_token = dict(CLAIMS, nonce="n-0S6_WzA2Mj")
    si7, r7, s7, _ = sign(p521, "p521", claims=id_token)
    add("es512 OpenID Connect ID token (nonce)", f"{si7}.{b64(raw(r7, s7))}", False)
    print(json.dumps({"generator": "gen_es512_vectors.py (Python cryptography)",
                      "jwks": {"keys": keys}, "cases": cases}, indent=1))


if __name__ == "__main__":
    main()
