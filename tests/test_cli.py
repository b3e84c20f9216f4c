"""The postpress-frames command line, through its real entry point (a subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from postpress_frames.cli import cli
from postpress_frames.testing import FakePostpress, Fault, demo_chat

ROOT = Path(__file__).resolve().parents[1]
CANARY = "pp_canary_DO_NOT_LEAK_123456"


def run(
    *args: str, server: FakePostpress | None = None, key: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTPRESS_")}
    if server is not None:
        env["POSTPRESS_BASE_URL"] = server.base_url
        env["POSTPRESS_API_KEY"] = key or server.api_key
    return subprocess.run(
        [sys.executable, "-m", "postpress_frames", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def canary_server():  # type: ignore[no-untyped-def]
    bad = demo_chat(5, chat_id="chat_bad")
    bad[0]["is_sender"] = 2
    with FakePostpress({"chat_demo": demo_chat(120), "chat_bad": bad}, api_key=CANARY) as server:
        yield server


def test_every_command_has_help_with_an_example() -> None:
    for name in cli.commands:
        result = run(name, "--help")
        assert result.returncode == 0, name
        assert "Example" in result.stdout, name


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in cli.commands:
        assert f"postpress-frames {name}" in readme, name


def test_fetch_writes_parquet_and_prints_counts(
    canary_server: FakePostpress, tmp_path: Path
) -> None:
    result = run(
        "fetch", "chat_demo", "--out", str(tmp_path / "out"), "--no-progress", server=canary_server
    )
    assert result.returncode == 0, result.stderr
    assert "messages=120" in result.stdout
    assert (tmp_path / "out" / "messages.parquet").is_file()
    checked = run("validate", str(tmp_path / "out"))
    assert checked.returncode == 0 and "valid" in checked.stdout
    assert CANARY not in result.stdout + result.stderr + checked.stdout + checked.stderr
    for file in (tmp_path / "out").iterdir():
        assert CANARY.encode() not in file.read_bytes()


def test_sync_then_validate_a_dataset(canary_server: FakePostpress, tmp_path: Path) -> None:
    result = run("sync", "chat_demo", "--dataset", str(tmp_path / "lake"), server=canary_server)
    assert result.returncode == 0, result.stderr
    assert "120 added" in result.stdout
    checked = run("validate", str(tmp_path / "lake"))
    assert checked.returncode == 0 and "chat_demo: valid" in checked.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("fetch", "chat_demo"), 2),  # --out missing
        (("fetch", "chat_demo", "--out", "x", "--page-size", "0"), 2),
        (("fetch", "chat_demo", "--out", "x", "--after", "yesterday"), 2),
        (("fetch", "chat_missing", "--out", "x"), 4),
        (("fetch", "chat_bad", "--out", "x", "--no-progress"), 6),
    ],
)
def test_exit_codes(
    canary_server: FakePostpress, tmp_path: Path, args: tuple[str, ...], code: int
) -> None:
    args = tuple(str(tmp_path / a) if a == "x" else a for a in args)
    result = run(*args, server=canary_server)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_wrong_key_exits_3_and_never_prints_a_key(
    canary_server: FakePostpress, tmp_path: Path
) -> None:
    result = run(
        "fetch",
        "chat_demo",
        "--out",
        str(tmp_path / "o"),
        server=canary_server,
        key="pp_wrong_key_987",
    )
    assert result.returncode == 3
    assert "errors/invalid_credentials" in result.stderr
    assert "pp_wrong_key_987" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_api_failure_after_retries_exits_5(canary_server: FakePostpress, tmp_path: Path) -> None:
    canary_server.fail_next(*[Fault.error(503, "errors/service_unavailable", retry_after=0)] * 10)
    try:
        result = run("fetch", "chat_demo", "--out", str(tmp_path / "o"), server=canary_server)
    finally:
        canary_server.fail_next()  # nothing queued stays behind
    assert result.returncode == 5, result.stderr
    assert "503 errors/service_unavailable" in result.stderr


def test_debug_shows_the_traceback(canary_server: FakePostpress, tmp_path: Path) -> None:
    result = run(
        "--debug", "fetch", "chat_missing", "--out", str(tmp_path / "o"), server=canary_server
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_no_api_key_is_a_usage_error(tmp_path: Path) -> None:
    result = run("fetch", "chat_demo", "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "POSTPRESS_API_KEY" in result.stderr


def test_fake_server_prints_how_to_reach_it() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "postpress_frames", "fake-server", "--messages", "10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    text = "".join(lines)
    assert re.search(r"base URL: http://127\.0\.0\.1:\d+/api/v1", text)
    assert "API key:" in text and "chat ids: chat_demo" in text


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    result = run("demo", "--out", str(tmp_path / "demo"), "--messages", "300")
    assert result.returncode == 0, result.stderr
    assert "validated: messages=300" in result.stdout
    assert (tmp_path / "demo" / "dataset" / "messages").is_dir()
    assert "sender_id" in result.stdout


def test_stats_in_every_format(canary_server: FakePostpress, tmp_path: Path) -> None:
    import io
    import json

    import polars as pl

    out = tmp_path / "out"
    assert run("fetch", "chat_demo", "--out", str(out), server=canary_server).returncode == 0
    table = run("stats", str(out), "--tz", "Europe/Paris")
    assert table.returncode == 0, table.stderr
    assert "sender_id" in table.stdout
    assert "messages" in table.stdout
    csv = run("stats", str(out), "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    frame = pl.read_csv(io.StringIO(csv.stdout))
    assert frame["messages"].sum() == 120 - _events(out)  # events are left out
    rows = json.loads(run("stats", str(out), "--format", "json").stdout)
    assert {r["sender_id"] for r in rows} == set(frame["sender_id"])
    bad = run("stats", str(out), "--tz", "Mars/Olympus")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def _events(folder: Path) -> int:
    from postpress_frames.storage.parquet import read_parquet

    return int(read_parquet(folder).messages["is_event"].sum())


def test_stats_and_report_on_a_dataset(canary_server: FakePostpress, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    assert run("sync", "chat_demo", "--dataset", str(lake), server=canary_server).returncode == 0
    table = run("stats", str(lake))
    assert table.returncode == 0, table.stderr
    assert "sender_id" in table.stdout
    report = run("report", str(lake), "--out", str(tmp_path / "r.html"))
    assert report.returncode == 0, report.stderr
    html = (tmp_path / "r.html").read_text()
    assert "<table" in html
    assert "http://" not in html
    assert "https://" not in html


def test_sync_three_chats_twice_matches_the_server(tmp_path: Path) -> None:
    import duckdb

    from postpress_frames.storage.dataset import read_chat, table_glob
    from postpress_frames.testing import demo_chats

    chats = demo_chats(3, 400, seed=5)
    lake = tmp_path / "lake"
    with FakePostpress(chats) as server:
        first = run("sync", *chats, "--dataset", str(lake), "--workers", "3", server=server)
        assert first.returncode == 0, first.stderr
        for chat_id in chats:
            newest = server.messages(chat_id)[0]
            server.edit_message(chat_id, newest["id"], text="edited between runs")
            server.add_messages(chat_id, 15)
        second = run("sync", *chats, "--dataset", str(lake), server=server)
        assert second.returncode == 0, second.stderr
        assert second.stdout.count("15 added, 1 updated") == 3
        expected = {c: {m["id"]: m["text"] for m in server.messages(c)} for c in chats}
    for chat_id, messages in expected.items():
        stored = read_chat(lake, chat_id).validate().messages
        assert stored["id"].n_unique() == stored.height == len(messages)
        assert dict(stored.select("id", "text").iter_rows()) == messages
    (count,) = duckdb.execute(
        "SELECT count(*) FROM read_parquet(?, hive_partitioning = true)",
        [table_glob(lake, "messages")],
    ).fetchall()[0]
    assert count == sum(len(m) for m in expected.values())
