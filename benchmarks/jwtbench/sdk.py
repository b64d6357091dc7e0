"""The SDK under test (``gopher_mcp_python``), set up like the peers: JWKS loaded once, same policy.

Four variants: the verdict only (``validate_token``) and the verdict with the verified claims
(``validate_and_extract``), each with the verified-token cache off (``token_cache_size=0``) and
on (the default size; the benchmark repeats one token, as an MCP client does).
"""

from __future__ import annotations

from gopher_mcp_python import GopherAuthClient, GopherValidationOptions, get_library_info

from .fixture import Fixture
from .peers import LibrarySetup, Validator
from .policy import ALGORITHMS, AUDIENCE, ISSUER, LEEWAY_SECONDS, REQUIRED_SCOPES

SDK_NAME = "gopher-mcp-python"
SDK_DISTRIBUTION = "gopher-mcp-python"


class TokenRejectedError(Exception):
    """The SDK refused a token (carries its error message)."""


def library_description() -> str:
    """Which native library the SDK loaded (a debug build would make the numbers meaningless)."""
    info = get_library_info()
    build = " — WARNING: a debug build" if "/debug/" in info.path else ""
    where = f"{info.path} [{info.source}]"
    return f"gopher-orch {info.version} (ABI {info.abi_version}) from {where}{build}"


def make_client(fixture: Fixture, *, token_cache: bool) -> GopherAuthClient:
    """A client holding the fixture's JWKS (no fetching), cache on or off."""
    client = GopherAuthClient("", ISSUER)
    client.set_option("token_cache_size", 10000 if token_cache else 0)
    client.set_option("allowed_algorithms", list(ALGORITHMS))
    client.load_jwks(fixture.jwks_json)
    return client


def make_options() -> GopherValidationOptions:
    """Audience, required scopes and leeway of :mod:`.policy`; the system clock."""
    return (
        GopherValidationOptions()
        .set_audience(AUDIENCE)
        .set_scopes(list(REQUIRED_SCOPES))
        .set_clock_skew(LEEWAY_SECONDS)
    )


def verdict_validator(client: GopherAuthClient, options: GopherValidationOptions) -> Validator:
    """``validate_token``, raising on a refused token as the peers do."""
    validate_token = client.validate_token

    def validate(token: str) -> object:
        result = validate_token(token, options)
        if not result.valid:
            raise TokenRejectedError(result.error_message)
        return result

    return validate


def claims_validator(client: GopherAuthClient, options: GopherValidationOptions) -> Validator:
    """``validate_and_extract``: the verdict and the verified claims (like the peers return)."""
    validate_and_extract = client.validate_and_extract

    def validate(token: str) -> object:
        result, payload = validate_and_extract(token, options)
        if payload is None:
            raise TokenRejectedError(result.error_message)
        return payload.claims

    return validate


def sdk_setups(fixture: Fixture) -> list[LibrarySetup]:
    """The four SDK variants, each a :class:`~.peers.LibrarySetup` like the peers."""
    options = make_options()
    setups = []
    for cache in (False, True):
        client = make_client(fixture, token_cache=cache)
        suffix = "cache on" if cache else "cache off"
        for kind, factory in (("", verdict_validator), (" +claims", claims_validator)):
            validator = factory(client, options)
            setups.append(
                LibrarySetup(
                    f"{SDK_NAME} ({suffix}){kind}",
                    SDK_DISTRIBUTION,
                    dict.fromkeys(ALGORITHMS, validator),
                )
            )
    return setups
