"""The MCP conformance fixtures served by `python -m py_auth_mcp_server --conformance`.

`@modelcontextprotocol/conformance` (server mode) calls tools, reads resources and gets prompts
by fixed names and checks their shape; this module registers exactly those fixtures on a fresh
`Registry`. It is test scaffolding for the protocol layer: auth is off in conformance mode and
nothing here touches tokens.

The fixtures follow the scenario descriptions of the suite (the version pinned in
`examples/auth/e2e/package.json`): names, argument names and the texts the suite looks for.
Binary payloads (a 1x1 PNG, a short WAV) are generated here rather than pasted as opaque base64.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import time
import wave
import zlib
from typing import Any

from py_auth_mcp_server.conformance_mrtr import (
    register_input_required,
    register_stateless_probes,
)
from py_auth_mcp_server.mcp.registry import (
    CallContext,
    McpError,
    PromptArgument,
    Registry,
    ToolResult,
)

INVALID_PARAMS = -32602
STEP_DELAY_S = 0.05
"""Pause between the notifications of the logging and progress tools (the suite asks for ~50 ms)."""

NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}}

JSON_SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"
COMPLETION_CANDIDATES = ("paris", "park", "party", "test", "testing", "tester")


def _png_pixel(red: int, green: int, blue: int) -> bytes:
    """A valid 1x1 RGB PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit, truecolour
    scanline = bytes((0, red, green, blue))  # filter byte 0, then one pixel
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanline))
        + chunk(b"IEND", b"")
    )


def _wav_silence(milliseconds: int = 50, rate: int = 8000) -> bytes:
    """A valid mono 16-bit PCM WAV file of silence."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * (rate * milliseconds // 1000))
    return buffer.getvalue()


RED_PIXEL_PNG = _png_pixel(255, 0, 0)
RED_PIXEL_PNG_B64 = base64.b64encode(RED_PIXEL_PNG).decode("ascii")
SILENCE_WAV_B64 = base64.b64encode(_wav_silence()).decode("ascii")


def _image_block() -> dict[str, Any]:
    return {"type": "image", "data": RED_PIXEL_PNG_B64, "mimeType": "image/png"}


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _required_string(arguments: dict[str, Any], name: str) -> str:
    value = arguments.get(name)
    if not isinstance(value, str):
        raise McpError(INVALID_PARAMS, f"argument {name!r} is required and must be a string")
    return value


def _register_content_tools(registry: Registry) -> None:
    @registry.tool(
        "test_simple_text",
        description="Returns a fixed text block.",
        input_schema=NO_ARGUMENTS,
    )
    def simple_text(arguments: dict[str, Any], ctx: CallContext) -> str:
        return "This is a simple text response for testing."

    @registry.tool(
        "test_image_content",
        description="Returns a 1x1 red PNG image.",
        input_schema=NO_ARGUMENTS,
    )
    def image_content(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        return [_image_block()]

    @registry.tool(
        "test_audio_content",
        description="Returns a short WAV clip of silence.",
        input_schema=NO_ARGUMENTS,
    )
    def audio_content(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        return [{"type": "audio", "data": SILENCE_WAV_B64, "mimeType": "audio/wav"}]

    @registry.tool(
        "test_embedded_resource",
        description="Returns an embedded text resource.",
        input_schema=NO_ARGUMENTS,
    )
    def embedded_resource(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        return [
            {
                "type": "resource",
                "resource": {
                    "uri": "test://embedded-resource",
                    "mimeType": "text/plain",
                    "text": "This is an embedded resource content.",
                },
            }
        ]

    @registry.tool(
        "test_multiple_content_types",
        description="Returns text, image and embedded resource blocks together.",
        input_schema=NO_ARGUMENTS,
    )
    def mixed_content(arguments: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
        return [
            _text_block("Multiple content types test:"),
            _image_block(),
            {
                "type": "resource",
                "resource": {
                    "uri": "test://mixed-content-resource",
                    "mimeType": "application/json",
                    "text": json.dumps({"test": "data", "value": 123}, separators=(",", ":")),
                },
            },
        ]

    @registry.tool(
        "test_error_handling",
        description="Always fails with a tool error (isError: true).",
        input_schema=NO_ARGUMENTS,
    )
    def error_handling(arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        return ToolResult(
            content=[_text_block("This tool intentionally returns an error for testing")],
            is_error=True,
        )

    @registry.tool(
        "json_schema_2020_12_tool",
        description="Tool with JSON Schema 2020-12 features",
        input_schema={
            "$schema": JSON_SCHEMA_2020_12,
            "type": "object",
            "$defs": {
                "address": {
                    "type": "object",
                    "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
                }
            },
            "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
            "additionalProperties": False,
        },
    )
    def json_schema_tool(arguments: dict[str, Any], ctx: CallContext) -> str:
        return f"Received: {json.dumps(arguments, sort_keys=True)}"

    @registry.tool(
        "test_mcp_param_headers",
        description="Echoes a region mirrored in the Mcp-Param-Region header (2026-07-28).",
        input_schema={
            "type": "object",
            "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"},
                "note": {"type": "string", "description": "Not mirrored in a header."},
            },
            "required": ["region"],
        },
    )
    def mcp_param_headers(arguments: dict[str, Any], ctx: CallContext) -> str:
        return f"Region: {_required_string(arguments, 'region')}"


def _register_streaming_tools(registry: Registry) -> None:
    @registry.tool(
        "test_tool_with_logging",
        description="Sends three info log notifications while it runs.",
        input_schema=NO_ARGUMENTS,
        streaming=True,
    )
    def with_logging(arguments: dict[str, Any], ctx: CallContext) -> str:
        ctx.log("info", "Tool execution started")
        time.sleep(STEP_DELAY_S)
        ctx.log("info", "Tool processing data")
        time.sleep(STEP_DELAY_S)
        ctx.log("info", "Tool execution completed")
        return "Tool with logging executed successfully"

    @registry.tool(
        "test_tool_with_progress",
        description="Reports progress 0, 50 and 100 of 100 when given a progress token.",
        input_schema=NO_ARGUMENTS,
        streaming=True,
    )
    def with_progress(arguments: dict[str, Any], ctx: CallContext) -> str:
        for step, progress in enumerate((0.0, 50.0, 100.0)):
            if step:
                time.sleep(STEP_DELAY_S)
            ctx.progress(progress, 100.0)
        return "Tool with progress executed successfully"

    @registry.tool(
        "test_sampling",
        description="Asks the client to sample an LLM with the given prompt.",
        input_schema={
            "type": "object",
            "properties": {"prompt": {"type": "string", "description": "The prompt to send"}},
            "required": ["prompt"],
        },
        streaming=True,
    )
    def sampling(arguments: dict[str, Any], ctx: CallContext) -> str:
        prompt = _required_string(arguments, "prompt")
        result = ctx.request(
            "sampling/createMessage",
            {
                "messages": [{"role": "user", "content": _text_block(prompt)}],
                "maxTokens": 100,
            },
        )
        content = result.get("content")
        text = content.get("text") if isinstance(content, dict) else None
        return f"LLM response: {text if isinstance(text, str) else json.dumps(content)}"

    @registry.tool(
        "test_elicitation",
        description="Asks the user (through the client) for a username and an email address.",
        input_schema={
            "type": "object",
            "properties": {"message": {"type": "string", "description": "Shown to the user"}},
            "required": ["message"],
        },
        streaming=True,
    )
    def elicitation(arguments: dict[str, Any], ctx: CallContext) -> str:
        message = _required_string(arguments, "message")
        result = ctx.request(
            "elicitation/create",
            {
                "message": message,
                "requestedSchema": {
                    "type": "object",
                    "properties": {
                        "username": {"type": "string", "description": "User's response"},
                        "email": {"type": "string", "description": "User's email address"},
                    },
                    "required": ["username", "email"],
                },
            },
        )
        return f"User response: {_describe_elicitation(result)}"

    @registry.tool(
        "test_elicitation_sep1034_defaults",
        description="Elicits a form whose every primitive field has a default (SEP-1034).",
        input_schema=NO_ARGUMENTS,
        streaming=True,
    )
    def elicitation_defaults(arguments: dict[str, Any], ctx: CallContext) -> str:
        result = ctx.request(
            "elicitation/create",
            {
                "message": "Please review and update the form fields with defaults",
                "requestedSchema": {
                    "type": "object",
                    "properties": {
                        "name": {
                            "type": "string",
                            "description": "User name",
                            "default": "John Doe",
                        },
                        "age": {"type": "integer", "description": "User age", "default": 30},
                        "score": {"type": "number", "description": "User score", "default": 95.5},
                        "status": {
                            "type": "string",
                            "description": "User status",
                            "enum": ["active", "inactive", "pending"],
                            "default": "active",
                        },
                        "verified": {
                            "type": "boolean",
                            "description": "Verification status",
                            "default": True,
                        },
                    },
                    "required": [],
                },
            },
        )
        return f"Elicitation completed: {_describe_elicitation(result)}"

    @registry.tool(
        "test_elicitation_sep1330_enums",
        description="Elicits a form using the five enum schema variants of SEP-1330.",
        input_schema=NO_ARGUMENTS,
        streaming=True,
    )
    def elicitation_enums(arguments: dict[str, Any], ctx: CallContext) -> str:
        options = ["option1", "option2", "option3"]
        result = ctx.request(
            "elicitation/create",
            {
                "message": "Please pick from each kind of enum",
                "requestedSchema": {
                    "type": "object",
                    "properties": {
                        "untitledSingle": {"type": "string", "enum": options},
                        "titledSingle": {
                            "type": "string",
                            "oneOf": [
                                {"const": "value1", "title": "First Option"},
                                {"const": "value2", "title": "Second Option"},
                                {"const": "value3", "title": "Third Option"},
                            ],
                        },
                        "legacyEnum": {
                            "type": "string",
                            "enum": ["opt1", "opt2", "opt3"],
                            "enumNames": ["Option One", "Option Two", "Option Three"],
                        },
                        "untitledMulti": {
                            "type": "array",
                            "items": {"type": "string", "enum": options},
                        },
                        "titledMulti": {
                            "type": "array",
                            "items": {
                                "anyOf": [
                                    {"const": "value1", "title": "First Choice"},
                                    {"const": "value2", "title": "Second Choice"},
                                    {"const": "value3", "title": "Third Choice"},
                                ]
                            },
                        },
                    },
                    "required": [],
                },
            },
        )
        return f"Elicitation completed: {_describe_elicitation(result)}"


def _describe_elicitation(result: dict[str, Any]) -> str:
    action = result.get("action")
    content = result.get("content")
    return f"action={action}, content={json.dumps(content, sort_keys=True)}"


def _register_resources(registry: Registry) -> None:
    @registry.resource(
        "test://static-text",
        name="static-text",
        description="A static text resource.",
        mime_type="text/plain",
    )
    def static_text(uri: str, ctx: CallContext) -> str:
        return "This is the content of the static text resource."

    @registry.resource(
        "test://static-binary",
        name="static-binary",
        description="A static binary resource (a 1x1 PNG).",
        mime_type="image/png",
    )
    def static_binary(uri: str, ctx: CallContext) -> bytes:
        return RED_PIXEL_PNG

    @registry.resource(
        "test://watched-resource",
        name="watched-resource",
        description="A resource clients may subscribe to.",
        mime_type="text/plain",
    )
    def watched(uri: str, ctx: CallContext) -> str:
        return "This resource can be subscribed to."

    @registry.resource_template(
        "test://template/{id}/data",
        name="template-data",
        description="JSON data for the given id.",
        mime_type="application/json",
    )
    def template_data(uri: str, params: dict[str, str], ctx: CallContext) -> str:
        item = params["id"]
        return json.dumps({"id": item, "templateTest": True, "data": f"Data for ID: {item}"})

    @registry.completion("ref/resource", "test://template/{id}/data")
    def complete_template_id(name: str, value: str, context: dict[str, str]) -> list[str]:
        return [item for item in ("1", "123", "42") if item.startswith(value)]


def _register_prompts(registry: Registry) -> None:
    @registry.prompt("test_simple_prompt", description="A prompt without arguments.")
    def simple_prompt(arguments: dict[str, str], ctx: CallContext) -> list[dict[str, Any]]:
        return [{"role": "user", "content": _text_block("This is a simple prompt for testing.")}]

    @registry.prompt(
        "test_prompt_with_arguments",
        description="A prompt that substitutes two arguments.",
        arguments=[
            PromptArgument("arg1", "First test argument", required=True),
            PromptArgument("arg2", "Second test argument", required=True),
        ],
    )
    def prompt_with_arguments(arguments: dict[str, str], ctx: CallContext) -> list[dict[str, Any]]:
        text = f"Prompt with arguments: arg1='{arguments['arg1']}', arg2='{arguments['arg2']}'"
        return [{"role": "user", "content": _text_block(text)}]

    @registry.completion("ref/prompt", "test_prompt_with_arguments")
    def complete_prompt_argument(name: str, value: str, context: dict[str, str]) -> list[str]:
        return [item for item in COMPLETION_CANDIDATES if item.startswith(value)]

    @registry.prompt(
        "test_prompt_with_embedded_resource",
        description="A prompt embedding the resource named by resourceUri.",
        arguments=[PromptArgument("resourceUri", "URI of the resource to embed", required=True)],
    )
    def prompt_with_resource(arguments: dict[str, str], ctx: CallContext) -> list[dict[str, Any]]:
        return [
            {
                "role": "user",
                "content": {
                    "type": "resource",
                    "resource": {
                        "uri": arguments["resourceUri"],
                        "mimeType": "text/plain",
                        "text": "Embedded resource content for testing.",
                    },
                },
            },
            {"role": "user", "content": _text_block("Please process the embedded resource above.")},
        ]

    @registry.prompt("test_prompt_with_image", description="A prompt carrying an image.")
    def prompt_with_image(arguments: dict[str, str], ctx: CallContext) -> list[dict[str, Any]]:
        return [
            {"role": "user", "content": _image_block()},
            {"role": "user", "content": _text_block("Please analyze the image above.")},
        ]


def build_registry() -> Registry:
    """A registry holding every fixture the MCP conformance suite's server scenarios use."""
    registry = Registry(name="py-auth-mcp-server-conformance", version="0.2.0", instructions=None)
    _register_content_tools(registry)
    _register_streaming_tools(registry)
    _register_resources(registry)
    _register_prompts(registry)
    register_input_required(registry)
    register_stateless_probes(registry)
    return registry
