"""The weather tools: deterministic data, declared scopes, argument checks."""

from __future__ import annotations

from typing import Any

import pytest

from py_auth_mcp_server.mcp.context import CallContext
from py_auth_mcp_server.mcp.protocol import McpError
from py_auth_mcp_server.mcp.registry import ToolResult
from py_auth_mcp_server.tools.weather_tools import (
    build_weather_registry,
    current_weather,
    forecast,
    weather_alerts,
)

REGISTRY = build_weather_registry("0.2.0")


def run(name: str, arguments: dict[str, Any]) -> ToolResult:
    result = REGISTRY.tools[name].handler(arguments, CallContext(1))
    assert isinstance(result, ToolResult)
    return result


def test_scopes_are_declared_per_tool() -> None:
    assert REGISTRY.tool_scopes() == {
        "get-forecast": ("mcp:read",),
        "get-weather-alerts": ("mcp:admin",),
    }
    assert REGISTRY.tools["get-weather"].required_scopes == ()


def test_data_is_deterministic_and_case_insensitive() -> None:
    assert current_weather("Paris") == current_weather("Paris")
    assert current_weather("paris")["temperature_c"] == current_weather("PARIS")["temperature_c"]
    assert current_weather("Paris") != current_weather("Tokyo")
    assert forecast("Paris", 3) == forecast("Paris", 3)
    assert weather_alerts("Texas") == weather_alerts("Texas")


def test_values_are_plausible() -> None:
    for city in ("Paris", "Oslo", "Lagos", "Lima", "Perth"):
        now = current_weather(city)
        assert -5 <= now["temperature_c"] <= 35
        assert 20 <= now["humidity_percent"] <= 94
        for day in forecast(city, 7)["days"]:
            assert day["low_c"] < day["high_c"]
            assert 0 <= day["precipitation_percent"] <= 100
        assert len(weather_alerts(city)["alerts"]) <= 2


def test_tool_results_carry_text_and_structured_content() -> None:
    result = run("get-forecast", {"city": "Paris", "days": 2})
    assert result.structured_content == forecast("Paris", 2)
    assert [d["date"] for d in forecast("Paris", 2)["days"]] == ["2025-01-01", "2025-01-02"]
    assert result.content[0]["type"] == "text"
    assert run("get-weather", {"city": " Oslo "}).structured_content == current_weather("Oslo")
    assert run("get-weather-alerts", {"region": "Texas"}).structured_content == weather_alerts(
        "Texas"
    )


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("get-weather", {"city": ""}, "'city' must be a non-empty string"),
        ("get-weather", {"city": 5}, "'city' must be a non-empty string"),
        ("get-weather", {"city": "x" * 101}, "longer than 100 characters"),
        ("get-forecast", {"city": "x", "days": 0}, "'days' must be an integer 1..7"),
        ("get-forecast", {"city": "x", "days": True}, "'days' must be an integer 1..7"),
        ("get-weather-alerts", {"region": None}, "'region' must be a non-empty string"),
    ],
)
def test_bad_arguments(name: str, arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(McpError, match=message) as info:
        run(name, arguments)
    assert info.value.code == -32602


def test_forecast_defaults_to_three_days() -> None:
    assert len(run("get-forecast", {"city": "x"}).structured_content["days"]) == 3  # type: ignore[index]
