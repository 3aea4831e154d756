"""A real browser for the web view's tests: Debian's Chromium, headless, driven from the
command line (``--dump-dom`` gives the page as the browser built it, ``--screenshot`` what it
drew). Tests that need it skip, saying why, where no Chromium can be found."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

#: as the machine's notes advise: no sandbox as root, and no background connections, which a
#: closed network refuses
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium() -> str:
    """The browser's path, or skip: `.ci/run` installs Debian's chromium where it can."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on this machine (apt-get install chromium): browser tests skipped")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="pw-chromium-") as profile:
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        )


def dom(url: str) -> str:
    """The page's DOM after the browser loaded it."""
    return _run("--dump-dom", url).stdout


def screenshot(url: str, path: Path, width: int, height: int) -> Path:
    _run(f"--window-size={width},{height}", f"--screenshot={path}", url)
    return path
