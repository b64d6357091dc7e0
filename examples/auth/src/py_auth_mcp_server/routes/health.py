"""``GET /health``: liveness; with ``health_details = true``, also what this process knows.

The details (version, uptime, whether auth is on and the state of the signing keys) help an
operator and a load balancer, and an attacker too: they are off unless configured.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from flask import Blueprint, Response, jsonify

from .. import __version__
from ..middleware.oauth_auth import OAuthGuard

__all__ = ["create_health_blueprint"]


def create_health_blueprint(guard: OAuthGuard, started: float, *, details: bool) -> Blueprint:
    """The blueprint serving ``/health`` (``details``: the ``health_details`` setting)."""
    blueprint = Blueprint("health", __name__)

    @blueprint.get("/health")
    def health() -> Response:
        jwks = guard.jwks.to_json()
        status = "degraded" if jwks["state"] == "unavailable" else "ok"
        document: dict[str, object] = {
            "status": status,
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        if details:
            document["version"] = __version__
            document["uptime"] = round(time.monotonic() - started, 3)
            document["auth"] = {"enabled": guard.enabled, "jwks": jwks}
        return jsonify(document)

    return blueprint
