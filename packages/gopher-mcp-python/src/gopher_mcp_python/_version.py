"""The version of gopher-mcp-python (one version for the core and the native wheels)."""

__version__ = "0.2.0"
