"""``/mcp``: the MCP Streamable HTTP transport (revisions 2024-11-05 … 2025-11-25, 2026-07-28).

A request with ``MCP-Protocol-Version: 2026-07-28`` is stateless (:mod:`..mcp.modern`): its
``Mcp-Method``/``Mcp-Name`` headers — and, on ``tools/call``, the ``Mcp-Param-*`` headers of the
tool's ``x-mcp-header`` arguments — must agree with the body (400 / -32020 otherwise, checked by
the SDK's rules), ``server/discover`` answers what the server speaks, results carry
``resultType``, and an unknown method is 404. Older revisions are answered as before:

POST carries one JSON-RPC message (or, for 2025-03-26 and older, a batch). Requests are answered
with ``application/json`` — or, for tools registered with ``streaming=True`` when the client
accepts it, with a ``text/event-stream`` carrying the tool's notifications and server→client
requests before the response. Notifications and responses get 202 with no body. GET and DELETE
get 405: no standalone stream is opened and sessions hold no state. ``initialize`` hands out a
random ``Mcp-Session-Id``; nothing is stored under it (any gunicorn worker serves any request),
it only scopes the answers to server→client requests to the session that was asked.

Checks, in order: Host/Origin (403, the app-wide screen of ``routes.origin``), body size (413,
chunked bodies included), authentication (401/403/503 from the SDK, which parses the body for the
method and tool name only after the token verified), Content-Type (415), Accept (406), JSON
(-32700), MCP-Protocol-Version (400), message shape. A streamed response when
``MAX_STREAMS`` are already running gets 503 with ``Retry-After``.
"""

from __future__ import annotations

import functools
import json
import queue
import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, request
from gopher_mcp_python.auth import ChallengeFactory, McpBody
from gopher_mcp_python.auth.flask import challenge_response
from gopher_mcp_python.auth.routing import param_disagreement, routing_headers
from gopher_mcp_python.auth.wsgi import auth_headers
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_accept_header

from ..mcp.dispatcher import Dispatcher, classify
from ..mcp.modern import (
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    MODERN_VERSIONS,
    REMOVED_METHODS,
    discover_result,
    finish_result,
    meta_problem,
    unsupported_version,
)
from ..mcp.protocol import (
    BATCH_VERSIONS,
    DEFAULT_HEADER_VERSION,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    SUPPORTED_VERSIONS,
    McpError,
    echo,
    error_response,
)
from ..middleware.oauth_auth import OAuthGuard

__all__ = ["MAX_BODY_BYTES", "MAX_STREAMS", "create_mcp_blueprint"]

MAX_BODY_BYTES = 1_048_576
MAX_STREAMS = 64
"""Most streamed (SSE) responses one process runs at once: each runs its tool on a thread."""
MAX_BATCH_MESSAGES = 100
"""Most messages one JSON-RPC batch may hold: bounds the work (and the response) of a request."""
SESSION_HEADER = "Mcp-Session-Id"
_SESSION_ID = re.compile(r"[\x21-\x7e]{1,256}")
SERVER_ERROR = -32000  # implementation-defined JSON-RPC server error for transport refusals
#: Every revision this server speaks, newest first (what an unsupported-version error lists).
ALL_VERSIONS = (*MODERN_VERSIONS, *SUPPORTED_VERSIONS)
#: 2026-07-28: the HTTP status of a JSON-RPC error (others are 200).
_MODERN_ERROR_STATUS = {METHOD_NOT_FOUND: 404, MISSING_REQUIRED_CLIENT_CAPABILITY: 400}


def _json(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json", headers=headers)


def _refuse(
    status: int, message: str, code: int = SERVER_ERROR, headers: dict[str, str] | None = None
) -> Response:
    return _json(error_response(None, McpError(code, message)), status, headers)


def _accepted() -> Response:
    """202 Accepted with no body (and so no Content-Type)."""
    response = Response(status=202)
    del response.headers["Content-Type"]
    return response


@functools.lru_cache(maxsize=128)
def _accept_flags(header: str) -> tuple[bool, bool]:
    """Whether an ``Accept`` value allows JSON and SSE (cached: clients repeat one value)."""
    if not header:
        return True, True
    accept = parse_accept_header(header, MIMEAccept)
    return accept.quality("application/json") > 0, accept.quality("text/event-stream") > 0


class McpEndpoint:
    """The ``/mcp`` view functions (one instance per app; no per-request state on it)."""

    def __init__(self, dispatcher: Dispatcher, guard: OAuthGuard) -> None:
        self.dispatcher = dispatcher
        self.guard = guard
        self._streams = threading.BoundedSemaphore(MAX_STREAMS)

    def post(self) -> Response:
        """Handle one POSTed JSON-RPC message or batch."""
        # One byte over the limit: Werkzeug cuts a streamed (chunked) body at the limit without
        # a word, so a body is known to be too large only when that extra byte arrives.
        request.max_content_length = MAX_BODY_BYTES + 1
        try:
            data = request.get_data(cache=True)
        except RequestEntityTooLarge:
            data = None
        if data is None or len(data) > MAX_BODY_BYTES:
            return _refuse(413, f"Request body larger than {MAX_BODY_BYTES} bytes")
        body = McpBody(data)  # parsed once, and only after the token verified
        refusal = self.guard.check(body)  # auth before anything about the body is said
        if refusal is not None:
            return refusal
        if request.mimetype != "application/json":
            return _refuse(415, "Unsupported Media Type: Content-Type must be application/json")
        wants_json, wants_sse = _accept_flags(request.headers.get("Accept", ""))
        if not (wants_json or wants_sse):
            return _refuse(406, "Not Acceptable: accept application/json or text/event-stream")
        if not body.is_json:
            return _refuse(400, "Parse error: the body is not valid JSON", PARSE_ERROR)
        return self._dispatch(body.parsed(), sse=wants_sse, json_ok=wants_json)

    def not_allowed(self) -> Response:
        """GET/DELETE: no standalone SSE stream, no sessions to end."""
        return _refuse(
            405,
            "Method Not Allowed: this server answers POST only (no standalone stream; "
            "sessions hold no state, so there is nothing to delete)",
            headers={"Allow": "POST"},
        )

    # ------------------------------------------------------------------ helpers

    def _dispatch(self, payload: object, *, sse: bool, json_ok: bool) -> Response:
        header_version = request.headers.get("MCP-Protocol-Version")
        if header_version in MODERN_VERSIONS:
            return self._modern(payload, header_version, sse=sse, json_ok=json_ok)
        is_initialize = isinstance(payload, dict) and payload.get("method") == "initialize"
        if (
            header_version is not None
            and not is_initialize
            and (header_version not in SUPPORTED_VERSIONS)
        ):
            error = unsupported_version(echo(header_version), ALL_VERSIONS)
            return _json({"jsonrpc": "2.0", "id": _id_of(payload), "error": error}, 400)
        version = header_version or DEFAULT_HEADER_VERSION
        session_id = request.headers.get(SESSION_HEADER)
        if session_id is not None and not _SESSION_ID.fullmatch(session_id):
            return _refuse(400, "Bad Request: malformed Mcp-Session-Id header")
        if isinstance(payload, list):
            return self._batch(payload, version)
        try:
            kind = classify(payload)
        except McpError as exc:
            return _json(error_response(_id_of(payload), exc), 400)
        assert isinstance(payload, dict)  # classify() accepted it
        if kind == "notification":
            return _accepted()
        if kind == "response":
            self.dispatcher.handle_response(payload, session_id)
            return _accepted()
        if sse and (not json_ok or self.dispatcher.is_streaming_request(payload)):
            return self._stream(payload, version, session_id)
        response = self.dispatcher.handle_request(
            payload, auth=self.guard.context(), protocol_version=version
        )
        if is_initialize and "result" in response:
            # A fresh id per initialize. Nothing is stored under it (any worker serves any
            # request); it only scopes server→client answers to the stream that asked.
            return _json(response, headers={SESSION_HEADER: secrets.token_urlsafe(24)})
        return _json(response)

    def _modern(self, payload: object, version: str, *, sse: bool, json_ok: bool) -> Response:
        """A stateless 2026-07-28 request: headers checked against the body, then dispatched."""
        # direct environ lookups: werkzeug's EnvironHeaders walks the whole environ per name
        routing = routing_headers(auth_headers(request.environ))
        problem = "the MCP-Protocol-Version header" if routing is None else ""
        problem = problem or (routing.disagreement(payload) if routing else "")
        problem = problem or self._param_problem(payload)
        if problem:
            return challenge_response(ChallengeFactory.header_mismatch(problem, _id_of(payload)))
        try:
            kind = classify(payload)
        except McpError as exc:
            return _json(error_response(_id_of(payload), exc), 400)
        assert isinstance(payload, dict)  # classify() accepted it
        if kind != "request":
            return _accepted()  # a notification (a response matches no Mcp-Method: refused above)
        method = payload["method"]
        if method in REMOVED_METHODS:
            error = McpError(METHOD_NOT_FOUND, f"Method not found: {method} (removed in {version})")
            return _json(error_response(payload["id"], error), 404)
        problem = meta_problem(payload)
        if problem:
            return _json(error_response(payload["id"], McpError(INVALID_PARAMS, problem)), 400)
        private = self.guard.context() is not None
        if sse and (not json_ok or self.dispatcher.is_streaming_request(payload)):
            return self._stream(payload, version, None, finish=private)
        if method == "server/discover":
            result = discover_result(self.dispatcher.registry, ALL_VERSIONS)
            response: dict[str, Any] = {"jsonrpc": "2.0", "id": payload["id"], "result": result}
        else:
            response = self.dispatcher.handle_request(
                payload, auth=self.guard.context(), protocol_version=version
            )
        if "result" in response:
            response["result"] = finish_result(method, response["result"], private=private)
            return _json(response)
        return _json(response, _MODERN_ERROR_STATUS.get(response["error"].get("code"), 200))

    def _param_problem(self, payload: object) -> str:
        """Why a ``tools/call``'s ``Mcp-Param-*`` headers disagree with its arguments ("" if not).

        Runs after the routing check, so ``payload`` is the request ``Mcp-Method`` names. An
        unknown tool has no annotations (the dispatcher answers it as unknown).
        """
        if not isinstance(payload, dict) or payload.get("method") != "tools/call":
            return ""
        params = payload.get("params")
        params = params if isinstance(params, dict) else {}
        name = params.get("name")
        tool = self.dispatcher.registry.tools.get(name) if isinstance(name, str) else None
        if tool is None or not tool.header_params:
            return ""
        return param_disagreement(
            request.headers.items(), params.get("arguments"), tool.header_params
        )

    def _batch(self, batch: list[Any], version: str) -> Response:
        session_id = request.headers.get(SESSION_HEADER)
        if version not in BATCH_VERSIONS:
            return _refuse(
                400,
                f"Invalid Request: JSON-RPC batches are not supported in protocol {version}",
                INVALID_REQUEST,
            )
        if not batch:
            return _refuse(400, "Invalid Request: empty batch", INVALID_REQUEST)
        if len(batch) > MAX_BATCH_MESSAGES:
            return _refuse(
                400,
                f"Invalid Request: a batch holds at most {MAX_BATCH_MESSAGES} messages",
                INVALID_REQUEST,
            )
        responses: list[dict[str, Any]] = []
        for message in batch:
            try:
                kind = classify(message)
                if kind == "request" and message["method"] == "initialize":
                    raise McpError(INVALID_REQUEST, "Invalid Request: initialize cannot be batched")
            except McpError as exc:
                responses.append(error_response(_id_of(message), exc))
                continue
            if kind == "response":
                self.dispatcher.handle_response(message, session_id)
            elif kind == "request":
                responses.append(
                    self.dispatcher.handle_request(
                        message, auth=self.guard.context(), protocol_version=version
                    )
                )
        return _json(responses) if responses else _accepted()

    def _stream(
        self,
        message: dict[str, Any],
        version: str,
        session_id: str | None,
        *,
        finish: bool | None = None,
    ) -> Response:
        """The response as an SSE stream.

        ``finish`` (2026-07-28): pass the result through :func:`finish_result`, cached privately
        when true.
        """
        events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        auth = self.guard.context()

        def run() -> None:
            try:
                try:
                    response = self.dispatcher.handle_request(
                        message,
                        auth=auth,
                        protocol_version=version,
                        emit=events.put,
                        session_id=session_id,
                    )
                except Exception:  # the dispatcher already answers errors; this is a last guard
                    error = McpError(INTERNAL_ERROR, "Internal error")
                    response = error_response(message["id"], error)
                if finish is not None and "result" in response:
                    response["result"] = finish_result(
                        message["method"], response["result"], private=finish
                    )
                events.put(response)
            finally:  # whatever happened, the slot is freed and the stream ends
                self._streams.release()
                events.put(None)

        # Each stream runs its tool on a thread (it may wait for the client's answers), so the
        # number of threads is bounded: past MAX_STREAMS a stream is refused, not queued.
        if not self._streams.acquire(blocking=False):
            return _refuse(
                503,
                f"Service Unavailable: the limit of {MAX_STREAMS} concurrent streamed "
                "responses is reached; retry shortly",
                headers={"Retry-After": "1"},
            )
        try:
            threading.Thread(target=run, name="mcp-tool", daemon=True).start()
        except RuntimeError:  # the interpreter could not start another thread
            self._streams.release()
            return _refuse(503, "Service Unavailable: retry shortly", headers={"Retry-After": "1"})

        def generate() -> Iterator[str]:
            while (item := events.get()) is not None:
                yield f"event: message\ndata: {json.dumps(item, separators=(',', ':'))}\n\n"

        return Response(
            generate(),
            status=200,
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            },
        )


def _id_of(message: object) -> str | int | None:
    if isinstance(message, dict):
        value = message.get("id")
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            return value
    return None


def create_mcp_blueprint(dispatcher: Dispatcher, guard: OAuthGuard) -> Blueprint:
    """The blueprint serving ``/mcp``."""
    endpoint = McpEndpoint(dispatcher, guard)
    blueprint = Blueprint("mcp", __name__)
    blueprint.add_url_rule("/mcp", "post", endpoint.post, methods=["POST"])
    blueprint.add_url_rule("/mcp", "not_allowed", endpoint.not_allowed, methods=["GET", "DELETE"])
    return blueprint
