# The two commands of the README. Everything else is in scripts/ (see their docstrings).
.PHONY: demo test

# Start the example MCP server with OAuth on, against a development IdP on loopback.
demo:
	examples/auth/run_example.sh --dev-idp

# Run every test: Rust, the Python matrix (3.10–3.13), lint, types, end to end, the wheels.
test:
	python3 scripts/run_tests.py
