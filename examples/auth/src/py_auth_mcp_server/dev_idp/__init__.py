"""A DEVELOPMENT-ONLY identity provider on loopback, so one command demos the whole flow.

What MCP clients need to sign a person in: RFC 8414 metadata, a JWKS, the authorization code
grant with PKCE (S256 only) and a plain-HTML consent page, refresh tokens with rotation, RFC 7591
dynamic client registration, client ID metadata documents, and RFC 8707 ``resource`` → ``aud``.
The fixed demo client keeps its ``client_credentials`` grant for curl walkthroughs. Keys, clients
and grants live in memory only (bounded), and it refuses to listen on anything but loopback.
Never use it for anything but local development and demos.

Modules: ``signer`` (keys, JWS), ``clients`` (registration, metadata documents, redirect URIs),
``grants`` (consent requests, codes, refresh-token families), ``consent`` (HTML), ``server``.
"""

from __future__ import annotations

from .clients import DEV_CLIENT_ID, DEV_CLIENT_SECRET
from .server import DEV_USER, DevIdentityProvider
from .signer import JwtSigner, require_loopback

__all__ = [
    "DEV_CLIENT_ID",
    "DEV_CLIENT_SECRET",
    "DEV_USER",
    "DevIdentityProvider",
    "JwtSigner",
    "require_loopback",
]
