"""Make sure headless Chromium and chromedriver are installed, or fail loudly.

Run by the tox environment ``browser`` before its test. Uses what is on PATH (``chromium`` or
Google Chrome, and ``chromedriver``); otherwise installs Debian's ``chromium`` and
``chromium-driver`` with apt-get, as root or through passwordless sudo. When neither works it
exits non-zero saying what to install: the browser test never skips for want of a browser.

Command line: ``python install_browser.py`` prints the browser's and the driver's paths.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DRIVER = "chromedriver"
PACKAGES = ("chromium", "chromium-driver")
APT_TIMEOUT_S = 1800


class BrowserUnavailableError(RuntimeError):
    """No headless Chromium can be had on this machine; the message says how to fix it."""


def find_browser() -> tuple[str, str] | None:
    """``(browser, chromedriver)`` paths when both are on PATH, else None."""
    browser = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    driver = shutil.which(DRIVER)
    return (browser, driver) if browser and driver else None


def _apt_prefix() -> list[str]:
    if shutil.which("apt-get") is None:
        raise BrowserUnavailableError(
            "chromium and chromedriver are not on PATH and this machine has no apt-get: install "
            "Chromium (or Google Chrome) and a matching chromedriver and put both on PATH"
        )
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    if (
        sudo
        and subprocess.run([sudo, "-n", "true"], capture_output=True, check=False).returncode == 0
    ):
        return [sudo, "-n"]
    raise BrowserUnavailableError(
        "chromium and chromedriver are not on PATH, and installing them needs root: run "
        f"`sudo apt-get install -y {' '.join(PACKAGES)}` once"
    )


def install() -> tuple[str, str]:
    """Find, or install with apt-get, Chromium and chromedriver; return their paths."""
    found = find_browser()
    if found:
        return found
    prefix = _apt_prefix()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    for command in (
        [*prefix, "apt-get", *lock, "update", "-q"],
        [*prefix, "apt-get", *lock, "install", "-y", "-q", "--no-install-recommends", *PACKAGES],
    ):
        print("+ " + " ".join(command), file=sys.stderr, flush=True)
        done = subprocess.run(command, env=env, timeout=APT_TIMEOUT_S, check=False)
        if done.returncode != 0:
            raise BrowserUnavailableError(
                f"`{' '.join(command)}` failed (exit {done.returncode}); install "
                f"{' and '.join(PACKAGES)} by hand"
            )
    found = find_browser()
    if not found:
        raise BrowserUnavailableError(
            f"apt-get installed {' '.join(PACKAGES)} but no browser and chromedriver are on PATH"
        )
    return found


def main() -> int:
    """Install if needed; print the paths; exit 1 with the reason when impossible."""
    try:
        browser, driver = install()
    except BrowserUnavailableError as err:
        print(f"install_browser: NO BROWSER FOR THE BROWSER TEST: {err}", file=sys.stderr)
        return 1
    print(f"browser: {browser}\nchromedriver: {driver}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
