"""The issue's reference point: a bare Flask app under gunicorn that checks the token with PyJWT.

Not an MCP server. It answers the benchmark's two bodies — ``tools/call`` of ``get-weather``
(the example's own ``current_weather``) and ``tools/list`` — with a JSON-RPC result, and does
nothing else: no Host/Origin, Content-Type, Accept or MCP-Protocol-Version checks, no message
validation, no scope policy, no RFC 9728 challenge (a bare 401). It shows what one gunicorn
worker running Flask costs on the machine that runs the benchmark, the floor under any Flask
MCP server. Run by ``run.py`` as ``gunicorn flask_reference:app``; settings from the
environment: ``BENCH_JWKS_URI``, ``BENCH_ISSUER``, ``BENCH_SERVER_URL``, and ``BENCH_NO_AUTH=1``
to skip the token check (the floor without auth).
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask, Response, request
from py_auth_mcp_server.tools.weather_tools import current_weather
from pyjwt_check import PyJwtCheck

SERVER_URL = os.environ["BENCH_SERVER_URL"]
CHECK = (
    None
    if os.environ.get("BENCH_NO_AUTH") == "1"
    else PyJwtCheck(
        os.environ["BENCH_JWKS_URI"],
        issuer=os.environ["BENCH_ISSUER"],
        audience=SERVER_URL + "/mcp",
    )
)
TOOLS = [
    {
        "name": "get-weather",
        "description": "Current weather for a city (made-up data).",
        "inputSchema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]

app = Flask(__name__)


def _json(payload: object, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


@app.post("/mcp")
def mcp() -> Response:
    """One JSON-RPC request: tools/call get-weather or tools/list."""
    if CHECK is not None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or CHECK.claims(token) is None:
            return _json({"error": "invalid_token"}, 401)
    message: dict[str, Any] = json.loads(request.get_data())
    if message.get("method") == "tools/list":
        result: dict[str, Any] = {"tools": TOOLS}
    else:
        data = current_weather(message["params"]["arguments"]["city"])
        text = {"type": "text", "text": json.dumps(data)}
        result = {"content": [text], "structuredContent": data}
    return _json({"jsonrpc": "2.0", "id": message.get("id"), "result": result})
