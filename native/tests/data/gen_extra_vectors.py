"""Generates tests/data/extra_vectors.json: tokens the attack corpus does not cover, signed with
Python `cryptography` (a different implementation than the engine's aws-lc verifier).

Covers RS384/RS512/PS384/PS512 (in the product's default allow-list, not in the corpus policy),
3072- and 4096-bit RSA keys, a JWK `n` with a leading zero octet, and an ES256 signature with
high s (valid per the policy). Run: python3 gen_extra_vectors.py > extra_vectors.json
"""

import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(v: int, length: int | None = None) -> bytes:
    return v.to_bytes(length or (v.bit_length() + 7) // 8, "big")


def segment(obj: dict) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


CLAIMS = {
    "iss": "https://auth.example.com/",
    "aud": "https://mcp.example.com",
    "sub": "user-1",
    "exp": 1767228900,
    "iat": 1767225300,
    "scope": "mcp:read",
}
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def rsa_jwk(key: rsa.RSAPrivateKey, kid: str, leading_zero: bool = False) -> dict:
    nums = key.public_key().public_numbers()
    n = uint(nums.n)
    if leading_zero:
        n = b"\x00" + n
    return {"kty": "RSA", "kid": kid, "use": "sig", "n": b64(n), "e": b64(uint(nums.e))}


def rsa_token(key: rsa.RSAPrivateKey, kid: str, alg: str) -> str:
    signing_input = segment({"alg": alg, "kid": kid, "typ": "at+jwt"}) + "." + segment(CLAIMS)
    h = HASHES[alg[2:]]()
    if alg.startswith("RS"):
        pad = padding.PKCS1v15()
    else:
        pad = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
    return signing_input + "." + b64(key.sign(signing_input.encode(), pad, h))


def main() -> None:
    keys, cases = [], []
    for bits, kid in [(2048, "rsa-2048"), (3072, "rsa-3072"), (4096, "rsa-4096")]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        keys.append(rsa_jwk(key, kid))
        for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]:
            cases.append({"name": f"{alg}_{bits}", "token": rsa_token(key, kid, alg), "valid": True})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    keys.append(rsa_jwk(key, "rsa-leading-zero", leading_zero=True))
    cases.append({"name": "n_with_leading_zero", "token": rsa_token(key, "rsa-leading-zero", "RS256"), "valid": True})

    ec_key = ec.generate_private_key(ec.SECP256R1())
    pub = ec_key.public_key().public_numbers()
    keys.append({"kty": "EC", "crv": "P-256", "kid": "p256", "x": b64(uint(pub.x, 32)), "y": b64(uint(pub.y, 32))})
    signing_input = segment({"alg": "ES256", "kid": "p256"}) + "." + segment(CLAIMS)
    r, s = utils.decode_dss_signature(ec_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    low, high = min(s, P256_N - s), max(s, P256_N - s)
    for name, sv in [("es256_low_s", low), ("es256_high_s", high)]:
        cases.append({"name": name, "token": signing_input + "." + b64(uint(r, 32) + uint(sv, 32)), "valid": True})
    # DER-encoded ECDSA signatures are not JWS signatures.
    der = utils.encode_dss_signature(r, s)
    cases.append({"name": "es256_der_signature", "token": signing_input + "." + b64(der), "valid": False})
    print(json.dumps({"generator": "gen_extra_vectors.py (Python cryptography)", "jwks": {"keys": keys}, "cases": cases}, indent=1))


if __name__ == "__main__":
    main()
