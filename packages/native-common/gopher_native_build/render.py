"""Render the per-platform files of a native package from the shared templates."""

from __future__ import annotations

from pathlib import Path
from string import Template

from .platforms import Platform

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(template_name: str, platform: Platform, version: str) -> str:
    """Fill ``templates/<template_name>`` for ``platform``; unknown placeholders are errors."""
    text = (TEMPLATES / template_name).read_text(encoding="utf-8")
    return Template(text).substitute(
        platform_name=platform.name,
        rust_target=platform.rust_target,
        distribution=platform.distribution,
        import_name=platform.import_name,
        library_file=platform.library_file,
        version=version,
    )


def render_package(platform: Platform, version: str, into: Path) -> dict[str, str]:
    """Write the package's Python files into ``into``; map each to its path in the wheel."""
    init = into / "__init__.py"
    init.write_text(render("package_init.py.tmpl", platform, version), encoding="utf-8")
    typed = into / "py.typed"
    typed.write_text("", encoding="utf-8")
    return {
        str(init): f"{platform.import_name}/__init__.py",
        str(typed): f"{platform.import_name}/py.typed",
    }
