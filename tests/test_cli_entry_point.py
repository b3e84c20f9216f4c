"""The real entry points, in a subprocess: ``python -m postpress_frames`` and the console script.

Everything else about the command line is tested in process (``tests/test_cli.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from postpress_frames.cli import cli


def test_python_dash_m_and_the_console_script_start_and_show_help() -> None:
    script = Path(sys.executable).with_name("postpress-frames")
    console = str(script) if script.is_file() else shutil.which("postpress-frames")
    assert console, "the postpress-frames console script is not installed (uv sync)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTPRESS_")}
    for command in ([sys.executable, "-m", "postpress_frames"], [console]):
        done = subprocess.run(
            [*command, "--help"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (command, done.stderr)
        assert "Usage: postpress-frames" in done.stdout, command
        assert "Example" in done.stdout and "Exit codes" in done.stdout, command
        for name in cli.commands:
            assert name in done.stdout, (command, name)
        assert done.stderr == "", command
