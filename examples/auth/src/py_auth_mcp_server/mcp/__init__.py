"""A small, registry-driven MCP server core: JSON-RPC dispatch independent of the web framework."""
