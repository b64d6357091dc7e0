"""GopherAuthClient against the real library: every algorithm, every verdict, every misuse."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import ALGORITHMS, AUDIENCE, ISSUER, standard_claims
from gopher_mcp_python import (
    GopherAuthClient,
    GopherAuthError,
    GopherAuthException,
    GopherHandleClosedError,
    GopherInvalidConfigError,
    GopherInvalidKeyError,
    GopherInvalidParameterError,
    GopherInvalidTokenError,
    GopherValidationOptions,
    TokenPayload,
    ValidationResult,
)
from jose_mint import SigningKey, generate_key, jwks, mint
from jwks_server import JwksServer, serve_jwks
from tls_pki import make_loopback_pki


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_valid_token_of_every_algorithm_over_loopback_jwks(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any, alg: str
) -> None:
    result = client.validate_token(token_for(alg), options)
    assert result == ValidationResult(True, GopherAuthError.SUCCESS, None)
    assert result.error is None


def test_a_validation_without_an_audience_is_a_configuration_error(
    client: GopherAuthClient, token_for: Any
) -> None:
    # The audience check is never silently off: without options, or with options naming no
    # audience, every call's verdict is INVALID_CONFIG (the token is not even looked at).
    token = token_for(aud="https://somewhere.else")
    with GopherValidationOptions() as bare:
        for options in (None, bare):
            result = client.validate_token(token, options)
            assert (result.valid, result.error_code) == (False, GopherAuthError.INVALID_CONFIG)
            assert "no audience is configured" in (result.error_message or "")
            result, payload = client.validate_and_extract(token, options)
            assert (result.error_code, payload) == (GopherAuthError.INVALID_CONFIG, None)
        bare.set_audience("https://somewhere.else")
        with pytest.raises(GopherInvalidParameterError, match="cannot be turned off"):
            bare.set_audience("")
        with pytest.raises(GopherInvalidParameterError, match="cannot be turned off"):
            bare.set_audiences([])
        with pytest.raises(GopherInvalidParameterError, match="an item is empty"):
            bare.set_audiences([AUDIENCE, ""])
        assert client.validate_token(token, bare).valid, "the audience set before still applies"


def test_validate_and_extract_returns_every_verified_claim(
    client: GopherAuthClient, options: GopherValidationOptions, keys: dict[str, SigningKey]
) -> None:
    claims = standard_claims(
        scope="mcp:read mcp:admin",
        scp=["mcp:write", "mcp:read"],
        extra={"nested": [1, 2.5, None, True], "text": "caf\u00e9 \u2603"},
        exp=int(time.time()) + 1234,
    )
    result, payload = client.validate_and_extract(mint(keys["ES256"], claims), options)
    assert result.valid
    assert payload == TokenPayload(
        subject="user-42",
        scopes="mcp:read mcp:admin mcp:write",
        audience=AUDIENCE,
        expiration=claims["exp"],
        issuer=ISSUER,
        claims=claims,
        client_id="test-client",
        scope_items=("mcp:read", "mcp:admin", "mcp:write"),
        audience_items=(AUDIENCE,),
    )
    assert payload.scope_list == ["mcp:read", "mcp:admin", "mcp:write"]
    assert payload.has_scope("mcp:admin")
    assert not payload.has_scope("mcp")


def test_validate_and_extract_payload_shapes(
    client: GopherAuthClient, keys: dict[str, SigningKey], options: GopherValidationOptions
) -> None:
    token = mint(
        keys["EdDSA"],
        standard_claims(sub=None, scope=None, aud=[AUDIENCE, "second"], exp=4102444800.75),
    )
    result, payload = client.validate_and_extract(token, options)
    assert result.valid
    assert payload is not None
    assert payload.subject is None
    assert payload.scopes == ""
    assert payload.scope_list == []
    assert payload.audience == f"{AUDIENCE} second"
    assert payload.expiration == 4102444800
    assert payload.claims["aud"] == [AUDIENCE, "second"]


def test_validate_and_extract_on_failure_gives_no_payload(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any
) -> None:
    result, payload = client.validate_and_extract(token_for(exp=int(time.time()) - 3600), options)
    assert payload is None
    assert not result.valid
    assert result.error_code == GopherAuthError.EXPIRED_TOKEN
    assert result.error is GopherAuthError.EXPIRED_TOKEN
    assert result.error_message


def test_nul_in_audiences_and_scopes_is_carried_by_the_json_lists(
    client: GopherAuthClient, keys: dict[str, SigningKey], options: GopherValidationOptions
) -> None:
    # Audiences and scopes come as JSON arrays, which represent a NUL exactly (no C-string
    # truncation); a NUL in a scope makes it no RFC 6749 scope-token, so it grants nothing.
    claims = standard_claims(aud=[AUDIENCE, "x\u0000y"], scope="a\u0000b ok")
    result, payload = client.validate_and_extract(mint(keys["RS256"], claims), options)
    assert result.valid
    assert payload is not None
    assert payload.audience_items == (AUDIENCE, "x\u0000y")
    assert payload.scope_items == ("ok",)


@pytest.mark.parametrize(("claim", "value"), [("sub", "user\u0000admin")])
def test_a_verified_token_with_a_nul_in_a_string_claim_is_refused_as_a_verdict(
    client: GopherAuthClient,
    keys: dict[str, SigningKey],
    claim: str,
    value: object,
    options: GopherValidationOptions,
) -> None:
    # Signed correctly, but a claim the payload getters hand out as a C string holds a NUL:
    # it cannot be represented, so it is an INVALID_TOKEN verdict, never an exception (a server
    # would answer 500 instead of 401). No options: no audience check, so `aud` gets that far.
    claims = standard_claims()
    claims[claim] = value
    result, payload = client.validate_and_extract(mint(keys["RS256"], claims), options)
    assert payload is None
    assert not result.valid
    assert result.error_code == GopherAuthError.INVALID_TOKEN
    assert result.error_message


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"exp": 1_000_000}, GopherAuthError.EXPIRED_TOKEN),
        ({"iss": "https://evil.example/"}, GopherAuthError.INVALID_ISSUER),
        ({"aud": "https://other.example/mcp"}, GopherAuthError.INVALID_AUDIENCE),
        ({"exp": None}, GopherAuthError.INVALID_TOKEN),
    ],
)
def test_claim_failures(
    client: GopherAuthClient,
    options: GopherValidationOptions,
    token_for: Any,
    overrides: dict[str, Any],
    expected: GopherAuthError,
) -> None:
    result = client.validate_token(token_for("PS256", **overrides), options)
    assert (result.valid, result.error_code) == (False, expected)
    assert isinstance(result.error_code, GopherAuthError)
    assert result.error_message


def test_wrong_issuer_message_arrives_intact_and_names_both_issuers(
    client: GopherAuthClient, token_for: Any, options: GopherValidationOptions
) -> None:
    result = client.validate_token(token_for(iss="https://attacker.example/"), options)
    assert result.error_code == GopherAuthError.INVALID_ISSUER
    assert result.error_message is not None
    assert "https://attacker.example/" in result.error_message
    assert ISSUER in result.error_message


def test_scopes_are_required_exactly(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any
) -> None:
    token = token_for(scope="mcp:read mcp:write")
    assert client.validate_token(token, options.set_scopes(["mcp:read"])).valid
    assert client.validate_token(token, options.set_scopes(["mcp:read", "mcp:write"])).valid
    for missing in (["mcp:admin"], ["mcp"], ["mcp:read", "mcp:rea"]):
        result = client.validate_token(token, options.set_scopes(missing))
        assert result.error_code == GopherAuthError.INSUFFICIENT_SCOPE, missing
        assert result.error_message
    assert client.validate_token(token, options.set_scopes([])).valid


def test_fixed_time_and_clock_skew(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any
) -> None:
    token = token_for(iat=2_000_000_000, nbf=2_000_000_000, exp=2_000_000_100)
    assert not client.validate_token(token, options).valid  # not valid yet by the real clock
    options.set_time(2_000_000_050)
    assert client.validate_token(token, options).valid
    options.set_time(2_000_000_130)  # 30 s after exp, inside the default 60 s skew
    assert client.validate_token(token, options).valid
    options.set_clock_skew(0)
    assert client.validate_token(token, options).error_code == GopherAuthError.EXPIRED_TOKEN
    options.set_time(0)  # back to the system clock
    assert not client.validate_token(token, options).valid


def test_tampered_and_foreign_signatures_fail(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any
) -> None:
    token = token_for("RS256")
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert not client.validate_token(f"{header}.{payload}.{flipped}", options).valid
    impostor = generate_key("RS256", kid="rs256-1")  # same kid, different key
    forged = mint(impostor, standard_claims())
    result = client.validate_token(forged, options)
    assert result.error_code == GopherAuthError.INVALID_SIGNATURE


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b", "a.b.c.d", "eyJhbGciOiJub25lIn0.e30.", "x" * 20000],
)
def test_malformed_tokens_are_verdicts_not_exceptions(
    client: GopherAuthClient, token: str, options: GopherValidationOptions
) -> None:
    result = client.validate_token(token, options)
    assert not result.valid
    assert result.error_code != GopherAuthError.SUCCESS
    assert result.error_message


def test_token_with_nul_or_bad_text_is_rejected_before_c(
    client: GopherAuthClient, token_for: Any, options: GopherValidationOptions
) -> None:
    token = token_for()
    for bad in (token + "\x00junk", "\x00" + token, token[:10] + "\ud800" + token[10:]):
        result = client.validate_token(bad, options)
        assert result.error_code == GopherAuthError.INVALID_TOKEN
        assert result.error_message
        result, payload = client.validate_and_extract(bad, options)
        assert (result.error_code, payload) == (GopherAuthError.INVALID_TOKEN, None)
    assert not client.validate_token((token + "\x00x").encode(), options).valid
    for raw in (b"\xff\xfe" + token.encode(), token.encode() + b"\xc3"):
        result = client.validate_token(raw, options)
        assert result.error_code == GopherAuthError.INVALID_TOKEN
        assert result.error_message == "the token is not valid UTF-8 text"


def test_bytes_tokens_are_accepted(
    client: GopherAuthClient, token_for: Any, options: GopherValidationOptions
) -> None:
    token = token_for()
    assert client.validate_token(token.encode(), options).valid
    assert client.validate_token(bytearray(token.encode()), options).valid
    result, payload = client.validate_and_extract(token.encode(), options)
    assert result.valid
    assert payload is not None


def test_non_text_token_is_a_type_error(
    client: GopherAuthClient, options: GopherValidationOptions
) -> None:
    with pytest.raises(TypeError, match="token must be a str or bytes"):
        client.validate_token(12345, options)  # type: ignore[arg-type]


def test_options_of_the_wrong_type_are_a_type_error(
    client: GopherAuthClient, token_for: Any
) -> None:
    for call in (client.validate_token, client.validate_and_extract):
        with pytest.raises(TypeError, match="GopherValidationOptions or None, not dict"):
            call(token_for(), {"audience": AUDIENCE})  # type: ignore[arg-type]


def test_extract_payload_decodes_without_verifying(client: GopherAuthClient) -> None:
    unknown = generate_key("ES384", kid="nobody-knows")
    claims = standard_claims(iss="https://anyone.example/", exp=1)
    payload = client.extract_payload(mint(unknown, claims))
    assert payload.issuer == "https://anyone.example/"
    assert payload.expiration == 1
    assert payload.claims == claims


def test_extract_payload_of_malformed_token_raises_with_native_message(
    client: GopherAuthClient,
) -> None:
    with pytest.raises(GopherInvalidTokenError) as caught:
        client.extract_payload("not-a-jwt")
    assert caught.value.code == GopherAuthError.INVALID_TOKEN
    assert caught.value.native_message
    assert caught.value.native_message in str(caught.value)
    with pytest.raises(GopherInvalidTokenError, match="NUL"):
        client.extract_payload("a.b.c\x00")


# ------------------------------------------------------------------------------ configuration


def test_create_rejects_bad_configuration_with_native_messages(native_library: Any) -> None:
    with pytest.raises(GopherInvalidConfigError) as caught:
        GopherAuthClient("ftp://idp.example/jwks", ISSUER)
    assert caught.value.code == GopherAuthError.INVALID_CONFIG
    assert caught.value.native_message
    assert caught.value.native_message in str(caught.value)
    with pytest.raises(GopherInvalidConfigError):
        GopherAuthClient("https://idp.example/jwks", "")
    with pytest.raises(GopherInvalidParameterError, match="NUL"):
        GopherAuthClient("https://idp.example/jwks\x00", ISSUER)
    with pytest.raises(TypeError):
        GopherAuthClient(None, ISSUER)  # type: ignore[arg-type]
    assert isinstance(GopherInvalidConfigError("x"), ValueError)


def self_signed_ca(path: Path) -> Path:
    """A PEM file holding one self-signed CA certificate."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gopher test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def test_set_option_converts_python_values(
    client: GopherAuthClient, tmp_path: Path, keys: dict[str, SigningKey]
) -> None:
    assert client.set_option("auto_refresh", False) is client
    client.set_option("ca_bundle", self_signed_ca(tmp_path / "ca.pem"))  # a Path is accepted
    with pytest.raises(GopherInvalidConfigError, match="ca_bundle"):
        client.set_option("ca_bundle", tmp_path / "missing.pem")
    client.set_option("cache_duration", 600).set_option("request_timeout", 5)
    client.set_option("min_refresh_interval", 0).set_option("token_cache_size", 0)
    client.set_option("allow_insecure_http", True).set_option("max_token_bytes", 4096)
    client.set_option("allowed_algorithms", ["ES256", "EdDSA"])
    client.set_option("allowed_algorithms", ("ES256",))
    client.set_option("allowed_algorithms", "ES256,ES384")


def test_allowed_algorithms_restricts_verification(
    client: GopherAuthClient, token_for: Any, options: GopherValidationOptions
) -> None:
    client.set_option("allowed_algorithms", ["ES256"])
    assert client.validate_token(token_for("ES256"), options).valid
    result = client.validate_token(token_for("RS256"), options)
    assert not result.valid
    assert result.error_message


def test_max_token_bytes_is_applied(
    client: GopherAuthClient, token_for: Any, options: GopherValidationOptions
) -> None:
    token = token_for(padding="p" * 600)
    assert client.validate_token(token, options).valid
    client.set_option("max_token_bytes", 256)
    assert not client.validate_token(token, options).valid


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("no_such_option", "1"),
        ("request_timeout", 0),
        ("request_timeout", 301),
        ("cache_duration", "soon"),
        ("auto_refresh", "maybe"),
        ("allowed_algorithms", ["HS256"]),
        ("allowed_algorithms", ["none"]),
        ("max_token_bytes", 1),
    ],
)
def test_rejected_options_raise_naming_the_option(
    client: GopherAuthClient, name: str, value: Any
) -> None:
    with pytest.raises(GopherInvalidConfigError) as caught:
        client.set_option(name, value)
    assert caught.value.native_message
    assert name in caught.value.native_message
    assert name in str(caught.value)


@pytest.mark.parametrize("value", [1.5, None, {"a": 1}, [1, 2]])
def test_set_option_rejects_unsupported_python_types(client: GopherAuthClient, value: Any) -> None:
    with pytest.raises(TypeError, match="cache_duration"):
        client.set_option("cache_duration", value)


def test_load_jwks_accepts_text_and_dicts_and_stops_fetching(
    native_library: Any,
    keys: dict[str, SigningKey],
    token_for: Any,
    options: GopherValidationOptions,
) -> None:
    with GopherAuthClient("", ISSUER) as static:
        assert static.load_jwks(json.dumps(jwks(keys["EdDSA"]))) is static
        assert static.validate_token(token_for("EdDSA"), options).valid
        assert not static.validate_token(token_for("RS256"), options).valid
        static.load_jwks(jwks(keys["RS256"]))  # replaces the keys
        assert static.validate_token(token_for("RS256"), options).valid
        assert not static.validate_token(token_for("EdDSA"), options).valid


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        "[]",
        '{"keys": []}',
        '{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}',
    ],
)
def test_load_jwks_without_usable_keys_raises(native_library: Any, document: str) -> None:
    with GopherAuthClient("", ISSUER) as static:
        with pytest.raises(GopherInvalidKeyError) as caught:
            static.load_jwks(document)
        assert caught.value.code == GopherAuthError.INVALID_KEY
        assert caught.value.native_message


def test_unreachable_jwks_fails_closed_with_key_availability_error(
    native_library: Any, options: GopherValidationOptions
) -> None:
    with serve_jwks({"keys": []}) as server:
        url = server.url
    # the server is gone: nothing listens on that port any more
    with GopherAuthClient(url, ISSUER) as orphan:
        orphan.set_option("request_timeout", 2)
        key = generate_key("ES256", kid="k")
        result = orphan.validate_token(mint(key, standard_claims()), options)
    assert not result.valid
    assert result.error_code in (GopherAuthError.JWKS_FETCH_FAILED, GopherAuthError.NETWORK_ERROR)
    assert result.error_message


def test_https_jwks_with_a_private_ca_bundle(
    native_library: Any,
    tmp_path: Path,
    jwks_document: dict[str, Any],
    token_for: Any,
    options: GopherValidationOptions,
) -> None:
    """A real TLS loopback server whose certificate only the given ca_bundle trusts."""
    ca_bundle, tls = make_loopback_pki(tmp_path)
    with serve_jwks(jwks_document, tls=tls) as server:
        assert server.url.startswith("https://")
        with GopherAuthClient(server.url, ISSUER) as untrusting:
            untrusting.set_option("request_timeout", 5)
            refused = untrusting.validate_token(token_for("ES256"), options)
        with GopherAuthClient(server.url, ISSUER) as trusting:
            trusting.set_option("ca_bundle", ca_bundle)
            accepted = trusting.validate_token(token_for("ES256"), options)
    assert refused.error_code in (GopherAuthError.JWKS_FETCH_FAILED, GopherAuthError.NETWORK_ERROR)
    assert refused.error_message
    assert accepted == ValidationResult(True, GopherAuthError.SUCCESS, None)


def test_keys_are_fetched_once_and_reused(
    native_library: Any,
    jwks_document: dict[str, Any],
    token_for: Any,
    options: GopherValidationOptions,
) -> None:
    with serve_jwks(jwks_document) as server, GopherAuthClient(server.url, ISSUER) as fresh:
        for alg in ALGORITHMS:
            assert fresh.validate_token(token_for(alg), options).valid
        assert server.request_count == 1


# ------------------------------------------------------------------------------- lifetime


def test_destroyed_client_raises_instead_of_crashing(
    jwks_server: JwksServer, options: GopherValidationOptions, token_for: Any
) -> None:
    doomed = GopherAuthClient(jwks_server.url, ISSUER)
    token = token_for()
    assert doomed.validate_token(token, options).valid
    doomed.destroy()
    doomed.destroy()  # idempotent
    assert doomed.is_destroyed
    calls = [
        lambda: doomed.validate_token(token, options),
        lambda: doomed.validate_and_extract(token, options),
        lambda: doomed.extract_payload(token),
        lambda: doomed.set_option("cache_duration", 10),
        lambda: doomed.load_jwks({"keys": []}),
    ]
    for call in calls:
        with pytest.raises(GopherHandleClosedError, match="destroyed"):
            call()
    with pytest.raises(GopherHandleClosedError), doomed:
        pass
    assert "destroyed" in repr(doomed)


def test_context_manager_destroys(
    jwks_server: JwksServer, token_for: Any, options: GopherValidationOptions
) -> None:
    with GopherAuthClient(jwks_server.url, ISSUER) as managed:
        assert "live" in repr(managed)
        assert managed.validate_token(token_for(), options).valid
    assert managed.is_destroyed
    with pytest.raises(GopherHandleClosedError):
        managed.validate_token(token_for(), options)


def test_validation_with_destroyed_options_raises(client: GopherAuthClient, token_for: Any) -> None:
    options = GopherValidationOptions()
    options.destroy()
    with pytest.raises(GopherHandleClosedError):
        client.validate_token(token_for(), options)
    with pytest.raises(GopherHandleClosedError):
        client.validate_and_extract(token_for(), options)


def test_exceptions_share_one_base_and_keep_builtins_unshadowed() -> None:
    import builtins

    import gopher_mcp_python

    exported = [getattr(gopher_mcp_python, name) for name in gopher_mcp_python.__all__]
    exception_types = [
        item for item in exported if isinstance(item, type) and issubclass(item, BaseException)
    ]
    assert len(exception_types) >= 5
    for exc_type in exception_types:
        assert issubclass(exc_type, GopherAuthException)
        assert not hasattr(builtins, exc_type.__name__)
        assert exc_type.__name__ != "GopherAuthError"


# ------------------------------------------------------------------ repeated tokens (memo)


def test_repeated_token_is_still_checked_on_every_call(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any
) -> None:
    """Claims of a token seen before are remembered; the verdict never is."""
    token = token_for("ES384", exp=2_000_000_100, iat=2_000_000_000, nbf=2_000_000_000)
    options.set_time(2_000_000_050)
    first, payload = client.validate_and_extract(token, options)
    assert first.valid
    assert payload is not None
    payload.claims["scope"] = "tampered"  # a caller's change must not leak into later calls
    payload.claims["aud"] = "tampered"
    again, second_payload = client.validate_and_extract(token, options)
    assert again.valid
    assert second_payload is not None
    assert second_payload.claims["scope"] == "mcp:read mcp:write"
    assert second_payload.claims is not payload.claims

    options.set_scopes(["mcp:admin"])
    result, none = client.validate_and_extract(token, options)
    assert (result.error_code, none) == (GopherAuthError.INSUFFICIENT_SCOPE, None)
    options.set_scopes([]).set_time(2_000_000_500)
    result, none = client.validate_and_extract(token, options)
    assert (result.error_code, none) == (GopherAuthError.EXPIRED_TOKEN, None)
    options.set_time(2_000_000_050).set_audience("https://another.example/mcp")
    result, none = client.validate_and_extract(token, options)
    assert (result.error_code, none) == (GopherAuthError.INVALID_AUDIENCE, None)


def test_repeated_token_against_a_client_of_another_issuer_is_refused(
    client: GopherAuthClient,
    jwks_server: JwksServer,
    token_for: Any,
    options: GopherValidationOptions,
) -> None:
    token = token_for()
    assert client.validate_and_extract(token, options)[0].valid
    with GopherAuthClient(jwks_server.url, "https://someone-else.example/") as other:
        result, payload = other.validate_and_extract(token, options)
    assert (result.error_code, payload) == (GopherAuthError.INVALID_ISSUER, None)


def test_decoded_payload_memo_is_bounded_and_hands_out_copies() -> None:
    from gopher_mcp_python.ffi.auth._payload import DecodedPayloads, PayloadFields

    memo = DecodedPayloads(max_entries=3, max_token_bytes=10)
    claims = {"sub": "s", "aud": ["a", "b"], "n": {"x": [1, 2.5, None, True]}}
    fields = PayloadFields("s", ("a",), (), 1, "i", claims, "c")
    for index in range(5):
        memo.remember(b"token-%d" % index, fields)
    assert len(memo) == 3
    assert memo.get(b"token-0") is None
    remembered = memo.get(b"token-4")
    assert remembered is not None
    first, second = remembered.to_payload(), remembered.to_payload()
    assert first == second == TokenPayload("s", "a", None, 1, "i", claims, "c", ("a",), ())
    assert first.claims is not second.claims
    assert first.claims["n"]["x"] is not second.claims["n"]["x"]
    memo.remember(b"x" * 11, fields)
    assert memo.get(b"x" * 11) is None


@pytest.mark.parametrize(
    ("claim", "value", "rule"),
    [
        ("typ", "ID", "rule payload-typ"),  # Keycloak ID token
        ("typ", "Refresh", "rule payload-typ"),
        ("typ", "Logout", "rule payload-typ"),
        ("token_use", "id", "rule token_use"),  # Cognito ID token
        ("nonce", "n-0S6_WzA2Mj", "carries nonce"),  # OpenID Connect ID token
        ("at_hash", "77QmUPtjPfzWtF2AnpK9RQ", "carries at_hash"),
        ("cnf", {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}, "rule cnf"),
    ],
)
def test_id_refresh_logout_and_bound_tokens_are_not_bearer_access_tokens(
    client: GopherAuthClient,
    options: GopherValidationOptions,
    token_for: Any,
    claim: str,
    value: Any,
    rule: str,
) -> None:
    token = token_for(**{claim: value})
    for _ in range(2):  # the second verdict must not come from a cache as a success
        result, payload = client.validate_and_extract(token, options)
        assert (result.error_code, payload) == (GopherAuthError.INVALID_TOKEN, None)
        assert result.error_message is not None
        assert rule in result.error_message


def test_access_token_markers_pass(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any
) -> None:
    for extra in ({"typ": "Bearer"}, {"typ": "at+jwt"}, {"token_use": "access"}):
        assert client.validate_token(token_for(**extra), options).valid, extra


def test_bound_tokens_pass_only_when_allowed(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any
) -> None:
    token = token_for(cnf={"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"})
    assert not client.validate_token(token, options).valid
    client.set_option("allow_bound_tokens_as_bearer", "true")
    assert client.validate_token(token, options).valid
    with pytest.raises(GopherInvalidConfigError, match="allow_bound_tokens_as_bearer"):
        client.set_option("allow_bound_tokens_as_bearer", "perhaps")


def test_scopes_come_as_the_engines_list_and_are_never_resplit(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any
) -> None:
    token = token_for(scope=None, scp=["mcp:read mcp:write", "ok", 'q"uote', "tab\tx"])
    result, payload = client.validate_and_extract(token, options)
    assert result.valid
    assert payload is not None
    assert payload.scope_items == ("ok",)
    assert payload.scope_list == ["ok"]
    assert payload.scopes == "ok"
    assert not payload.has_scope("mcp:read")
    assert not client.validate_token(token, options.set_scopes(["mcp:read"])).valid


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"client_id": "a", "azp": "b", "cid": "c", "appid": "d"}, "a"),
        ({"client_id": None, "azp": "b", "cid": "c"}, "b"),
        ({"client_id": None, "cid": "okta-app", "appid": "d"}, "okta-app"),
        ({"client_id": None, "appid": "entra-v1-app"}, "entra-v1-app"),
        ({"client_id": None}, None),
        ({"client_id": 7, "azp": "b"}, None),
    ],
)
def test_client_id_comes_from_the_engine(
    client: GopherAuthClient,
    options: GopherValidationOptions,
    token_for: Any,
    claims: dict[str, Any],
    expected: str | None,
) -> None:
    result, payload = client.validate_and_extract(token_for(**claims), options)
    assert result.valid
    assert payload is not None
    assert payload.client_id == expected


def test_es512_is_in_the_default_set_and_can_be_left_out(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any
) -> None:
    token = token_for("ES512")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "ES512"
    assert client.validate_token(token, options).valid
    client.set_option("allowed_algorithms", "RS256,ES256,ES384")
    result = client.validate_token(token, options)
    assert result.error_code == GopherAuthError.INVALID_TOKEN
    assert result.error_message is not None
    assert "ES512" in result.error_message
