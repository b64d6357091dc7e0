"""Test-only JOSE: signing keys, their public JWKs, and signed JWTs, built with ``cryptography``.

The engine under test is Rust; these tokens come from an independent implementation.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_EC_CURVES = {
    "ES256": (ec.SECP256R1, "P-256", 32),
    "ES384": (ec.SECP384R1, "P-384", 48),
    "ES512": (ec.SECP521R1, "P-521", 66),
}


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int, size: int | None = None) -> str:
    length = size if size is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url(value.to_bytes(length, "big"))


@dataclass(frozen=True)
class SigningKey:
    """A private key, the JWS ``alg`` it signs with, and its ``kid``."""

    alg: str
    kid: str
    private: Any

    def public_jwk(self, *, with_alg: bool = True) -> dict[str, Any]:
        """The public JWK (``use: sig``)."""
        public = self.private.public_key()
        jwk: dict[str, Any]
        if self.alg[:2] in ("RS", "PS"):
            numbers = public.public_numbers()
            jwk = {"kty": "RSA", "n": _uint(numbers.n), "e": _uint(numbers.e)}
        elif self.alg in _EC_CURVES:
            _, crv, size = _EC_CURVES[self.alg]
            numbers = public.public_numbers()
            jwk = {
                "kty": "EC",
                "crv": crv,
                "x": _uint(numbers.x, size),
                "y": _uint(numbers.y, size),
            }
        else:
            raw = public.public_bytes_raw()
            jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
        jwk.update({"kid": self.kid, "use": "sig"})
        if with_alg:
            jwk["alg"] = self.alg
        return jwk

    def sign(self, signing_input: bytes) -> bytes:
        """The JWS signature of ``signing_input`` in its compact-serialisation encoding."""
        alg = self.alg
        if alg.startswith("RS"):
            return self.private.sign(signing_input, padding.PKCS1v15(), _HASHES[alg[2:]]())
        if alg.startswith("PS"):
            digest = _HASHES[alg[2:]]()
            pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
            return self.private.sign(signing_input, pss, digest)
        if alg in _EC_CURVES:
            _, _, size = _EC_CURVES[alg]
            der = self.private.sign(signing_input, ec.ECDSA(_HASHES[alg[2:]]()))
            r, s = decode_dss_signature(der)
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return self.private.sign(signing_input)


def generate_key(alg: str, kid: str | None = None, *, rsa_bits: int = 2048) -> SigningKey:
    """A fresh key for ``alg`` (RS*/PS* RSA, ES256/384/512 on P-256/384/521, EdDSA Ed25519)."""
    private: Any
    if alg[:2] in ("RS", "PS"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    elif alg in _EC_CURVES:
        private = ec.generate_private_key(_EC_CURVES[alg][0]())
    elif alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        raise ValueError(f"no key type for {alg}")
    return SigningKey(alg, kid or f"{alg.lower()}-key", private)


def jwks(*keys: SigningKey) -> dict[str, Any]:
    """The JWK Set holding the public halves of ``keys``."""
    return {"keys": [key.public_jwk() for key in keys]}


def mint(
    key: SigningKey,
    claims: dict[str, Any],
    *,
    header: dict[str, Any] | None = None,
    with_kid: bool = True,
) -> str:
    """A compact JWS of ``claims`` signed with ``key`` (header: alg, typ at+jwt, kid)."""
    protected: dict[str, Any] = {"alg": key.alg, "typ": "at+jwt"}
    if with_kid:
        protected["kid"] = key.kid
    protected.update(header or {})
    signing_input = (
        b64url(json.dumps(protected, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    return signing_input + "." + b64url(key.sign(signing_input.encode("ascii")))
