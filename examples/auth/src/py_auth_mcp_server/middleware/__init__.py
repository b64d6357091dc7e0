"""Request middleware of the example server."""
