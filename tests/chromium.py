"""Open an HTML file in a real headless Chromium (Debian package `chromium`): its DOM after load, a screenshot."""
from __future__ import annotations

import shutil
import subprocess
import tempfile

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run(path, *action) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="cg-chromium-") as profile:
        return subprocess.run([binary(), *FLAGS, f"--user-data-dir={profile}", *action, f"file://{path}"],
                              capture_output=True, text=True, timeout=120)


def dump_dom(path) -> str:
    """The page's DOM once loaded and its scripts ran."""
    return run(path, "--virtual-time-budget=5000", "--dump-dom").stdout


def screenshot(path, png, width=1200, height=1400) -> None:
    run(path, "--virtual-time-budget=5000", f"--window-size={width},{height}", f"--screenshot={png}")
