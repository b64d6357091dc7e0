# The two commands of the README. Everything else is in scripts/ (see their docstrings).
.PHONY: demo test test-platforms

# Start the example MCP server with OAuth on, against a development IdP on loopback
# (run_example.sh: a virtualenv, our wheels built here and installed with --no-index, --dev-idp).
demo:
	examples/auth/run_example.sh

# Run every test: Rust, the Python matrix (3.10–3.13), lint, types, end to end, the wheels.
test:
	python3 scripts/run_tests.py

# Only the platform step: every native wheel built here, linux-arm64 under qemu-user, win-x64
# under Wine, the macOS libraries inspected (part of `make test` too).
test-platforms:
	python3 scripts/run_tests.py --only platforms
