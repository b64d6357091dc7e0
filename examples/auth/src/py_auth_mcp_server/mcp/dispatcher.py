"""JSON-RPC dispatch of MCP messages against a :class:`~.registry.Registry`.

Framework-neutral: it takes parsed messages and returns response objects; the HTTP transport
decides status codes, headers and streaming.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Literal

from gopher_mcp_python.auth import AuthContext

from .context import CallContext, Emitter
from .mrtr import InputRequired, RequestStateSeal, input_required_result
from .pending import PendingRequests
from .protocol import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    LOG_LEVELS,
    METHOD_NOT_FOUND,
    RESOURCE_NOT_FOUND,
    McpError,
    echo,
    negotiate_version,
)
from .registry import Registry, ToolResult

__all__ = ["Dispatcher", "MessageKind", "classify"]

logger = logging.getLogger("py_auth_mcp_server.mcp")

MessageKind = Literal["request", "notification", "response"]
Params = dict[str, Any]
MAX_COMPLETION_VALUES = 100
#: The first revision that reports invalid tool arguments as ``isError`` results (SEP-1303).
ARGUMENT_ERRORS_AS_RESULTS = "2025-11-25"
#: The first revision that answers an unknown resource with Invalid params (SEP-2164).
RESOURCE_NOT_FOUND_AS_INVALID = "2026-07-28"
#: The first revision with input-required results in place of server→client requests (SEP-2322).
MULTI_ROUND_TRIPS = "2026-07-28"
#: Method family → the server capability that must be advertised for it to exist.
_CAPABILITY_OF = {
    "tools": "tools",
    "resources": "resources",
    "prompts": "prompts",
    "completion": "completions",
    "logging": "logging",
}


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def classify(message: Any) -> MessageKind:
    """What kind of JSON-RPC message ``message`` is; :class:`McpError` -32600 if none."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise McpError(INVALID_REQUEST, "Invalid Request: expected a JSON-RPC 2.0 object")
    if "method" in message:
        if not isinstance(message["method"], str):
            raise McpError(INVALID_REQUEST, "Invalid Request: method must be a string")
        if "id" not in message:
            return "notification"
        if not _valid_id(message["id"]):
            raise McpError(INVALID_REQUEST, "Invalid Request: id must be a string or an integer")
        return "request"
    if "id" in message and ("result" in message or "error" in message):
        return "response"
    raise McpError(INVALID_REQUEST, "Invalid Request: neither a request, notification nor response")


def _params(message: dict[str, Any]) -> Params:
    params = message.get("params", {})
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise McpError(INVALID_PARAMS, "Invalid params: params must be an object")
    try:  # JSON's \ud800 escapes decode to lone surrogates, which no tool can encode
        json.dumps(params, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise McpError(
            INVALID_PARAMS, "Invalid params: a string holds a lone surrogate (not valid Unicode)"
        ) from None
    return params


class _FailureLog:
    """Logs a tool's failure with its traceback the first time, then in one line.

    A client can make a tool fail on every call; the log must not grow a traceback per call.
    Bounded: past ``limit`` distinct (tool, exception type) pairs, every failure is one line.
    """

    def __init__(self, limit: int = 256) -> None:
        self._seen: set[tuple[str, str]] = set()
        self._limit = limit
        self._lock = threading.Lock()

    def record(self, tool: str, exc: Exception) -> None:
        key = (tool, type(exc).__qualname__)
        with self._lock:
            first = key not in self._seen and len(self._seen) < self._limit
            if first:
                self._seen.add(key)
        if first:
            logger.error(
                "tool %s failed (%s); later failures like it are logged in one line",
                tool,
                key[1],
                exc_info=exc,
            )
        else:
            logger.error("tool %s failed again (%s)", tool, key[1])


def _string(params: Params, name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str):
        raise McpError(INVALID_PARAMS, f"Invalid params: {name} must be a string")
    return value


def _object(params: Params, name: str) -> dict[str, Any]:
    value = params.get(name, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise McpError(INVALID_PARAMS, f"Invalid params: {name} must be an object")
    return value


def _contents(uri: str, mime_type: str | None, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return value
    entry: dict[str, Any] = {"uri": uri}
    if mime_type:
        entry["mimeType"] = mime_type
    if isinstance(value, bytes):
        entry["blob"] = base64.b64encode(value).decode("ascii")
    else:
        entry["text"] = str(value)
    return [entry]


def _tool_result(value: Any) -> dict[str, Any]:
    if isinstance(value, ToolResult):
        return value.to_json()
    if isinstance(value, str):
        return {"content": [{"type": "text", "text": value}]}
    if isinstance(value, list):
        return {"content": value}
    if isinstance(value, dict) and "content" in value:
        return value
    raise TypeError(f"a tool returned {type(value).__name__}; return ToolResult, list or str")


def _error_result(text: str) -> dict[str, Any]:
    return ToolResult([{"type": "text", "text": text}], is_error=True).to_json()


class Dispatcher:
    """Answers MCP requests from a registry."""

    def __init__(self, registry: Registry, pending: PendingRequests | None = None) -> None:
        self.registry = registry
        self.seal = RequestStateSeal()
        self.pending = pending or PendingRequests()
        self._failures = _FailureLog()
        self._methods: dict[str, Callable[[Params, CallContext], dict[str, Any]]] = {
            "initialize": self._initialize,
            "ping": lambda params, ctx: {},
            "tools/list": lambda params, ctx: {
                "tools": [t.to_json() for t in self.registry.tools.values()]
            },
            "tools/call": self._call_tool,
            "resources/list": lambda params, ctx: {
                "resources": [r.to_json() for r in self.registry.resources.values()]
            },
            "resources/templates/list": lambda params, ctx: {
                "resourceTemplates": [t.to_json() for t in self.registry.templates]
            },
            "resources/read": self._read_resource,
            "resources/subscribe": self._subscription,
            "resources/unsubscribe": self._subscription,
            "prompts/list": lambda params, ctx: {
                "prompts": [p.to_json() for p in self.registry.prompts.values()]
            },
            "prompts/get": self._get_prompt,
            "completion/complete": self._complete,
            "logging/setLevel": self._set_level,
        }

    def is_streaming_request(self, message: dict[str, Any]) -> bool:
        """Whether ``message`` calls a tool registered with ``streaming=True``."""
        if message.get("method") != "tools/call":
            return False
        params = message.get("params")
        name = params.get("name") if isinstance(params, dict) else None
        tool = self.registry.tools.get(name) if isinstance(name, str) else None
        return bool(tool and tool.streaming)

    def handle_request(
        self,
        message: dict[str, Any],
        *,
        auth: AuthContext | None,
        protocol_version: str,
        emit: Emitter | None = None,
        session_id: str | None = None,
    ) -> dict[str, Any]:
        """The JSON-RPC response to ``message`` (a request, per :func:`classify`)."""
        request_id = message["id"]
        try:
            params = _params(message)
            handler = self._methods.get(message["method"])
            if handler is None or not self._offered(message["method"]):
                raise McpError(METHOD_NOT_FOUND, f"Method not found: {echo(message['method'])}")
            meta = params.get("_meta")
            meta = meta if isinstance(meta, dict) else {}
            purpose = f"{message['method']}:{params.get('name')}"
            ctx = CallContext(
                request_id,
                progress_token=meta.get("progressToken"),
                auth=auth,
                protocol_version=protocol_version,
                emit=emit,
                # 2026-07-28 has no server→client requests: input-required results instead
                requester=(
                    self._requester(emit, session_id)
                    if emit and protocol_version < MULTI_ROUND_TRIPS
                    else None
                ),
                **self._round_trip(params, meta, purpose, protocol_version),
            )
            try:
                result = handler(params, ctx)
            except InputRequired as needed:
                if protocol_version < MULTI_ROUND_TRIPS:
                    raise McpError(
                        INVALID_PARAMS,
                        f"{echo(purpose)} needs the client's input: use MCP {MULTI_ROUND_TRIPS}",
                    ) from None
                result = input_required_result(needed, self.seal, purpose)
        except McpError as exc:
            error: dict[str, Any] = exc.to_json()
            return {"jsonrpc": "2.0", "id": request_id, "error": error}
        except Exception:
            logger.exception("internal error handling %s", message.get("method"))
            error = {"code": INTERNAL_ERROR, "message": "Internal error"}
            return {"jsonrpc": "2.0", "id": request_id, "error": error}
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def _round_trip(
        self, params: Params, meta: dict[str, Any], purpose: str, protocol_version: str
    ) -> dict[str, Any]:
        """The 2026-07-28 retry fields of a request, checked (``requestState`` verified)."""
        if protocol_version < MULTI_ROUND_TRIPS:
            return {}
        responses = params.get("inputResponses", {})
        if not isinstance(responses, dict):
            raise McpError(INVALID_PARAMS, "Invalid params: inputResponses must be an object")
        state = params.get("requestState")
        capabilities = meta.get("io.modelcontextprotocol/clientCapabilities")
        level = meta.get("io.modelcontextprotocol/logLevel")
        return {
            # log messages only when this request asks for them, from its level up
            "min_log_level": level if level in LOG_LEVELS else None,
            "input_responses": responses,
            "request_state": None if state is None else self.seal.open(purpose, state),
            "client_capabilities": capabilities if isinstance(capabilities, dict) else {},
        }

    def _offered(self, method: str) -> bool:
        """Whether the capability behind ``method`` is advertised (else it does not exist)."""
        family = _CAPABILITY_OF.get(method.split("/", 1)[0])
        return family is None or family in self.registry.capabilities()

    def handle_response(self, message: dict[str, Any], session_id: str | None = None) -> None:
        """Route a client's JSON-RPC response to the server→client request awaiting it."""
        if not self.pending.resolve(message, session_id):
            logger.debug("response to an unknown request id ignored")

    # ------------------------------------------------------------------ methods

    def _initialize(self, params: Params, ctx: CallContext) -> dict[str, Any]:
        requested = _string(params, "protocolVersion")
        _object(params, "capabilities")
        info: dict[str, Any] = {"name": self.registry.name, "version": self.registry.version}
        if self.registry.title:
            info["title"] = self.registry.title
        result: dict[str, Any] = {
            "protocolVersion": negotiate_version(requested),
            "capabilities": self.registry.capabilities(),
            "serverInfo": info,
        }
        if self.registry.instructions:
            result["instructions"] = self.registry.instructions
        return result

    def _call_tool(self, params: Params, ctx: CallContext) -> dict[str, Any]:
        name = _string(params, "name")
        arguments = _object(params, "arguments")
        tool = self.registry.tools.get(name)
        if tool is None:
            raise McpError(INVALID_PARAMS, f"Unknown tool: {echo(name)}")
        missing = [k for k in tool.input_schema.get("required", ()) if k not in arguments]
        try:
            if missing:
                raise McpError(
                    INVALID_PARAMS,
                    f"Invalid arguments for tool {name}: missing {', '.join(missing)}",
                )
            return _tool_result(tool.handler(arguments, ctx))
        except InputRequired:
            raise  # answered as an input-required result by handle_request
        except McpError as exc:
            # SEP-1303 (2025-11-25): bad tool arguments are a tool error the model can read and
            # correct; earlier revisions answer them with JSON-RPC -32602.
            if exc.code == INVALID_PARAMS and ctx.protocol_version >= ARGUMENT_ERRORS_AS_RESULTS:
                return _error_result(exc.message)
            raise
        except Exception as exc:  # a tool failure is a result the model can see, not a crash
            # The exception's text stays in the server log: it may hold internals or echo input.
            self._failures.record(name, exc)
            return _error_result(f"Tool {name} failed.")

    def _read_resource(self, params: Params, ctx: CallContext) -> dict[str, Any]:
        uri = _string(params, "uri")
        resource = self.registry.resources.get(uri)
        if resource is not None:
            return {"contents": _contents(uri, resource.mime_type, resource.handler(uri, ctx))}
        found = self.registry.find_template(uri)
        if found is None:
            # 2026-07-28 (SEP-2164) standardises on Invalid params; older revisions used -32002
            modern = ctx.protocol_version >= RESOURCE_NOT_FOUND_AS_INVALID
            code = INVALID_PARAMS if modern else RESOURCE_NOT_FOUND
            raise McpError(code, "Resource not found", {"uri": echo(uri)})
        template, variables = found
        value = template.handler(uri, variables, ctx)
        return {"contents": _contents(uri, template.mime_type, value)}

    def _subscription(self, params: Params, ctx: CallContext) -> dict[str, Any]:
        _string(params, "uri")
        return {}

    def _get_prompt(self, params: Params, ctx: CallContext) -> dict[str, Any]:
        name = _string(params, "name")
        prompt = self.registry.prompts.get(name)
        if prompt is None:
            raise McpError(INVALID_PARAMS, f"Unknown prompt: {echo(name)}")
        arguments = _object(params, "arguments")
        if not all(isinstance(v, str) for v in arguments.values()):
            raise McpError(INVALID_PARAMS, "Invalid params: prompt arguments must be strings")
        missing = [a.name for a in prompt.arguments if a.required and a.name not in arguments]
        if missing:
            raise McpError(INVALID_PARAMS, f"Missing required argument(s): {', '.join(missing)}")
        value = prompt.handler(arguments, ctx)
        if isinstance(value, dict):
            return value
        result: dict[str, Any] = {"messages": value}
        if prompt.description:
            result["description"] = prompt.description
        return result

    def _complete(self, params: Params, ctx: CallContext) -> dict[str, Any]:
        ref = _object(params, "ref")
        argument = _object(params, "argument")
        ref_type = _string(ref, "type")
        if ref_type == "ref/prompt":
            key = _string(ref, "name")
        elif ref_type == "ref/resource":
            key = _string(ref, "uri")
        else:
            raise McpError(INVALID_PARAMS, f"Invalid params: unknown ref type {echo(ref_type)}")
        name = _string(argument, "name")
        value = _string(argument, "value")
        context = _object(_object(params, "context"), "arguments")
        handler = self.registry.completions.get((ref_type, key))
        values = [str(v) for v in handler(name, value, context)] if handler else []
        completion: dict[str, Any] = {
            "values": values[:MAX_COMPLETION_VALUES],
            "total": len(values),
            "hasMore": len(values) > MAX_COMPLETION_VALUES,
        }
        return {"completion": completion}

    def _set_level(self, params: Params, ctx: CallContext) -> dict[str, Any]:
        level = _string(params, "level")
        if level not in LOG_LEVELS:
            raise McpError(INVALID_PARAMS, f"Invalid params: unknown log level {echo(level)}")
        return {}

    # ------------------------------------------------------------------ server → client

    def _requester(
        self, emit: Emitter, session_id: str | None
    ) -> Callable[[str, dict[str, Any], float], dict[str, Any]]:
        def request(method: str, params: dict[str, Any], timeout: float) -> dict[str, Any]:
            request_id, future = self.pending.open(session_id)
            try:
                emit({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
                answer = future.result(timeout=timeout)
            except FutureTimeout:
                raise McpError(
                    INTERNAL_ERROR, f"no answer to {method} within {timeout} s"
                ) from None
            finally:
                self.pending.close(request_id)
            if "error" in answer:
                error = answer["error"] if isinstance(answer["error"], dict) else {}
                raise McpError(
                    int(error.get("code", INTERNAL_ERROR)),
                    str(error.get("message", f"{method} failed")),
                )
            result = answer.get("result")
            return result if isinstance(result, dict) else {}

        return request
