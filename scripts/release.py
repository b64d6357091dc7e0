#!/usr/bin/env python3
"""Keep every version in the repository in step, and cut release notes.

    python scripts/release.py check          # exit 1, naming each file that disagrees
    python scripts/release.py bump X.Y.Z     # check, then move every version to X.Y.Z
    python scripts/release.py notes X.Y.Z    # print CHANGELOG.md's section for X.Y.Z

One version covers the core package, the five native packages and the Rust crate;
GOPHER_ORCH_VERSION is the reference every other place is compared with.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PIN_FILE = "GOPHER_ORCH_VERSION"
CHANGELOG = "CHANGELOG.md"
CORE_PYPROJECT = "packages/gopher-mcp-python/pyproject.toml"
CORE_SOURCES = "packages/gopher-mcp-python/src"
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_PIN_RE = re.compile(r"(?P<pre>\bgopher-mcp-python(?:-native-[a-z0-9]+-[a-z0-9]+)?\s*==\s*)"
                     r"(?P<v>[0-9][^\s\"';,\])]*)")
_DUNDER_RE = re.compile(r"(?m)^(?P<pre>__version__\s*(?::\s*str\s*)?=\s*[\"'])(?P<v>[^\"']*)")


class ReleaseError(Exception):
    """A refusal with a message for the person running the script."""


@dataclass(frozen=True)
class Site:
    """One place that holds a version: a file and how to find the value(s) in it."""

    path: str
    what: str
    pattern: re.Pattern[str]
    span: Callable[[str], tuple[int, int] | None] = lambda text: (0, len(text))
    required: bool = True

    def values(self, root: Path) -> list[str]:
        text = (root / self.path).read_text(encoding="utf-8")
        region = self.span(text)
        if region is None:
            return []
        return [m.group("v") for m in self.pattern.finditer(text, *region)]

    def rewrite(self, root: Path, version: str) -> None:
        file = root / self.path
        text = file.read_text(encoding="utf-8")
        region = self.span(text)
        if region is None:
            return
        start, end = region
        middle = self.pattern.sub(lambda m: m.group("pre") + version, text[start:end])
        file.write_text(text[:start] + middle + text[end:], encoding="utf-8")


def _toml_table(header: str) -> Callable[[str], tuple[int, int] | None]:
    """Span of the body of ``[header]`` up to the next table header."""
    start_re = re.compile(rf"(?m)^\[{re.escape(header)}\]\s*$")

    def span(text: str) -> tuple[int, int] | None:
        start = start_re.search(text)
        if start is None:
            return None
        following = re.compile(r"(?m)^\[").search(text, start.end())
        return start.end(), following.start() if following else len(text)

    return span


def _cargo_lock_entry(text: str) -> tuple[int, int] | None:
    match = re.search(r'(?m)^name = "gopher-orch"\nversion = "[^"]*"', text)
    return match.span() if match else None


_TOML_VERSION = re.compile(r'(?m)^(?P<pre>version\s*=\s*")(?P<v>[^"]*)')


def version_sites(root: Path) -> list[Site]:
    """Every place in ``root`` that must carry the release version."""
    sites = [
        Site(PIN_FILE, "pinned native library version", re.compile(r"\A(?P<pre>)(?P<v>[^\n]*)")),
        Site("native/Cargo.toml", "[package] version", _TOML_VERSION, _toml_table("package")),
        Site("native/Cargo.lock", "gopher-orch entry", re.compile(r'(?P<pre>version = ")(?P<v>[^"]*)'),
             _cargo_lock_entry),
    ]
    for pyproject in sorted(root.glob("packages/native-*/pyproject.toml")):
        sites.append(Site(pyproject.relative_to(root).as_posix(), "[project] version",
                          _TOML_VERSION, _toml_table("project")))
    core = root / CORE_PYPROJECT
    sites.append(Site(CORE_PYPROJECT, "[project] version", _TOML_VERSION, _toml_table("project"),
                      required=not _has_dynamic_version(core)))
    sites.append(Site(CORE_PYPROJECT, "pins of our distributions (==)", _PIN_RE))
    for source in sorted((root / CORE_SOURCES).rglob("*.py")):
        if _DUNDER_RE.search(source.read_text(encoding="utf-8")):
            sites.append(Site(source.relative_to(root).as_posix(), "__version__", _DUNDER_RE))
    for pyproject in sorted(root.glob("examples/*/pyproject.toml")):
        if _PIN_RE.search(pyproject.read_text(encoding="utf-8")):
            sites.append(Site(pyproject.relative_to(root).as_posix(),
                              "pins of our distributions (==)", _PIN_RE))
    return sites


def _has_dynamic_version(pyproject: Path) -> bool:
    if not pyproject.is_file():
        return False
    text = pyproject.read_text(encoding="utf-8")
    span = _toml_table("project")(text)
    if span is None:
        return False
    return re.search(r'dynamic\s*=\s*\[[^\]]*"version"', text[span[0] : span[1]]) is not None


def reference_version(root: Path) -> str:
    pin = root / PIN_FILE
    if not pin.is_file():
        raise ReleaseError(f"{PIN_FILE} is missing; it holds the release version (one line X.Y.Z)")
    version = pin.read_text(encoding="utf-8").strip()
    if not VERSION_RE.match(version):
        raise ReleaseError(f"{PIN_FILE} holds {version!r}, not a version X.Y.Z")
    return version


def find_disagreements(root: Path) -> list[str]:
    """One line per file (and place) that does not carry the reference version."""
    expected = reference_version(root)
    problems: list[str] = []
    for site in version_sites(root):
        if not (root / site.path).is_file():
            problems.append(f"{site.path}: missing (needed for its {site.what})")
            continue
        values = site.values(root)
        if not values:
            if site.required:
                problems.append(f"{site.path}: no {site.what} found")
            continue
        wrong = sorted({v for v in values if v != expected})
        if wrong:
            problems.append(f"{site.path}: {site.what} is {', '.join(wrong)}, "
                            f"expected {expected} ({PIN_FILE})")
    if not (root / CHANGELOG).is_file():
        problems.append(f"{CHANGELOG}: missing")
    elif changelog_section(root, expected) is None:
        problems.append(f"{CHANGELOG}: no section '## [{expected}]'")
    return problems


def _changelog_sections(text: str) -> Iterator[tuple[str, int, int, int]]:
    """(name, header start, body start, body end) for each ``## [name]`` section."""
    headers = list(re.finditer(r"(?m)^## \[(?P<name>[^\]]+)\][^\n]*\n?", text))
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        yield header.group("name"), header.start(), header.end(), end


def changelog_section(root: Path, version: str) -> str | None:
    text = (root / CHANGELOG).read_text(encoding="utf-8")
    for name, _start, body, end in _changelog_sections(text):
        if name == version:
            return text[body:end].strip()
    return None


def add_changelog_section(root: Path, version: str, today: _dt.date) -> None:
    """Turn ``## [Unreleased]`` into the ``version`` section (or add one) with today's date."""
    file = root / CHANGELOG
    text = file.read_text(encoding="utf-8")
    header = f"## [{version}] - {today.isoformat()}\n"
    sections = list(_changelog_sections(text))
    unreleased = next((s for s in sections if s[0].lower() == "unreleased"), None)
    if unreleased is not None:
        _name, start, body, end = unreleased
        content = text[body:end].strip() or "- No notable changes recorded."
        new = f"## [Unreleased]\n\n{header}\n{content}\n\n"
        text = text[:start] + new + text[end:].lstrip("\n")
    else:
        at = sections[0][1] if sections else len(text)
        text = text[:at] + f"{header}\n- No notable changes recorded.\n\n" + text[at:]
    file.write_text(text, encoding="utf-8")


def bump(root: Path, version: str, today: _dt.date | None = None) -> list[str]:
    """Move every version site to ``version``; returns the files changed."""
    if not VERSION_RE.match(version):
        raise ReleaseError(f"{version!r} is not a version X.Y.Z")
    problems = find_disagreements(root)
    if problems:
        raise ReleaseError("refusing to bump an inconsistent tree; fix these first:\n  "
                           + "\n  ".join(problems))
    current = reference_version(root)
    if version == current:
        raise ReleaseError(f"the tree is already at {version}")
    if changelog_section(root, version) is not None:
        raise ReleaseError(f"{CHANGELOG} already has a section for {version}")
    sites = version_sites(root)
    for site in sites:
        site.rewrite(root, version)
    add_changelog_section(root, version, today or _dt.datetime.now(_dt.timezone.utc).date())
    after = find_disagreements(root)
    if after:
        raise ReleaseError("bump left disagreements (a bug in release.py):\n  " + "\n  ".join(after))
    return sorted({site.path for site in sites} | {CHANGELOG})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=REPO, help="repository root (default: this checkout)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="fail naming each file whose version disagrees")
    bump_parser = commands.add_parser("bump", help="set every version to X.Y.Z")
    bump_parser.add_argument("version")
    notes_parser = commands.add_parser("notes", help="print the CHANGELOG section of X.Y.Z")
    notes_parser.add_argument("version")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    try:
        if args.command == "check":
            problems = find_disagreements(root)
            if problems:
                print("version check FAILED:", *problems, sep="\n  ", file=sys.stderr)
                return 1
            print(f"version check OK: every file is at {reference_version(root)}")
        elif args.command == "bump":
            changed = bump(root, args.version)
            print(f"bumped to {args.version}:", *changed, sep="\n  ")
        else:
            notes = changelog_section(root, args.version)
            if not notes:
                raise ReleaseError(f"{CHANGELOG} has no (or an empty) section for {args.version}")
            print(notes)
    except ReleaseError as exc:
        print(f"release.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
