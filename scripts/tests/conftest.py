"""Fixtures for the release-engineering tests: a throw-away copy of this checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _checkout_files() -> list[str]:
    """Tracked and untracked-but-not-ignored files: what a fresh clone plus work in progress holds."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.decode()
    return [name for name in out.split("\0") if name and (REPO / name).is_file()]


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A copy of the repository's files in a temporary directory (never the real tree)."""
    copy = tmp_path / "repo"
    for name in _checkout_files():
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return copy


@pytest.fixture
def release() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run scripts/release.py (the real CLI) with the given arguments."""

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(REPO / "scripts" / "release.py"), *map(str, args)],
            capture_output=True, text=True,
        )

    return run
