#!/usr/bin/env python3
"""Prove an installed gopher-mcp-python works: run it with the interpreter of the install.

    <venv>/bin/python scripts/verify_install.py [--expect-version X.Y.Z]

Run it from a directory outside the checkout. It checks that the native library came from
the installed platform wheel (not a development build, not an override), that it is ours
(version and ABI), and validates real tokens: an RS256 token minted here with the
``cryptography`` package against a JWKS loaded with ``load_jwks`` must pass; the same token
with a forged signature, or checked for another audience, must fail with the right code.
Exit status 0 means every check passed.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

REPO = Path(__file__).resolve().parents[1]
ISSUER = "https://idp.verify-install.invalid/"
AUDIENCE = "https://mcp.verify-install.invalid/mcp"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def mint_rs256(key: rsa.RSAPrivateKey, kid: str, claims: dict[str, object]) -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def jwks_for(key: rsa.RSAPrivateKey, kid: str) -> str:
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
           "n": _uint(numbers.n), "e": _uint(numbers.e)}
    return json.dumps({"keys": [jwk]})


def _host_platform_module() -> str:
    sys.path.insert(0, str(REPO / "packages" / "native-common"))
    try:
        platforms = importlib.import_module("gopher_native_build.platforms")
    finally:
        sys.path.pop(0)
    plat = platforms.host_platform()
    if plat is None:
        raise SystemExit(f"no native wheel exists for {sys.platform}/{os.uname().machine}")
    return str(plat.import_name)


def _token_verdicts(
    g: Any, key: rsa.RSAPrivateKey, token: str, forged: str, failures: list[str]
) -> int:
    """Validate the good, forged and wrong-audience tokens; append wrong verdicts to failures."""
    with g.GopherAuthClient("https://idp.verify-install.invalid/jwks", ISSUER) as client:
        client.load_jwks(jwks_for(key, "k1"))
        cases = [
            ("valid RS256 token", token, AUDIENCE, True, int(g.GopherAuthError.SUCCESS)),
            ("forged signature", forged, AUDIENCE, False, int(g.GopherAuthError.INVALID_SIGNATURE)),
            ("other audience", token, "https://other.invalid/mcp", False,
             int(g.GopherAuthError.INVALID_AUDIENCE)),
        ]
        for label, candidate, audience, valid, code in cases:
            with g.GopherValidationOptions() as options:
                options.set_audience(audience)
                result = client.validate_token(candidate, options)
            if (result.valid, int(result.error_code)) != (valid, code):
                failures.append(
                    f"{label}: got valid={result.valid} code={result.error_code} "
                    f"({result.error_message}), expected valid={valid} code={code}")
    return len(cases)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--expect-version",
                        default=(REPO / "GOPHER_ORCH_VERSION").read_text().strip())
    args = parser.parse_args()
    if os.environ.get("GOPHER_ORCH_LIBRARY_PATH"):
        raise SystemExit("unset GOPHER_ORCH_LIBRARY_PATH: this checks the installed wheel")

    import gopher_mcp_python as g  # the installed package, not the checkout's source

    package_file = Path(g.__file__).resolve()
    if REPO in package_file.parents:
        raise SystemExit(f"imported gopher_mcp_python from the checkout ({package_file}), "
                         "not from the installation; run this from another directory")
    module_name = _host_platform_module()
    native = importlib.import_module(module_name)
    try:
        info = g.load_library()
    except g.NativeLibraryError as exc:
        print(f"verify_install FAILED: the native library does not load: {exc}", file=sys.stderr)
        return 1
    checks = {
        "core version": (g.__version__, args.expect_version),
        "native package version": (native.__version__, args.expect_version),
        "library version": (g.gopher_get_auth_library_version(), args.expect_version),
        "library ABI": (info.abi_version, g.ABI_VERSION),
        "library source": (info.source, f"platform package {module_name}"),
        "library path": (str(Path(info.path).resolve()),
                         str(Path(native.get_library_path()).resolve())),
    }
    failures = [f"{name}: got {got!r}, expected {want!r}"
                for name, (got, want) in checks.items() if got != want]

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "verify-install", "iat": now,
              "exp": now + 300, "scope": "mcp:read"}
    token = mint_rs256(key, "k1", claims)
    forged = token[: token.rindex(".") + 1] + _b64(b"\0" * 256)
    try:
        verdicts = _token_verdicts(g, key, token, forged, failures)
    except g.GopherAuthException as exc:
        verdicts = 0
        failures.append(f"token validation raised {type(exc).__name__}: {exc}")

    where = f"{sys.version.split()[0]} {info.path}"
    if failures:
        print(f"verify_install FAILED ({where}):", *failures, sep="\n  ", file=sys.stderr)
        return 1
    print(f"verify_install OK ({where}): library {info.version}, ABI {info.abi_version}, "
          f"{len(checks)} identity checks, {verdicts} token verdicts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
