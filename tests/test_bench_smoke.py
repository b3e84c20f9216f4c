"""The benchmark suite keeps running: ``bench/run.py --smoke`` at tiny sizes (no timing asserted).

The suite itself raises (and exits non-zero) when a peer's tables differ in row count from
ours, so a clean exit also says every peer built the same tables.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Every row the table must have: one or more per workload, one per peer or floor.
EXPECTED_ROWS = [
    "1 frames 2,000 msgs: vs pandas.json_normalize",
    "1 frames 2,000 msgs: vs orjson + pandas.json_normalize",
    "1 frames 2,000 msgs: vs polars.from_dicts",
    "1 frames 2,000 msgs: speed vs read_json floor",
    "1 frames 2,000 msgs: peak RSS / input bytes",
    "2 end to end 2,000 msgs: vs dlt rest_api -> Parquet",
    "2 end to end 2,000 msgs: time / download-only floor",
    "3 latency 4 chats x 500, 20 ms: 8 workers vs 1",
    "3 sync 500-msg chat: CPU seconds per chat",
    "4 memory sync 20,000 msgs: peak RSS",
    "4 memory sync 20,000 msgs: peak vs 2,000 msgs",
    "5 validation 2,000 msgs: validate / build",
    "6 start-up: postpress-frames --help",
    "6 start-up: import postpress_frames adds",
    "6 start-up: import postpress_frames as p; p.fetch_chat",
    "7 make demo (200 msgs) once set up: wall",
]

# Each peer or floor whose row counts the suite compares with ours (it raises on a mismatch).
PEERS = [
    "pandas",
    "pandas (orjson)",
    "polars.from_dicts",
    "read_json floor (1 thread)",
    "read_json floor (2 threads)",
    "frames-peak child",
    "sync_chat",
    "download floor",
    "dlt rest_api",
    "sync_chats 1 worker",
    "make demo",
]


@pytest.mark.slow  # every workload, dlt and pandas included: tens of seconds
def test_smoke_run_prints_a_row_per_workload_and_peer_with_matching_row_counts() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table_rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    labels = [row.split("|")[1].strip() for row in table_rows[1:]]
    assert labels == EXPECTED_ROWS
    checked = [line for line in done.stderr.splitlines() if line.startswith("row counts checked")]
    for peer in PEERS:
        assert any(f": {peer} == ours" in line for line in checked), (peer, checked)
    for row in table_rows[1:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 6
        assert cells[5] in {"yes", "NO"}, row


def test_smoke_run_refuses_to_record_a_smoke_run_as_results() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--write-results"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--write-results records a full run" in done.stderr
