"""Pinned npm packages for interop tests, installed once into a shared cache folder."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path


class NpmMissing(RuntimeError):
    """npm is not installed here."""


class NpmFailed(RuntimeError):
    """`npm ci` failed; the message holds the end of its output."""


def npm_ci(package_dir: Path, directory: Path, installed: Callable[[Path], bool]) -> None:
    """`npm ci` of `package_dir`'s manifest and lock beside `directory`, then one rename.

    A killed or concurrent install never leaves a half-filled cache behind.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise NpmMissing(f"npm is not installed, so {package_dir.name} cannot be installed")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{directory.name}.", dir=directory.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the cache is for every user of the machine
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(package_dir / name, staging / name)
        # Scripts are off (npm 11's default, explicit for older npm): none is needed.
        completed = subprocess.run(  # noqa: S603 - a fixed npm command line, no user input
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=staging,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if completed.returncode != 0:
            raise NpmFailed(f"npm ci in {package_dir.name} failed:\n{completed.stderr[-3000:]}")
        try:
            staging.rename(directory)
        except OSError:
            if not installed(directory):  # not a concurrent install that finished first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
