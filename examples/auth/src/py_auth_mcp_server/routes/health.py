"""``GET /health``: liveness plus what this process knows about the signing keys."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from flask import Blueprint, Response, jsonify

from .. import __version__
from ..middleware.oauth_auth import OAuthGuard

__all__ = ["create_health_blueprint"]


def create_health_blueprint(guard: OAuthGuard, started: float) -> Blueprint:
    """The blueprint serving ``/health``."""
    blueprint = Blueprint("health", __name__)

    @blueprint.get("/health")
    def health() -> Response:
        jwks = guard.jwks.to_json()
        status = "degraded" if jwks["state"] == "unavailable" else "ok"
        return jsonify(
            {
                "status": status,
                "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "version": __version__,
                "uptime": round(time.monotonic() - started, 3),
                "auth": {"enabled": guard.enabled, "jwks": jwks},
            }
        )

    return blueprint
