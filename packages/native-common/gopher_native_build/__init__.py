"""Build support shared by every ``gopher-mcp-python-native-*`` package.

The five native packages differ only in their platform; everything else — finding or
building the gopher-orch library, checking that it really is for that platform, choosing an
honest wheel tag and rendering the Python module — lives here, once. See ``../README.md``.
"""
