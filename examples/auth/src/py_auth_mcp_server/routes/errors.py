"""Every error the app answers is JSON: Flask's own (404, 405, 413, 431 …) and a last-resort 500.

``/mcp`` gets JSON-RPC error objects (what MCP clients parse); the other endpoints get OAuth-style
``{"error": …, "error_description": …}``. Nothing of the failure's internals is sent: an
unexpected exception is logged on the server and answered with a generic 500.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError

__all__ = ["install_error_handlers"]

logger = logging.getLogger("py_auth_mcp_server.errors")
SERVER_ERROR = -32000  # JSON-RPC implementation-defined server error


def _answer(status: int, error: str, description: str) -> Response:
    body: dict[str, object]
    if request.path == "/mcp":
        body = {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": SERVER_ERROR, "message": description},
        }
    else:
        body = {"error": error, "error_description": description}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def install_error_handlers(app: Flask) -> None:
    """Answer every HTTP error of ``app`` with a JSON body instead of Werkzeug's HTML page."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        name = (exc.name or "error").lower().replace(" ", "_")
        response = _answer(status, name, f"{exc.code} {exc.name}")
        for header, value in exc.get_headers():  # e.g. Allow on a 405
            if header.lower() != "content-type":
                response.headers[header] = value
        return response

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError) -> Response:
        original = exc.original_exception
        if original is not None:
            logger.error(
                "unhandled %s on %s", type(original).__name__, request.path, exc_info=original
            )
        return _answer(500, "server_error", "500 Internal Server Error")
