"""The example's MCP tools."""
