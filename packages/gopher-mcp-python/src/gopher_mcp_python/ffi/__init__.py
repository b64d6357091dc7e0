"""Bindings of gopher-mcp-python's native libraries (see :mod:`gopher_mcp_python.ffi.auth`)."""
