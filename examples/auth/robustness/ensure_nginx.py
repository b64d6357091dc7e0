"""Make sure nginx (the reverse proxy of the production recipe) is installed, or fail loudly.

Run by the ``robustness`` tox environment before its tests (``commands_pre``): the proxy tests
never skip, so on a fresh machine this installs Debian's nginx with apt-get (as root, or through
``sudo -n``), and exits non-zero with a clear message where it cannot. Only the binary is used:
the tests run their own nginx, unprivileged-friendly, on loopback, with the repository's config.

    python examples/auth/robustness/ensure_nginx.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

__all__ = ["find_nginx"]

#: Debian installs the binary here, which is not on every user's PATH.
_SBIN_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
#: Debian 12 ships nginx-light (a smaller build with everything the recipe uses); later releases
#: fold it into nginx. Either will do.
_PACKAGES = ("nginx-light", "nginx")


def find_nginx() -> str | None:
    """The nginx binary's path, or None when it is not installed."""
    found = shutil.which("nginx")
    if found:
        return found
    return next((path for path in _SBIN_CANDIDATES if os.access(path, os.X_OK)), None)


def _apt_prefix() -> list[str] | None:
    apt = shutil.which("apt-get")
    if apt is None:
        return None
    if os.geteuid() == 0:
        return [apt]
    sudo = shutil.which("sudo")
    return [sudo, "-n", apt] if sudo else None


def _install() -> None:
    prefix = _apt_prefix()
    if prefix is None:
        raise SystemExit(
            "ensure_nginx: nginx is not installed and cannot be installed here (no apt-get, or "
            "not root and no passwordless sudo). Install nginx (Debian/Ubuntu: "
            "`apt-get install nginx-light` or `apt-get install nginx`) and run the tests again."
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("ensure_nginx: nginx not found; installing it with apt-get", flush=True)
    subprocess.run([*prefix, "update", "-qq"], check=False, env=env)
    for package in _PACKAGES:
        command = [*prefix, "install", "-y", "-qq", "--no-install-recommends", package]
        if subprocess.run(command, check=False, env=env).returncode == 0 and find_nginx():
            return
    raise SystemExit(
        f"ensure_nginx: apt-get could not install any of {', '.join(_PACKAGES)}; the robustness "
        "tests need nginx (see examples/auth/robustness/README.md)"
    )


def main() -> int:
    """Install nginx if it is missing; print the binary used."""
    if find_nginx() is None:
        _install()
    nginx = find_nginx()
    if nginx is None:  # pragma: no cover - _install() returns only once nginx is found
        raise SystemExit("ensure_nginx: nginx still not found after installing it")
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)
    print(f"ensure_nginx: using {nginx} ({version.stderr.strip()})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
