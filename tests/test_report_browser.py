"""The HTML report opens in headless Chromium (Debian's `chromium`) without errors, offline."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from postpress_frames.analysis.report import write_report
from tests.conftest import demo_frames

pytestmark = pytest.mark.browser  # `make check` skips it: Chromium comes from apt-get

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    assert binary, (
        "Debian's chromium is required: `make test` installs it (apt-get install chromium)"
    )
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = write_report(demo_frames(600), tmp_path / "report.html", tz="Europe/Paris")
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<table" in dom.stdout
    assert dom.stdout.count("data:image/svg+xml") >= 4
    console_errors = [
        line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line
    ]
    assert console_errors == []
    shot = chromium(
        f"--screenshot={tmp_path / 'report.png'}",
        "--window-size=1280,2000",
        page.as_uri(),
        profile=tmp_path / "profile",
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    png = (tmp_path / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 20_000  # a rendered page, not a blank one
