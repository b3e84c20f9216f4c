"""``pip install 'postpress-frames[spark]'`` gives a working ``postpress_frames.spark``
(issue 16): the project is built as a wheel and installed with the extra into a fresh
virtual environment, which then runs a statistic on Spark.

Offline, from uv's cache (which ``make`` fills from ``uv.lock``): ``uv export --extra spark``
lists what the lock resolves for the package and the extra, ``uv pip install --no-deps``
puts exactly that into the new environment, and ``uv pip install --find-links <wheel dir>
'postpress-frames[spark]'`` must then resolve with nothing more to fetch. So a requirement
the extra lacks (pyspark's ``applyInArrow`` needs pandas) shows here as an import error in
the new environment, not as a download. Marked ``slow`` and ``spark``: it installs about
120 packages and starts a JVM.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UV = ROOT / ".tools" / "bin" / "uv"

SCRIPT = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path

    import polars as pl
    from pyspark.sql import SparkSession

    import postpress_frames
    from postpress_frames import frames_from_pages, scan_dataset, spark as on_spark, stats
    from postpress_frames import write_dataset
    from postpress_frames.testing import demo_chat

    print("package:", Path(postpress_frames.__file__).parent)
    items = demo_chat(80, chat_id="chat_é 1") + demo_chat(60, seed=1, chat_id="a/b")
    write_dataset(frames_from_pages([{"items": items, "cursor": None}]), "lake")
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        got = pl.DataFrame(pl.from_arrow(on_spark.sender_activity("lake").toArrow()))
    finally:
        spark.stop()
    want = stats.sender_activity(scan_dataset("lake"))
    keys = ["chat_id", "sender_id"]
    same = got.sort(keys).select(keys, "messages").equals(want.sort(keys).select(keys, "messages"))
    print("rows:", got.height, "same as local:", same)
    sys.exit(0 if same and got.height == want.height else 1)
    """
)


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = f"$ {' '.join(map(str, args))}\n{done.stdout}{done.stderr}"
    assert done.returncode == 0, output[-4000:]
    return output


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.timeout(900)
def test_the_spark_extra_installs_a_working_postpress_frames_spark(tmp_path: Path) -> None:
    assert UV.is_file(), f"{UV} is missing: `make setup-dev` installs the pinned uv"
    dist, venv, locked = tmp_path / "dist", tmp_path / "venv", tmp_path / "locked.txt"
    python = venv / "bin" / "python"
    offline = ("--offline", "--quiet")
    run(UV, "build", *offline, "--wheel", "--out-dir", dist, ROOT, cwd=tmp_path)
    run(UV, "venv", *offline, "--python", sys.executable, venv, cwd=tmp_path)
    # What the lock resolves for the package and its extra, the package itself left out.
    export = "export --frozen --no-default-groups --extra spark --no-emit-project"
    run(UV, *export.split(), *offline, "--project", ROOT, "-o", locked, cwd=tmp_path)
    install = (UV, "pip", "install", *offline, "--python", python)
    run(*install, "--no-deps", "-r", locked, cwd=tmp_path)
    run(*install, "--find-links", dist, "postpress-frames[spark]", cwd=tmp_path)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYSPARK_PYTHON", "SPARK_HOME")
    }
    env.update(PYSPARK_PYTHON=str(python), SPARK_LOCAL_IP="127.0.0.1", PYTHONWARNINGS="ignore")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "check.py").write_text(SCRIPT, encoding="utf-8")
    output = run(python, "check.py", cwd=tmp_path / "work", env=env)
    print(output)
    assert f"package: {venv}" in output
    assert "same as local: True" in output
