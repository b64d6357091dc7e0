"""Property tests of the Python API: random input never crashes, hangs or gets a wrong verdict.

Hypothesis feeds random bytes, text, token-shaped strings, JWK Sets, options and header
parameters to ``validate_token`` / ``validate_and_extract`` / ``extract_payload`` /
``load_jwks`` / ``set_option`` / the options setters / the ``WWW-Authenticate`` generators,
through the real native library. Each test checks a property, not only "no exception":

- a verdict is a ``ValidationResult`` whose code is one of the token verdicts, with a bounded
  message (the header promises ≤ 512 bytes); random or mutated tokens are never valid;
- for a genuine token, the verdict under random audience/scopes/clock options equals a small
  Python model of POLICY.md (so the engine is neither too strict nor too lax);
- misuse raises only the documented exceptions, and the client keeps working afterwards;
- a rendered header re-parses (RFC 9110 auth-params) to exactly the parameters given.

Sizing: ``GOPHER_PROPERTY_EXAMPLES`` (default 60) examples per test; the deadline is a hang
guard only (seconds per call, where a call takes microseconds), not a timing assertion.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import AUDIENCE, ISSUER, standard_claims
from gopher_mcp_python import (
    GopherAuthClient,
    GopherAuthError,
    GopherValidationOptions,
    NativeLibraryInfo,
    TokenPayload,
    ValidationResult,
    gopher_generate_www_authenticate_header,
    gopher_generate_www_authenticate_header_v2,
)
from gopher_mcp_python.ffi.auth.errors import (
    GopherInvalidConfigError,
    GopherInvalidKeyError,
    GopherInvalidParameterError,
    GopherInvalidTokenError,
)
from jose_mint import SigningKey, b64url, generate_key, jwks, mint

EXAMPLES = int(os.environ.get("GOPHER_PROPERTY_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=5),  # a hang guard, not a speed check
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Codes a token (as opposed to the configuration) can earn.
TOKEN_VERDICTS = frozenset(
    {
        GopherAuthError.INVALID_TOKEN,
        GopherAuthError.EXPIRED_TOKEN,
        GopherAuthError.INVALID_SIGNATURE,
        GopherAuthError.INVALID_ISSUER,
        GopherAuthError.INVALID_AUDIENCE,
        GopherAuthError.INSUFFICIENT_SCOPE,
        GopherAuthError.INVALID_KEY,
    }
)
MAX_MESSAGE_BYTES = 512
TOKEN_SCOPES = ("mcp:read", "mcp:write")  # what standard_claims() grants
NOW = 1_767_225_600  # the fixed clock of the time-model test (2026-01-01T00:00:00Z)

# Any Unicode text, lone surrogates and NUL included (the binding must turn them into verdicts).
any_text = st.text(st.characters(exclude_categories=()), max_size=600)
b64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
b64ish = st.text(st.sampled_from(b64_alphabet + "=+/. \t%"), max_size=200)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "kid", "exp", "x"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def _check_verdict(
    result: ValidationResult, also: frozenset[GopherAuthError] = frozenset()
) -> None:
    """A refused verdict of the documented shape (``also``: further codes tolerated here)."""
    assert isinstance(result, ValidationResult)
    assert result.valid is False
    assert result.error_code in TOKEN_VERDICTS | also, result
    assert result.error_message, result
    assert len(result.error_message.encode("utf-8")) <= MAX_MESSAGE_BYTES


# ------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def signing_keys(native_library: NativeLibraryInfo) -> tuple[SigningKey, SigningKey]:
    """An RS256 and an ES256 key (module scope: hypothesis reuses them across examples)."""
    return generate_key("RS256", kid="prop-rs"), generate_key("ES256", kid="prop-es")


@pytest.fixture(scope="module")
def static_client(signing_keys: tuple[SigningKey, ...]) -> Iterator[GopherAuthClient]:
    """A client with static keys (no fetching), the token cache on."""
    with GopherAuthClient("", ISSUER) as client:
        client.load_jwks(json.dumps(jwks(*signing_keys)))
        yield client


@pytest.fixture(scope="module")
def audience_options(native_library: NativeLibraryInfo) -> Iterator[GopherValidationOptions]:
    """Options requiring AUDIENCE."""
    with GopherValidationOptions() as options:
        yield options.set_audience(AUDIENCE)


@pytest.fixture(scope="module")
def good_tokens(signing_keys: tuple[SigningKey, ...]) -> list[str]:
    """Valid tokens (one per key) for ISSUER/AUDIENCE."""
    return [mint(key, standard_claims()) for key in signing_keys]


def test_good_tokens_validate(
    static_client: GopherAuthClient,
    audience_options: GopherValidationOptions,
    good_tokens: list[str],
) -> None:
    """The baseline the properties below rely on: the genuine tokens are accepted."""
    for token in good_tokens:
        assert static_client.validate_token(token, audience_options).valid


# ------------------------------------------------------------------------ random tokens


@FUZZ
@given(token=any_text)
def test_random_text_is_refused(
    static_client: GopherAuthClient, audience_options: GopherValidationOptions, token: str
) -> None:
    """Any text: a refusal with a token verdict, through both validation calls."""
    _check_verdict(static_client.validate_token(token, audience_options))
    result, payload = static_client.validate_and_extract(token, audience_options)
    _check_verdict(result)
    assert payload is None


@FUZZ
@given(token=st.binary(max_size=600))
def test_random_bytes_are_refused(
    static_client: GopherAuthClient, audience_options: GopherValidationOptions, token: bytes
) -> None:
    """Any bytes (NUL, invalid UTF-8 …): a refusal with a token verdict, never an exception."""
    _check_verdict(static_client.validate_token(token, audience_options))
    _check_verdict(static_client.validate_and_extract(token, audience_options)[0])


def test_non_utf8_bytes_token_is_an_invalid_token(
    static_client: GopherAuthClient, audience_options: GopherValidationOptions
) -> None:
    """A non-UTF-8 token is a bad token, whichever Python type carries it."""
    assert static_client.validate_token("\udc80", audience_options).error_code == (
        GopherAuthError.INVALID_TOKEN
    )
    result = static_client.validate_token(b"\x80", audience_options)
    assert result.error_code == GopherAuthError.INVALID_TOKEN, result


@FUZZ
@given(segments=st.lists(b64ish, min_size=1, max_size=6))
def test_token_shaped_noise_is_refused(
    static_client: GopherAuthClient, audience_options: GopherValidationOptions, segments: list[str]
) -> None:
    """Dot-separated base64url-ish segments."""
    _check_verdict(static_client.validate_token(".".join(segments), audience_options))


@st.composite
def forged_tokens(draw: st.DrawFn) -> str:
    """Structurally plausible JWS: real-looking header and claims, a random signature."""
    header: dict[str, Any] = {
        "alg": draw(st.sampled_from(["RS256", "ES256", "PS256", "EdDSA", "none", "HS256", "RS1"])),
        "kid": draw(st.sampled_from(["prop-rs", "prop-es", "other", ""]) | st.text(max_size=20)),
    }
    if draw(st.booleans()):
        header["typ"] = draw(st.sampled_from(["JWT", "at+jwt", "JOSE", ""]))
    if draw(st.booleans()):
        header[draw(st.sampled_from(["crit", "jku", "jwk", "x5u", "zip"]))] = draw(json_values)
    claims = standard_claims()
    for _ in range(draw(st.integers(0, 3))):
        claims[draw(st.sampled_from(["exp", "nbf", "iat", "iss", "aud", "scope", "scp", "x"]))] = (
            draw(json_values)
        )
    signature = draw(st.binary(max_size=300))
    encoded = [json.dumps(part).encode() for part in (header, claims)]
    return ".".join([*(b64url(part) for part in encoded), b64url(signature)])


@FUZZ
@given(token=forged_tokens())
def test_forged_tokens_are_refused(
    static_client: GopherAuthClient, audience_options: GopherValidationOptions, token: str
) -> None:
    """No random signature verifies, whatever the header and claims say."""
    _check_verdict(static_client.validate_token(token, audience_options))


@FUZZ
@given(data=st.data())
def test_mutated_genuine_tokens_are_refused(
    static_client: GopherAuthClient,
    audience_options: GopherValidationOptions,
    good_tokens: list[str],
    data: st.DataObject,
) -> None:
    """Replacing, inserting or deleting characters of a valid token never yields a valid one."""
    token = data.draw(st.sampled_from(good_tokens))
    chars = list(token)
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(chars) - 1))
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        char = data.draw(st.sampled_from(b64_alphabet + ".=") | st.characters())
        if action == "replace":
            chars[position] = char
        elif action == "insert":
            chars.insert(position, char)
        elif len(chars) > 1:
            del chars[position]
    mutated = "".join(chars)
    assume(mutated != token)
    _check_verdict(static_client.validate_token(mutated, audience_options))


# ------------------------------------------------------------- the verdict matches a model


scope_words = st.sampled_from(
    ["mcp:read", "mcp:write", "mcp:admin", "mcp", "mcp:", "mcp:read:x", "MCP:READ", "read", "*"]
)


@FUZZ
@given(
    audience=st.sampled_from([AUDIENCE, "", AUDIENCE + "/", AUDIENCE.upper(), "other"]),
    scopes=st.lists(scope_words, max_size=4),
)
def test_audience_and_scope_verdicts_follow_the_policy(
    static_client: GopherAuthClient,
    good_tokens: list[str],
    audience: str,
    scopes: list[str],
) -> None:
    """A genuine token: valid iff the audience matches exactly and every required scope is
    granted exactly; otherwise the code names the failed check. An empty audience is refused
    when set (the check cannot be turned off)."""
    with GopherValidationOptions() as options:
        if audience == "":
            with pytest.raises(GopherInvalidParameterError, match="cannot be turned off"):
                options.set_audience(audience)
            return
        options.set_audience(audience).set_scopes(scopes)
        for token in good_tokens:
            result = static_client.validate_token(token, options)
            audience_ok = audience == AUDIENCE
            scopes_ok = all(scope in TOKEN_SCOPES for scope in scopes)
            assert result.valid is (audience_ok and scopes_ok), (audience, scopes, result)
            if not audience_ok:
                assert result.error_code == GopherAuthError.INVALID_AUDIENCE, result
            elif not scopes_ok:
                assert result.error_code == GopherAuthError.INSUFFICIENT_SCOPE, result


@FUZZ
@given(
    now_offset=st.integers(-200_000, 200_000),
    skew=st.integers(0, 86_400),
    exp=st.integers(-100_000, 100_000),
    nbf=st.none() | st.integers(-100_000, 100_000),
    iat=st.none() | st.integers(-100_000, 100_000),
)
def test_time_verdicts_follow_the_policy(
    signing_keys: tuple[SigningKey, ...],
    static_client: GopherAuthClient,
    now_offset: int,
    skew: int,
    exp: int,
    nbf: int | None,
    iat: int | None,
) -> None:
    """POLICY.md: valid iff now < exp + skew, nbf <= now + skew, iat <= now + skew."""
    claims = standard_claims(exp=NOW + exp, nbf=None, iat=None)
    if nbf is not None:
        claims["nbf"] = NOW + nbf
    if iat is not None:
        claims["iat"] = NOW + iat
    token = mint(signing_keys[0], claims)
    now = NOW + now_offset
    expected = (
        now < NOW + exp + skew
        and (nbf is None or NOW + nbf <= now + skew)
        and (iat is None or NOW + iat <= now + skew)
    )
    with GopherValidationOptions() as options:
        options.set_audience(AUDIENCE).set_clock_skew(skew).set_time(now)
        result = static_client.validate_token(token, options)
    assert result.valid is expected, (claims, now, skew, result)
    if not expected:
        assert result.error_code in (GopherAuthError.EXPIRED_TOKEN, GopherAuthError.INVALID_TOKEN)


# -------------------------------------------------------------------- extract_payload


@FUZZ
@given(token=any_text | forged_tokens())
def test_extract_payload_decodes_or_raises_invalid_token(
    static_client: GopherAuthClient, token: str
) -> None:
    """Diagnostics decoding: a ``TokenPayload`` or ``GopherInvalidTokenError``, nothing else."""
    try:
        payload: TokenPayload | None = static_client.extract_payload(token)
    except GopherInvalidTokenError as exc:
        payload, message = None, str(exc)
    if payload is None:
        assert len(message.encode("utf-8")) <= MAX_MESSAGE_BYTES + 200
    else:
        assert isinstance(payload, TokenPayload)
        assert isinstance(payload.claims, dict)


# -------------------------------------------------------------------------- load_jwks


@st.composite
def jwk_sets(draw: st.DrawFn) -> str:
    """JWK Sets built from plausible and implausible members, or plain noise."""
    kinds = {
        "RSA": {"n": b64ish, "e": st.sampled_from(["AQAB", "Aw", ""]) | b64ish},
        "EC": {"crv": st.sampled_from(["P-256", "P-384", "P-521", "x"]), "x": b64ish, "y": b64ish},
        "OKP": {"crv": st.sampled_from(["Ed25519", "X25519", "Ed448"]), "x": b64ish},
        "oct": {"k": b64ish},
    }
    keys: list[Any] = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.integers(0, 4)) == 0:
            keys.append(draw(json_values))
            continue
        kty = draw(st.sampled_from([*kinds, "??"]))
        jwk: dict[str, Any] = {"kty": kty}
        for name, strategy in kinds.get(kty, {}).items():
            if draw(st.integers(0, 5)):
                jwk[name] = draw(strategy)
        for name in ("kid", "alg", "use", "key_ops"):
            if draw(st.booleans()):
                jwk[name] = draw(
                    st.sampled_from(["sig", "enc", "RS256", "ES256", "k1"]) | json_values
                )
        keys.append(jwk)
    document: Any = {"keys": keys} if draw(st.integers(0, 5)) else draw(json_values)
    return json.dumps(document)


@FUZZ
@given(document=jwk_sets() | any_text)
def test_load_jwks_accepts_or_raises_invalid_key(
    signing_keys: tuple[SigningKey, ...],
    audience_options: GopherValidationOptions,
    good_tokens: list[str],
    document: str,
) -> None:
    """A JWK Set is loaded or refused with ``GopherInvalidKeyError`` (or
    ``GopherInvalidParameterError`` for text C cannot carry); either way the client keeps
    answering, and none of these random keys verifies a token signed by the test keys."""
    with GopherAuthClient("", ISSUER) as client:
        try:
            client.load_jwks(document)
        except GopherInvalidKeyError:
            pass
        except GopherInvalidParameterError:
            assert "\x00" in document or re.search("[\ud800-\udfff]", document)
        for token in good_tokens:
            result = client.validate_token(token, audience_options)
            assert result.valid is False
            assert result.error_code in TOKEN_VERDICTS | {GopherAuthError.JWKS_FETCH_FAILED}


def test_load_jwks_after_refusal_keeps_working(
    signing_keys: tuple[SigningKey, ...],
    audience_options: GopherValidationOptions,
    good_tokens: list[str],
) -> None:
    """A refused JWK Set does not break a client: a good set loaded next still works."""
    with GopherAuthClient("", ISSUER) as client:
        with pytest.raises(GopherInvalidKeyError):
            client.load_jwks('{"keys": [{"kty": "oct", "k": "AAAA"}]}')
        client.load_jwks(json.dumps(jwks(*signing_keys)))
        assert all(client.validate_token(t, audience_options).valid for t in good_tokens)


# ------------------------------------------------------------------------- set_option

OPTION_NAMES = (
    "cache_duration",
    "auto_refresh",
    "request_timeout",
    "min_refresh_interval",
    "token_cache_size",
    "allow_insecure_http",
    "ca_bundle",
    "max_token_bytes",
    "allowed_algorithms",
)
option_values = (
    st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from(["0", "1", "-1", "true", "no", "RS256,ES256", "none", "", " 5", "1e3"])
    | any_text
    | st.lists(st.sampled_from(["RS256", "ES256", "HS256", "none", "", "EdDSA"]), max_size=4)
)


@FUZZ
@given(name=st.sampled_from(OPTION_NAMES) | any_text, value=option_values)
def test_set_option_accepts_or_raises_documented_errors(
    signing_keys: tuple[SigningKey, ...],
    audience_options: GopherValidationOptions,
    good_tokens: list[str],
    name: str,
    value: Any,
) -> None:
    """An option is set or refused with ``GopherInvalidConfigError`` /
    ``GopherInvalidParameterError``; the client keeps giving verdicts afterwards, and only the
    options that can legitimately refuse a genuine token (algorithms, size) may do so."""
    with GopherAuthClient("", ISSUER) as client:
        client.load_jwks(json.dumps(jwks(*signing_keys)))
        with contextlib.suppress(GopherInvalidConfigError, GopherInvalidParameterError):
            assert client.set_option(name, value) is client
        for token in good_tokens:
            result = client.validate_token(token, audience_options)
            if name not in ("allowed_algorithms", "max_token_bytes"):
                assert result.valid, (name, value, result)
            elif not result.valid:
                _check_verdict(result)


def test_set_option_refuses_bad_values() -> None:
    """The refusals above are real: a known bad value is refused with the option's name."""
    with GopherAuthClient("", ISSUER) as client:
        with pytest.raises(GopherInvalidConfigError, match="request_timeout"):
            client.set_option("request_timeout", 0)
        with pytest.raises(GopherInvalidConfigError):
            client.set_option("no_such_option", "1")


# ---------------------------------------------------------------- validation options


@FUZZ
@given(
    scopes=st.lists(any_text, max_size=4),
    audience=any_text,
    skew=st.integers(-(2**70), 2**70),
    when=st.integers(-(2**70), 2**70),
)
def test_option_setters_accept_or_raise_documented_errors(
    scopes: list[str], audience: str, skew: int, when: int
) -> None:
    """Setters either accept a value or raise ``GopherInvalidParameterError`` (a ValueError)."""
    with GopherValidationOptions() as options:
        calls: list[Callable[[], GopherValidationOptions]] = [
            lambda: options.set_scopes(scopes),
            lambda: options.set_audience(audience),
            lambda: options.set_clock_skew(skew),
            lambda: options.set_time(when),
        ]
        for call in calls:
            with contextlib.suppress(GopherInvalidParameterError):
                assert call() is options


# ------------------------------------------------------------------- WWW-Authenticate

_AUTH_PARAM = re.compile(r'\s*([A-Za-z0-9_!#$%&\'*+.^`|~-]+)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def parse_challenge(value: str) -> dict[str, str]:
    """The auth-params of a ``Bearer`` challenge (quoted-string values only, as we render)."""
    assert value.startswith("Bearer"), value
    rest = value[len("Bearer") :]
    params: dict[str, str] = {}
    position = 0
    if rest:
        assert rest[0] == " ", value
        position = 1
    while position < len(rest):
        match = _AUTH_PARAM.match(rest, position)
        assert match is not None, f"unparsable at {position}: {value!r}"
        name, raw = match.group(1), match.group(2)
        assert name not in params, value
        params[name] = re.sub(r"\\(.)", r"\1", raw)
        position = match.end()
    return params


header_text = st.none() | st.text(st.characters(exclude_categories=()), max_size=80)
error_codes = st.none() | st.sampled_from(
    ["invalid_request", "invalid_token", "insufficient_scope"]
)


def _expected(**params: str | None) -> dict[str, str]:
    return {name: value for name, value in params.items() if value}


@FUZZ
@given(realm=header_text, error=error_codes | header_text, description=header_text)
def test_www_authenticate_round_trips(
    native_library: NativeLibraryInfo, realm: str | None, error: str | None, description: str | None
) -> None:
    """A rendered header has no control character and parses back to exactly the input; an
    unrenderable parameter raises ``GopherInvalidParameterError``."""
    try:
        value = gopher_generate_www_authenticate_header(realm, error, description)
    except GopherInvalidParameterError:
        assert any(
            p is not None and (re.search(r"[\x00-\x1f\x7f\ud800-\udfff]", p) or p is error)
            for p in (realm, error, description)
        )
        return
    assert not re.search(r"[\x00-\x1f\x7f]", value), value
    expected = _expected(realm=realm, error=error, error_description=description)
    assert parse_challenge(value) == expected


@FUZZ
@given(
    realm=header_text,
    resource_metadata=header_text,
    scope=header_text,
    error=error_codes | header_text,
    description=header_text,
)
def test_www_authenticate_v2_round_trips(
    native_library: NativeLibraryInfo,
    realm: str | None,
    resource_metadata: str | None,
    scope: str | None,
    error: str | None,
    description: str | None,
) -> None:
    """The MCP form: the same round-trip property with resource_metadata and scope."""
    try:
        value = gopher_generate_www_authenticate_header_v2(
            realm, resource_metadata, scope, error, description
        )
    except GopherInvalidParameterError:
        assert any(
            p is not None and (re.search(r"[\x00-\x1f\x7f\ud800-\udfff]", p) or p is error)
            for p in (realm, resource_metadata, scope, error, description)
        )
        return
    assert not re.search(r"[\x00-\x1f\x7f]", value), value
    expected = _expected(
        realm=realm,
        resource_metadata=resource_metadata,
        scope=scope,
        error=error,
        error_description=description,
    )
    assert parse_challenge(value) == expected
