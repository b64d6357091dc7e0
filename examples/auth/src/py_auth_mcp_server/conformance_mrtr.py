"""The conformance fixtures of MCP 2026-07-28: input-required results and stateless probes.

Input-required results (SEP-2322) and the stateless-server probes (SEP-2575: a tool needing an
undeclared capability, a streamed tool that must not send requests of its own, a logging tool
silent without ``_meta`` logLevel).

Tools and a prompt named as the suite's ``input-required-result-*`` scenarios describe them: each
raises :class:`~.mcp.mrtr.InputRequired` on the first try and completes once the client retries
with the answers (and the sealed ``requestState``, which the dispatcher verified before the
handler runs).
"""

from __future__ import annotations

from typing import Any

from py_auth_mcp_server.mcp.modern import MISSING_REQUIRED_CLIENT_CAPABILITY
from py_auth_mcp_server.mcp.mrtr import InputRequired
from py_auth_mcp_server.mcp.registry import CallContext, McpError, Registry

__all__ = ["register_input_required", "register_stateless_probes"]

NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}}


def _elicit(message: str, field: str, kind: str = "string") -> dict[str, Any]:
    schema = {"type": "object", "properties": {field: {"type": kind}}, "required": [field]}
    return {
        "method": "elicitation/create",
        "params": {"message": message, "requestedSchema": schema},
    }


def _sample(text: str, max_tokens: int) -> dict[str, Any]:
    message = {"role": "user", "content": {"type": "text", "text": text}}
    return {
        "method": "sampling/createMessage",
        "params": {"messages": [message], "maxTokens": max_tokens},
    }


ROOTS: dict[str, Any] = {"method": "roots/list", "params": {}}


def _answers(ctx: CallContext, *keys: str) -> dict[str, dict[str, Any]] | None:
    """The client's answers for every key, or ``None`` when one is missing or not an object."""
    found = {key: ctx.input_responses.get(key) for key in keys}
    if all(isinstance(value, dict) for value in found.values()):
        return found  # type: ignore[return-value]
    return None


def _field(answer: dict[str, Any], name: str) -> str:
    """A field of an accepted elicitation answer, as text."""
    content = answer.get("content")
    return str(content.get(name, "")) if isinstance(content, dict) else ""


def _sampled_text(answer: dict[str, Any]) -> str:
    content = answer.get("content")
    return str(content.get("text", "")) if isinstance(content, dict) else ""


def _text(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}]


def register_input_required(registry: Registry) -> None:
    """Register the input-required fixtures on ``registry``."""
    ask_name = _elicit("What is your name?", "name")

    @registry.tool(
        "test_input_required_result_elicitation",
        description="Asks the user's name (elicitation), then greets them.",
        input_schema=NO_ARGUMENTS,
    )
    def elicitation(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        answers = _answers(ctx, "user_name")
        if answers is None:
            raise InputRequired({"user_name": ask_name})
        return _text(f"Hello, {_field(answers['user_name'], 'name')}!")

    @registry.tool(
        "test_input_required_result_sampling",
        description="Asks the client's model a question (sampling), then returns its answer.",
        input_schema=NO_ARGUMENTS,
    )
    def sampling(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        answers = _answers(ctx, "capital_question")
        if answers is None:
            raise InputRequired(
                {"capital_question": _sample("What is the capital of France?", 100)}
            )
        return _text(_sampled_text(answers["capital_question"]) or "(empty sampling response)")

    @registry.tool(
        "test_input_required_result_list_roots",
        description="Asks for the client's roots, then lists them.",
        input_schema=NO_ARGUMENTS,
    )
    def list_roots(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        answers = _answers(ctx, "client_roots")
        if answers is None:
            raise InputRequired({"client_roots": ROOTS})
        roots = answers["client_roots"].get("roots")
        uris = (
            [r.get("uri") for r in roots if isinstance(r, dict)] if isinstance(roots, list) else []
        )
        return _text("Client roots: " + (", ".join(str(u) for u in uris) or "(none)"))

    @registry.tool(
        "test_input_required_result_request_state",
        description="Asks for a confirmation and carries sealed requestState across the retry.",
        input_schema=NO_ARGUMENTS,
    )
    def request_state(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        answers = _answers(ctx, "confirm")
        if answers is None or ctx.request_state != {"step": "confirm"}:
            raise InputRequired(
                {"confirm": _elicit("Please confirm", "ok", "boolean")}, {"step": "confirm"}
            )
        return _text("state-ok: confirmed")

    @registry.tool(
        "test_input_required_result_multiple_inputs",
        description="Asks for elicitation, sampling and roots at once.",
        input_schema=NO_ARGUMENTS,
    )
    def multiple_inputs(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        answers = _answers(ctx, "user_name", "greeting", "client_roots")
        if answers is None or ctx.request_state != {"step": "all"}:
            requests = {
                "user_name": ask_name,
                "greeting": _sample("Generate a greeting", 50),
                "client_roots": ROOTS,
            }
            raise InputRequired(requests, {"step": "all"})
        return _text(f"Received all inputs for {_field(answers['user_name'], 'name')}")

    @registry.tool(
        "test_input_required_result_multi_round",
        description="Asks two questions in two rounds (name, then colour).",
        input_schema=NO_ARGUMENTS,
    )
    def multi_round(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        state = ctx.request_state if isinstance(ctx.request_state, dict) else {}
        if state.get("round") == 2:
            answers = _answers(ctx, "step2")
            if answers is not None:
                color = _field(answers["step2"], "color")
                return _text(f"{state.get('name', '')} likes {color}")
        elif state.get("round") == 1:
            answers = _answers(ctx, "step1")
            if answers is not None:
                name = _field(answers["step1"], "name")
                step2 = _elicit("Step 2: What is your favorite color?", "color")
                raise InputRequired({"step2": step2}, {"round": 2, "name": name})
        raise InputRequired({"step1": _elicit("Step 1: What is your name?", "name")}, {"round": 1})

    @registry.tool(
        "test_input_required_result_tampered_state",
        description="Refuses a requestState that fails its integrity check.",
        input_schema=NO_ARGUMENTS,
    )
    def tampered_state(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        if ctx.request_state != {"step": "sealed"} or _answers(ctx, "confirm") is None:
            raise InputRequired(
                {"confirm": _elicit("Please confirm", "ok", "boolean")}, {"step": "sealed"}
            )
        return _text("state verified")

    @registry.tool(
        "test_input_required_result_capabilities",
        description="Asks only for inputs the request's client capabilities declare.",
        input_schema=NO_ARGUMENTS,
    )
    def capabilities(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        declared = ctx.client_capabilities
        wanted = {
            "user_name": (ask_name, "elicitation"),
            "greeting": (_sample("Generate a greeting", 50), "sampling"),
            "client_roots": (ROOTS, "roots"),
        }
        requests = {key: req for key, (req, cap) in wanted.items() if cap in declared}
        pending = {
            k: v for k, v in requests.items() if not isinstance(ctx.input_responses.get(k), dict)
        }
        if pending:
            raise InputRequired(pending)
        return _text("Inputs received for: " + (", ".join(requests) or "no declared capability"))

    @registry.prompt(
        "test_input_required_result_prompt", description="A prompt that asks the user for context."
    )
    def prompt(arguments: dict[str, str], ctx: CallContext) -> list[dict[str, Any]]:
        answers = _answers(ctx, "user_context")
        if answers is None:
            ask = _elicit("What context should the prompt use?", "context")
            raise InputRequired({"user_context": ask})
        text = f"Use this context: {_field(answers['user_context'], 'context')}"
        return [{"role": "user", "content": {"type": "text", "text": text}}]


def register_stateless_probes(registry: Registry) -> None:
    """Register the tools the ``server-stateless`` scenario probes."""

    @registry.tool(
        "test_missing_capability",
        description="Needs the sampling capability; refused (-32021) when it is not declared.",
        input_schema=NO_ARGUMENTS,
    )
    def missing_capability(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        if "sampling" not in ctx.client_capabilities:
            raise McpError(
                MISSING_REQUIRED_CLIENT_CAPABILITY,
                "Missing required client capability: sampling",
                {"requiredCapabilities": {"sampling": {}}},
            )
        answers = _answers(ctx, "question")
        if answers is None:
            raise InputRequired({"question": _sample("Say hello", 20)})
        return _text(_sampled_text(answers["question"]))

    @registry.tool(
        "test_streaming_elicitation",
        description="Streams progress, then asks for input with an input-required result.",
        input_schema=NO_ARGUMENTS,
        streaming=True,
    )
    def streaming_elicitation(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        ctx.progress(0.0, 1.0)
        answers = _answers(ctx, "user_name")
        if answers is None:
            raise InputRequired({"user_name": _elicit("What is your name?", "name")})
        return _text(f"Hello, {_field(answers['user_name'], 'name')}!")

    @registry.tool(
        "test_logging_tool",
        description="Logs three messages (only when the request sets a log level).",
        input_schema=NO_ARGUMENTS,
        streaming=True,
    )
    def logging_tool(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        for text in ("started", "working", "done"):
            ctx.log("info", f"test_logging_tool {text}")
        return _text("logged")
