"""py_auth_mcp_server: an OAuth-protected MCP server on Flask (gopher-mcp-python example)."""

__version__ = "0.2.0"
