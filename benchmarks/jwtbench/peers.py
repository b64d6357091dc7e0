"""The peer libraries, each set up the way its documentation recommends for a resource server.

Every setup parses the JWKS once, up front (pre-parsed keys are fair and what a server does),
then validates with the library's own API: ``kid`` lookup, signature, ``exp``/``nbf`` with
:data:`~.policy.LEEWAY_SECONDS`, ``iss``, ``aud``, and the scope check of :mod:`.policy`
(none of the peers has one). An algorithm a library cannot verify is listed as skipped with
the library's own reason.
"""

from __future__ import annotations

import importlib.metadata
import json
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .fixture import Fixture
from .policy import ALGORITHMS, AUDIENCE, ISSUER, LEEWAY_SECONDS, check_scopes

#: Validates one token; returns its claims or raises.
Validator = Callable[[str], object]


@dataclass
class LibrarySetup:
    """One library ready to validate: a validator per supported algorithm, reasons for the rest."""

    name: str
    distribution: str
    validators: dict[str, Validator]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """The installed version of the library's distribution."""
        return importlib.metadata.version(self.distribution)


def _all_algorithms(validator: Validator) -> dict[str, Validator]:
    return dict.fromkeys(ALGORITHMS, validator)


def pyjwt_setup(fixture: Fixture) -> LibrarySetup:
    """PyJWT: ``PyJWK`` objects by ``kid``; ``jwt.decode(token, key, algorithms, aud, iss)``."""
    import jwt

    keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(fixture.jwks).keys}
    algorithms = list(ALGORITHMS)
    options: Any = {"require": ["exp", "iss", "aud"]}

    def validate(token: str) -> object:
        kid = jwt.get_unverified_header(token).get("kid")
        key = keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise LookupError("no key with this kid")
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options=options,
        )
        check_scopes(claims)
        return claims

    return LibrarySetup("PyJWT", "pyjwt", _all_algorithms(validate))


def joserfc_setup(fixture: Fixture) -> LibrarySetup:
    """joserfc: a ``KeySet`` (key chosen by ``kid``) and a ``JWTClaimsRegistry``."""
    from joserfc import jwt
    from joserfc.errors import SecurityWarning
    from joserfc.jwk import KeySet

    # joserfc warns on every EdDSA verification (RFC 9864 prefers "Ed25519"); IdPs still issue
    # "EdDSA" tokens, so a server silences the warning once.
    warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)

    key_set = KeySet.import_key_set(fixture.jwks)  # type: ignore[arg-type]
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": AUDIENCE},
        exp={"essential": True},
    )
    algorithms = list(ALGORITHMS)

    def validate(token: str) -> object:
        decoded = jwt.decode(token, key_set, algorithms=algorithms)
        registry.validate(decoded.claims)
        check_scopes(decoded.claims)
        return decoded.claims

    return LibrarySetup("joserfc", "joserfc", _all_algorithms(validate))


def authlib_setup(fixture: Fixture) -> LibrarySetup:
    """Authlib: ``JsonWebToken`` with a ``KeySet``, essential claims, ``validate(leeway)``."""
    # Authlib >= 1.6 marks authlib.jose deprecated (in favour of joserfc) but keeps it until 2.0.
    # Its deprecate module forces that warning to "always" on import; silence it after that.
    from authlib.deprecate import AuthlibDeprecationWarning

    warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken

    key_set = JsonWebKey.import_key_set(fixture.jwks)
    decoder = JsonWebToken(list(ALGORITHMS))
    claims_options = {
        "iss": {"essential": True, "value": ISSUER},
        "aud": {"essential": True, "value": AUDIENCE},
        "exp": {"essential": True},
    }

    def validate(token: str) -> object:
        claims = decoder.decode(token, key_set, claims_options=claims_options)
        claims.validate(leeway=LEEWAY_SECONDS)
        check_scopes(claims)
        return claims

    return LibrarySetup("Authlib", "authlib", _all_algorithms(validate))


def jwcrypto_setup(fixture: Fixture) -> LibrarySetup:
    """jwcrypto: a ``JWKSet`` (key chosen by ``kid``) and ``JWT(..., check_claims=...)``.

    With ``check_claims`` jwcrypto checks ``nbf`` only when it is listed there, and listing it
    makes it mandatory; an optional ``nbf`` is therefore checked here, as its users must.
    """
    from jwcrypto import jwk, jwt

    key_set = jwk.JWKSet.from_json(fixture.jwks_json)
    algorithms = list(ALGORITHMS)
    check_claims: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "exp": None}

    def validate(token: str) -> object:
        verified = jwt.JWT(
            jwt=token,
            key=key_set,
            algs=algorithms,
            check_claims=check_claims,
            expected_type="JWS",
        )  # leeway: jwcrypto's default is 60 s, equal to LEEWAY_SECONDS
        claims = json.loads(verified.claims)
        not_before = claims.get("nbf")
        if not_before is not None and not_before > time.time() + LEEWAY_SECONDS:
            raise ValueError("token not yet valid (nbf)")
        check_scopes(claims)
        return claims

    return LibrarySetup("jwcrypto", "jwcrypto", _all_algorithms(validate))


def python_jose_setup(fixture: Fixture) -> LibrarySetup:
    """python-jose: keys pre-built with ``jwk.construct`` by ``kid``, ``jwt.decode(...)``."""
    from jose import jwk, jwt
    from jose.exceptions import JWKError

    default_alg = {"RSA": "RS256", "EC": "ES256", "OKP": "EdDSA"}
    keys: dict[str, Any] = {}
    refusals: dict[str, str] = {}
    for member in fixture.jwks["keys"]:
        try:
            alg = member.get("alg") or default_alg[member["kty"]]
            keys[member["kid"]] = jwk.construct(member, alg)
        except JWKError as error:
            refusals[member["kid"]] = f"jwk.construct refuses the key: {error}"
    algorithms = list(ALGORITHMS)
    options = {
        "leeway": LEEWAY_SECONDS,
        "require_exp": True,
        "require_iss": True,
        "require_aud": True,
    }

    def validate(token: str) -> object:
        kid = jwt.get_unverified_header(token).get("kid")
        key = keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise LookupError("no key with this kid")
        claims = jwt.decode(
            token, key, algorithms=algorithms, audience=AUDIENCE, issuer=ISSUER, options=options
        )
        check_scopes(claims)
        return claims

    validators: dict[str, Validator] = {}
    skipped: dict[str, str] = {}
    for alg in ALGORITHMS:
        kid = f"bench-{alg.lower()}"
        if kid in refusals:
            skipped[alg] = refusals[kid]
        else:
            validators[alg] = validate
    return LibrarySetup("python-jose", "python-jose", validators, skipped)


PEER_SETUPS: Mapping[str, Callable[[Fixture], LibrarySetup]] = {
    "PyJWT": pyjwt_setup,
    "joserfc": joserfc_setup,
    "Authlib": authlib_setup,
    "jwcrypto": jwcrypto_setup,
    "python-jose": python_jose_setup,
}
