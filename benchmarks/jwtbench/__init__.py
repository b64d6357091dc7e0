"""Support modules of ``benchmarks/validate_peers.py``: the same tokens, validated by each library.

- :mod:`.fixture` — throw-away keys, the 12-key JWKS, and good and bad tokens (``cryptography``).
- :mod:`.policy` — what every validator must enforce (issuer, audience, scopes, leeway).
- :mod:`.peers` — PyJWT, joserfc, Authlib, jwcrypto and python-jose, each in its best setup.
- :mod:`.sdk` — this SDK (token cache off / on, verdict only / with claims).
- :mod:`.conformance` — proof that every validator really does the full work.
- :mod:`.timing` — the round-robin median harness and the two-thread throughput run.
- :mod:`.report` — the result table.
"""
