"""scripts/release.py on a temporary copy of the repository."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., subprocess.CompletedProcess[str]]

NATIVE = ["linux-x64", "linux-arm64", "darwin-arm64", "darwin-x64", "win-x64"]
CORE = "packages/gopher-mcp-python/pyproject.toml"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _project_version(pyproject: Path) -> str:
    match = re.search(r'(?ms)^\[project\]$.*?^version = "([^"]*)"', pyproject.read_text())
    assert match, pyproject
    return match.group(1)


def test_check_passes_on_the_checkout(repo_copy: Path, release: Run) -> None:
    result = release("--root", repo_copy, "check")
    assert result.returncode == 0, result.stderr
    assert "every file is at" in result.stdout


def test_bump_changes_every_version_and_check_passes(repo_copy: Path, release: Run) -> None:
    old = (repo_copy / "GOPHER_ORCH_VERSION").read_text().strip()
    before = _snapshot(repo_copy)

    result = release("--root", repo_copy, "bump", "9.9.9")
    assert result.returncode == 0, result.stderr
    assert release("--root", repo_copy, "check").returncode == 0

    assert (repo_copy / "GOPHER_ORCH_VERSION").read_text() == "9.9.9\n"
    for name in NATIVE:
        assert _project_version(repo_copy / f"packages/native-{name}/pyproject.toml") == "9.9.9"
    cargo = (repo_copy / "native/Cargo.toml").read_text()
    assert re.search(r'(?ms)^\[package\]$.*?^version = "9\.9\.9"$', cargo)
    assert 'name = "gopher-orch"\nversion = "9.9.9"' in (repo_copy / "native/Cargo.lock").read_text()
    core = (repo_copy / CORE).read_text()
    pins = re.findall(r"gopher-mcp-python-native-[a-z0-9-]+==([0-9.]+)", core)
    assert len(pins) >= len(NATIVE)
    assert set(pins) == {"9.9.9"}
    dunders = [
        p for p in (repo_copy / "packages/gopher-mcp-python/src").rglob("*.py")
        if re.search(r'^__version__\s*=\s*"9\.9\.9"', p.read_text(), re.M)
    ]
    assert dunders, "the core package's __version__ was not bumped"
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    changelog = (repo_copy / "CHANGELOG.md").read_text()
    assert f"## [9.9.9] - {today}" in changelog
    assert f"## [{old}]" in changelog  # history kept

    notes = release("--root", repo_copy, "notes", "9.9.9")
    assert notes.returncode == 0, notes.stderr
    assert notes.stdout.strip()

    # Nothing but version carriers changed, and nothing still says the old version there.
    after = _snapshot(repo_copy)
    changed = {name for name in after if before.get(name) != after[name]}
    assert {"GOPHER_ORCH_VERSION", "CHANGELOG.md", "native/Cargo.toml", "native/Cargo.lock", CORE} <= changed
    assert {f"packages/native-{n}/pyproject.toml" for n in NATIVE} <= changed
    lock_before = before["native/Cargo.lock"].decode().count(f'version = "{old}"')
    lock_after = after["native/Cargo.lock"].decode().count(f'version = "{old}"')
    assert lock_after == lock_before - 1, "bump must change only gopher-orch's entry in Cargo.lock"
    # (Cargo.lock lists other crates, which may share the old number; its entry is checked above.)
    for name in changed - {"CHANGELOG.md", "native/Cargo.lock"}:
        assert old not in after[name].decode(), f"{name} still mentions {old}"


def test_hand_edited_native_version_fails_check_naming_the_file(repo_copy: Path, release: Run) -> None:
    pyproject = repo_copy / "packages/native-win-x64/pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(re.sub(r'(?m)^version = "[^"]*"', 'version = "0.0.1"', text, count=1))

    result = release("--root", repo_copy, "check")
    assert result.returncode == 1
    assert "packages/native-win-x64/pyproject.toml" in result.stderr
    assert "0.0.1" in result.stderr
    for other in NATIVE[:-1]:
        assert f"native-{other}/" not in result.stderr


def test_bump_refuses_an_inconsistent_tree_and_changes_nothing(repo_copy: Path, release: Run) -> None:
    core = repo_copy / CORE
    core.write_text(re.sub(r"(native-darwin-x64==)[0-9.]+", r"\g<1>0.1.5", core.read_text(), count=1))
    before = _snapshot(repo_copy)

    result = release("--root", repo_copy, "bump", "9.9.9")
    assert result.returncode == 1
    assert "refusing to bump" in result.stderr
    assert CORE in result.stderr
    assert "0.1.5" in result.stderr
    assert _snapshot(repo_copy) == before


def test_stale_cargo_lock_is_named(repo_copy: Path, release: Run) -> None:
    lock = repo_copy / "native/Cargo.lock"
    lock.write_text(re.sub(r'(name = "gopher-orch"\nversion = ")[^"]*', r"\g<1>0.0.9", lock.read_text()))
    result = release("--root", repo_copy, "check")
    assert result.returncode == 1
    assert "native/Cargo.lock" in result.stderr


def test_bump_rejects_a_malformed_version(repo_copy: Path, release: Run) -> None:
    before = _snapshot(repo_copy)
    result = release("--root", repo_copy, "bump", "1.2")
    assert result.returncode == 1
    assert "not a version" in result.stderr
    assert _snapshot(repo_copy) == before


def test_notes_for_an_unknown_version_fail(repo_copy: Path, release: Run) -> None:
    result = release("--root", repo_copy, "notes", "7.7.7")
    assert result.returncode == 1
    assert "7.7.7" in result.stderr


def test_changelog_without_current_section_fails_check(repo_copy: Path, release: Run) -> None:
    version = (repo_copy / "GOPHER_ORCH_VERSION").read_text().strip()
    changelog = repo_copy / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace(f"## [{version}]", "## [0.0.0]"))
    result = release("--root", repo_copy, "check")
    assert result.returncode == 1
    assert "CHANGELOG.md" in result.stderr
