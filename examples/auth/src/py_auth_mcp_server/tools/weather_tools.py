"""Three weather tools with deterministic, made-up data (no network, same answer every time).

- ``get-weather``: current conditions; any valid token.
- ``get-forecast``: a 1 to 7 day forecast; needs ``mcp:read``.
- ``get-weather-alerts``: active alerts for a region; needs ``mcp:admin``.

Scopes are declared on the tools; the auth layer checks them *before* a tool runs and answers a
missing one with HTTP 403 ``insufficient_scope``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

from ..mcp.context import CallContext
from ..mcp.protocol import INVALID_PARAMS, McpError
from ..mcp.registry import Registry, ToolResult

__all__ = [
    "SERVER_NAME",
    "build_weather_registry",
    "current_weather",
    "forecast",
    "register_weather_tools",
    "weather_alerts",
]

SERVER_NAME = "py-auth-mcp-server"
CONDITIONS = (
    "sunny",
    "partly cloudy",
    "cloudy",
    "light rain",
    "rain",
    "thunderstorms",
    "fog",
    "snow",
)
ALERT_KINDS = ("heat advisory", "flood watch", "wind advisory", "winter storm warning")
MAX_NAME_LENGTH = 100
FORECAST_EPOCH = date(2025, 1, 1)


def _seed(*parts: str) -> int:
    digest = hashlib.sha256("|".join(parts).lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _name(arguments: dict[str, Any], key: str) -> str:
    value = arguments.get(key)
    if not isinstance(value, str) or not value.strip():
        raise McpError(INVALID_PARAMS, f"Invalid params: '{key}' must be a non-empty string")
    if len(value) > MAX_NAME_LENGTH:
        raise McpError(
            INVALID_PARAMS, f"Invalid params: '{key}' is longer than {MAX_NAME_LENGTH} characters"
        )
    return value.strip()


def current_weather(city: str) -> dict[str, Any]:
    """The (made-up, deterministic) current weather of ``city``."""
    seed = _seed("now", city)
    return {
        "city": city,
        "temperature_c": round(-5 + (seed % 400) / 10, 1),
        "conditions": CONDITIONS[(seed >> 12) % len(CONDITIONS)],
        "humidity_percent": 20 + (seed >> 20) % 75,
        "wind_kph": (seed >> 28) % 60,
    }


def forecast(city: str, days: int) -> dict[str, Any]:
    """A ``days``-day (made-up, deterministic) forecast for ``city``."""
    entries = []
    for offset in range(days):
        seed = _seed("forecast", city, str(offset))
        low = round(-8 + (seed % 300) / 10, 1)
        entries.append(
            {
                "date": (FORECAST_EPOCH + timedelta(days=offset)).isoformat(),
                "low_c": low,
                "high_c": round(low + 2 + (seed >> 16) % 12, 1),
                "conditions": CONDITIONS[(seed >> 24) % len(CONDITIONS)],
                "precipitation_percent": (seed >> 32) % 101,
            }
        )
    return {"city": city, "days": entries}


def weather_alerts(region: str) -> dict[str, Any]:
    """The (made-up, deterministic) active alerts of ``region``: zero to two."""
    seed = _seed("alerts", region)
    alerts = [
        {
            "id": f"ALERT-{(seed >> (8 * i)) % 100000:05d}",
            "kind": ALERT_KINDS[(seed >> (16 + i)) % len(ALERT_KINDS)],
            "severity": ("minor", "moderate", "severe")[(seed >> (24 + i)) % 3],
        }
        for i in range(seed % 3)
    ]
    return {"region": region, "alerts": alerts}


def _result(data: dict[str, Any]) -> ToolResult:
    return ToolResult(content=[{"type": "text", "text": json.dumps(data)}], structured_content=data)


def register_weather_tools(registry: Registry) -> None:
    """Add the three weather tools to ``registry``."""

    @registry.tool(
        "get-weather",
        title="Current weather",
        description="Current weather conditions for a city (demo data).",
        input_schema={
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"],
        },
        annotations={"readOnlyHint": True, "openWorldHint": False},
    )
    def get_weather(arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        return _result(current_weather(_name(arguments, "city")))

    @registry.tool(
        "get-forecast",
        title="Weather forecast",
        description="Daily forecast for a city, 1 to 7 days (demo data). Needs scope mcp:read.",
        input_schema={
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name"},
                "days": {"type": "integer", "minimum": 1, "maximum": 7, "default": 3},
            },
            "required": ["city"],
        },
        required_scopes=("mcp:read",),
        annotations={"readOnlyHint": True, "openWorldHint": False},
    )
    def get_forecast(arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        days = arguments.get("days", 3)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 7:
            raise McpError(INVALID_PARAMS, "Invalid params: 'days' must be an integer 1..7")
        return _result(forecast(_name(arguments, "city"), days))

    @registry.tool(
        "get-weather-alerts",
        title="Weather alerts",
        description="Active weather alerts for a region (demo data). Needs scope mcp:admin.",
        input_schema={
            "type": "object",
            "properties": {"region": {"type": "string", "description": "Region or city name"}},
            "required": ["region"],
        },
        required_scopes=("mcp:admin",),
        annotations={"readOnlyHint": True, "openWorldHint": False},
    )
    def get_weather_alerts(arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        return _result(weather_alerts(_name(arguments, "region")))


def build_weather_registry(version: str) -> Registry:
    """The registry of the weather server."""
    registry = Registry(
        name=SERVER_NAME,
        version=version,
        title="Weather (OAuth-protected)",
        instructions="Weather demo data. get-forecast needs mcp:read; "
        "get-weather-alerts needs mcp:admin.",
    )
    register_weather_tools(registry)
    return registry
