"""release.yml against the shared platform table: a job per platform, and exactly those wheels
plus the core wheel and sdist reach the publish step.

The file names themselves are checked by ``scripts/platforms.py``, which builds every wheel
through the same hook the workflow's cibuildwheel jobs call and compares with
:func:`platforms.release_names`.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packages" / "native-common"))
sys.path.insert(0, str(REPO / "scripts"))

from gopher_native_build.platforms import PLATFORMS  # noqa: E402

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


@pytest.fixture(scope="module")
def jobs() -> dict[str, Any]:
    document = yaml.safe_load(WORKFLOW.read_text())
    result: dict[str, Any] = document["jobs"]
    return result


def _step(job: dict[str, Any], uses: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(uses)]


def _expand(text: str, variables: dict[str, str]) -> str:
    """Substitute ``${{ matrix.x }}`` expressions from one matrix entry."""
    return re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m: variables[m.group(1)], text)


def _native_matrix(jobs: dict[str, Any]) -> list[dict[str, str]]:
    include: list[dict[str, str]] = jobs["native"]["strategy"]["matrix"]["include"]
    return include


def test_every_platform_of_the_table_has_exactly_one_native_job(jobs: dict[str, Any]) -> None:
    platforms = [entry["platform"] for entry in _native_matrix(jobs)]
    assert sorted(platforms) == sorted(PLATFORMS)
    assert len(platforms) == len(set(platforms))


def test_each_native_job_builds_its_own_package_and_uploads_it(jobs: dict[str, Any]) -> None:
    native = jobs["native"]
    build = next(s["run"] for s in native["steps"] if "cibuildwheel" in str(s.get("run", "")))
    upload = _step(native, "actions/upload-artifact")
    assert len(upload) == 1
    for entry in _native_matrix(jobs):
        assert f"packages/native-{entry['platform']}" in _expand(build, entry)
        assert "--config-file packages/native-common/cibuildwheel.toml" in build
        assert _expand(upload[0]["with"]["name"], entry) == f"dist-native-{entry['platform']}"
        assert upload[0]["with"]["path"] == "wheelhouse/*.whl"
        assert upload[0]["with"]["if-no-files-found"] == "error"


def test_the_install_test_matrix_runs_on_every_native_runner(jobs: dict[str, Any]) -> None:
    runners = {entry["os"] for entry in _native_matrix(jobs)}
    assert set(jobs["install-test"]["strategy"]["matrix"]["os"]) == runners


def _uploaded_artifacts(jobs: dict[str, Any]) -> set[str]:
    names = {_expand(_step(jobs["native"], "actions/upload-artifact")[0]["with"]["name"], entry)
             for entry in _native_matrix(jobs)}
    for name, job in jobs.items():
        if name != "native":
            names |= {s["with"]["name"] for s in _step(job, "actions/upload-artifact")}
    return names


def test_publish_uploads_exactly_the_native_wheels_and_the_core_distributions(jobs: dict[str, Any]) -> None:
    publish = jobs["publish"]
    download = _step(publish, "actions/download-artifact")
    assert len(download) == 1
    settings = download[0]["with"]
    assert settings["merge-multiple"] is True
    published = {a for a in _uploaded_artifacts(jobs) if fnmatch.fnmatchcase(a, settings["pattern"])}
    assert published == {f"dist-native-{p}" for p in PLATFORMS} | {"dist-core"}
    core = _step(jobs["core"], "actions/upload-artifact")[0]["with"]
    assert (core["name"], core["path"]) == ("dist-core", "dist/*")
    assert "python -m build --outdir dist packages/gopher-mcp-python" in jobs["core"]["steps"][-2]["run"]
    pypi = _step(publish, "pypa/gh-action-pypi-publish")
    assert len(pypi) == 1
    assert pypi[0]["with"]["packages-dir"] == settings["path"] == "dist"


def test_nothing_is_published_before_every_wheel_was_verified(jobs: dict[str, Any]) -> None:
    assert set(jobs["publish"]["needs"]) >= {"verify", "install-test"}
    assert set(jobs["verify"]["needs"]) >= {"native", "core"}
    verify = " ".join(str(s.get("run", "")) for s in jobs["verify"]["steps"])
    assert "scripts/dist_verify.py dist --skip-install --require-all-platforms" in verify
    assert jobs["native"]["strategy"]["fail-fast"] is True


def test_release_file_names_cover_every_platform_once() -> None:
    from platforms import VERSION, release_names

    names = release_names()
    wheels = [n for n in names if n.startswith("gopher_mcp_python_native_")]
    assert len(wheels) == len(PLATFORMS)
    for platform in PLATFORMS.values():
        assert sum(n.startswith(f"{platform.import_name}-{VERSION}-py3-none-") for n in wheels) == 1
    assert {n for n in names if n not in wheels} == {
        f"gopher_mcp_python-{VERSION}-py3-none-any.whl",
        f"gopher_mcp_python-{VERSION}.tar.gz",
    }
    assert f"gopher_mcp_python_native_darwin_arm64-{VERSION}-py3-none-macosx_11_0_arm64.whl" in names
    assert f"gopher_mcp_python_native_darwin_x64-{VERSION}-py3-none-macosx_10_12_x86_64.whl" in names
    assert f"gopher_mcp_python_native_win_x64-{VERSION}-py3-none-win_amd64.whl" in names
