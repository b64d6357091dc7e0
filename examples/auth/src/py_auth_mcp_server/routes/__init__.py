"""HTTP routes of the example server."""
