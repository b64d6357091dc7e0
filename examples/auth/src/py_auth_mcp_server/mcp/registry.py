"""What an MCP server offers: tools, resources, resource templates, prompts and completions.

The transport (``routes/mcp_handler.py``) and the dispatcher (``mcp/dispatcher.py``) are generic;
everything server-specific is registered here, so another set of tools — the weather tools, or
the conformance fixtures — plugs in by building another :class:`Registry`.

Handlers:
- tool:      ``(arguments: dict, ctx: CallContext) -> ToolResult | list[dict] | str``
- resource:  ``(uri: str, ctx) -> str | bytes | list[dict]``
- template:  ``(uri: str, params: dict[str, str], ctx) -> str | bytes | list[dict]``
- prompt:    ``(arguments: dict[str, str], ctx) -> list[dict] | dict``
- completion: ``(argument_name: str, value: str, context_arguments: dict[str, str]) -> list[str]``
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from gopher_mcp_python.auth import normalize_scopes
from gopher_mcp_python.auth.routing import header_params

from .context import CallContext
from .protocol import McpError

__all__ = [
    "CallContext",
    "McpError",
    "Prompt",
    "PromptArgument",
    "Registry",
    "Resource",
    "ResourceTemplate",
    "Tool",
    "ToolResult",
]

ToolHandler = Callable[[dict[str, Any], CallContext], Any]
ResourceHandler = Callable[[str, CallContext], Any]
TemplateHandler = Callable[[str, dict[str, str], CallContext], Any]
PromptHandler = Callable[[dict[str, str], CallContext], Any]
CompletionHandler = Callable[[str, str, dict[str, str]], Sequence[str]]
H = TypeVar("H", bound=Callable[..., Any])

EMPTY_OBJECT_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class ToolResult:
    """A ``tools/call`` result: content blocks, optional structured content, error flag."""

    content: list[dict[str, Any]]
    structured_content: dict[str, Any] | None = None
    is_error: bool = False

    def to_json(self) -> dict[str, Any]:
        """The ``CallToolResult`` JSON object."""
        result: dict[str, Any] = {"content": self.content}
        if self.structured_content is not None:
            result["structuredContent"] = self.structured_content
        if self.is_error:
            result["isError"] = True
        return result


@dataclass(frozen=True)
class Tool:
    """A registered tool."""

    name: str
    description: str
    input_schema: dict[str, Any]
    handler: ToolHandler
    required_scopes: tuple[str, ...] = ()
    title: str | None = None
    annotations: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    streaming: bool = False
    #: The ``x-mcp-header`` annotations of ``input_schema`` (property → header name), read once;
    #: an annotation clients must refuse fails the registration (``ValueError``).
    header_params: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "header_params", header_params(self.input_schema))

    def to_json(self) -> dict[str, Any]:
        """The tool's entry in ``tools/list``."""
        entry: dict[str, Any] = {"name": self.name}
        if self.title:
            entry["title"] = self.title
        entry["description"] = self.description
        entry["inputSchema"] = self.input_schema
        if self.output_schema is not None:
            entry["outputSchema"] = self.output_schema
        if self.annotations is not None:
            entry["annotations"] = self.annotations
        return entry


@dataclass(frozen=True)
class Resource:
    """A registered static resource."""

    uri: str
    name: str
    handler: ResourceHandler
    description: str | None = None
    mime_type: str | None = None
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The resource's entry in ``resources/list``."""
        return _described(
            {"uri": self.uri, "name": self.name}, self.title, self.description, self.mime_type
        )


@dataclass(frozen=True)
class ResourceTemplate:
    """A registered resource template (RFC 6570 level 1: ``{name}`` variables)."""

    uri_template: str
    name: str
    handler: TemplateHandler
    description: str | None = None
    mime_type: str | None = None
    title: str | None = None
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", self.uri_template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/?#]+)"
            for i, part in enumerate(parts)
        )
        object.__setattr__(self, "pattern", re.compile(regex))

    def match(self, uri: str) -> dict[str, str] | None:
        """The template variables if ``uri`` matches this template, else ``None``."""
        found = self.pattern.fullmatch(uri)
        return found.groupdict() if found else None

    def to_json(self) -> dict[str, Any]:
        """The template's entry in ``resources/templates/list``."""
        return _described(
            {"uriTemplate": self.uri_template, "name": self.name},
            self.title,
            self.description,
            self.mime_type,
        )


@dataclass(frozen=True)
class PromptArgument:
    """An argument of a prompt."""

    name: str
    description: str | None = None
    required: bool = False

    def to_json(self) -> dict[str, Any]:
        """The argument's JSON entry."""
        entry: dict[str, Any] = {"name": self.name}
        if self.description:
            entry["description"] = self.description
        entry["required"] = self.required
        return entry


@dataclass(frozen=True)
class Prompt:
    """A registered prompt."""

    name: str
    handler: PromptHandler
    description: str | None = None
    arguments: tuple[PromptArgument, ...] = ()
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The prompt's entry in ``prompts/list``."""
        entry = _described({"name": self.name}, self.title, self.description, None)
        entry["arguments"] = [a.to_json() for a in self.arguments]
        return entry


def _described(
    entry: dict[str, Any], title: str | None, description: str | None, mime_type: str | None
) -> dict[str, Any]:
    if title:
        entry["title"] = title
    if description:
        entry["description"] = description
    if mime_type:
        entry["mimeType"] = mime_type
    return entry


class Registry:
    """Everything one MCP server offers; see the module docstring."""

    def __init__(
        self, name: str, version: str, instructions: str | None = None, title: str | None = None
    ) -> None:
        self.name = name
        self.version = version
        self.instructions = instructions
        self.title = title
        self.tools: dict[str, Tool] = {}
        self.resources: dict[str, Resource] = {}
        self.templates: list[ResourceTemplate] = []
        self.prompts: dict[str, Prompt] = {}
        self.completions: dict[tuple[str, str], CompletionHandler] = {}

    # ------------------------------------------------------------------ registration

    def add_tool(self, tool: Tool) -> Tool:
        """Register ``tool`` (names are unique)."""
        if tool.name in self.tools:
            raise ValueError(f"tool {tool.name!r} is already registered")
        self.tools[tool.name] = tool
        return tool

    def tool(
        self,
        name: str,
        *,
        description: str,
        input_schema: dict[str, Any] | None = None,
        required_scopes: Sequence[str] = (),
        title: str | None = None,
        annotations: dict[str, Any] | None = None,
        output_schema: dict[str, Any] | None = None,
        streaming: bool = False,
    ) -> Callable[[H], H]:
        """Decorator registering a tool handler (see the module docstring)."""

        def register(handler: H) -> H:
            self.add_tool(
                Tool(
                    name=name,
                    description=description,
                    input_schema=input_schema or dict(EMPTY_OBJECT_SCHEMA),
                    handler=handler,
                    required_scopes=normalize_scopes(required_scopes),
                    title=title,
                    annotations=annotations,
                    output_schema=output_schema,
                    streaming=streaming,
                )
            )
            return handler

        return register

    def resource(
        self,
        uri: str,
        *,
        name: str,
        description: str | None = None,
        mime_type: str | None = None,
        title: str | None = None,
    ) -> Callable[[H], H]:
        """Decorator registering a static resource."""

        def register(handler: H) -> H:
            if uri in self.resources:
                raise ValueError(f"resource {uri!r} is already registered")
            self.resources[uri] = Resource(uri, name, handler, description, mime_type, title)
            return handler

        return register

    def resource_template(
        self,
        uri_template: str,
        *,
        name: str,
        description: str | None = None,
        mime_type: str | None = None,
        title: str | None = None,
    ) -> Callable[[H], H]:
        """Decorator registering a resource template."""

        def register(handler: H) -> H:
            self.templates.append(
                ResourceTemplate(uri_template, name, handler, description, mime_type, title)
            )
            return handler

        return register

    def prompt(
        self,
        name: str,
        *,
        description: str | None = None,
        arguments: Sequence[PromptArgument] = (),
        title: str | None = None,
    ) -> Callable[[H], H]:
        """Decorator registering a prompt."""

        def register(handler: H) -> H:
            if name in self.prompts:
                raise ValueError(f"prompt {name!r} is already registered")
            self.prompts[name] = Prompt(name, handler, description, tuple(arguments), title)
            return handler

        return register

    def completion(self, ref_type: str, ref: str) -> Callable[[H], H]:
        """Decorator registering argument completion for a prompt or a resource template.

        ``ref_type`` is ``"ref/prompt"`` (``ref`` = prompt name) or ``"ref/resource"``
        (``ref`` = the template's URI template).
        """
        if ref_type not in ("ref/prompt", "ref/resource"):
            raise ValueError(f"ref_type must be 'ref/prompt' or 'ref/resource', got {ref_type!r}")

        def register(handler: H) -> H:
            self.completions[(ref_type, ref)] = handler
            return handler

        return register

    # ------------------------------------------------------------------ queries

    def capabilities(self) -> dict[str, Any]:
        """The server capabilities to advertise in ``initialize``."""
        caps: dict[str, Any] = {"logging": {}}
        if self.completions:
            caps["completions"] = {}
        if self.prompts:
            caps["prompts"] = {"listChanged": False}
        if self.resources or self.templates:
            caps["resources"] = {"subscribe": True, "listChanged": False}
        if self.tools:
            caps["tools"] = {"listChanged": False}
        return caps

    def tool_scopes(self) -> dict[str, tuple[str, ...]]:
        """Tool name → required scopes, for the auth layer's scope policy."""
        return {name: t.required_scopes for name, t in self.tools.items() if t.required_scopes}

    def find_template(self, uri: str) -> tuple[ResourceTemplate, dict[str, str]] | None:
        """The first template matching ``uri`` and its variables."""
        for template in self.templates:
            params = template.match(uri)
            if params is not None:
                return template, params
        return None
