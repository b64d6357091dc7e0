#!/usr/bin/env bash
# Run the OAuth-protected MCP example with a development IdP, from this checkout.
#
#   examples/auth/run_example.sh [extra server flags, e.g. --port 4001]
#
# 1. creates (or reuses) a virtualenv: $VENV, default <repo>/.venv-example (git-ignored);
# 2. builds this checkout's wheels (native engine via cargo, core package) and installs them
#    with --no-index (never from PyPI: upstream's unrelated 0.1.x releases use our names),
#    then this example on top (scripts/install_local.py --example);
# 3. starts the server with auth ON and --dev-idp, which prints the curl walkthrough.
# Nothing is installed outside the virtualenv. Set SKIP_INSTALL=1 to reuse an existing install.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${VENV:-$repo/.venv-example}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "+ creating virtualenv $venv" >&2
    "$python" -m venv "$venv"
fi
"$venv/bin/python" - <<'PY'
import sys
if sys.version_info < (3, 10):
    sys.exit(f"Python >= 3.10 is needed, this virtualenv has {sys.version.split()[0]}")
PY
if [ "${SKIP_INSTALL:-0}" != "1" ]; then
    "$venv/bin/python" "$repo/scripts/install_local.py" --example
fi

cd "$here"
exec "$venv/bin/python" -m py_auth_mcp_server server.config --dev-idp "$@"
