"""`stats --names FILE.csv` and `report --names FILE.csv`: people instead of opaque ids."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import demo_frames, invoke_cli


def fetch_folder(path: Path) -> tuple[Path, list[str]]:
    from postpress_frames.storage.parquet import write_parquet

    frames = demo_frames(200)
    write_parquet(frames, path)
    return path, frames.messages.get_column("sender_id").unique().sort().to_list()


def names_csv(path: Path, senders: list[str], *, header: str = "sender_id,name") -> Path:
    rows = [f"{sender},Person {i} Ünïcode" for i, sender in enumerate(senders[:-1])]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_stats_shows_the_names_of_the_csv_and_a_short_id_for_the_rest(tmp_path: Path) -> None:
    folder, senders = fetch_folder(tmp_path / "chat")
    names = names_csv(tmp_path / "people.csv", senders)
    result = invoke_cli("stats", str(folder), "--names", str(names), "--format", "json")
    assert result.exit_code == 0, result.stderr
    shown = {row["sender_id"]: row["sender_name"] for row in json.loads(result.stdout)}
    expected = {sender: f"Person {i} Ünïcode" for i, sender in enumerate(senders[:-1])}
    assert {s: shown[s] for s in expected} == expected
    unnamed = shown[senders[-1]]
    assert unnamed.endswith("…") and senders[-1].startswith(unnamed[:-1])


def test_stats_table_shows_names_first(tmp_path: Path) -> None:
    folder, senders = fetch_folder(tmp_path / "chat")
    names = names_csv(tmp_path / "people.csv", senders)
    result = invoke_cli("stats", str(folder), "--names", str(names))
    assert result.exit_code == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if "sender_name" in line)
    assert header.index("sender_name") < header.index("sender_id")
    assert "Person 0 Ünïcode" in result.stdout


def test_report_uses_the_names(tmp_path: Path) -> None:
    folder, senders = fetch_folder(tmp_path / "chat")
    names = names_csv(tmp_path / "people.csv", senders)
    out = tmp_path / "report.html"
    result = invoke_cli("report", str(folder), "--out", str(out), "--names", str(names))
    assert result.exit_code == 0, result.stderr
    assert "Person 0 Ünïcode" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("id,label\nx,Ada\n", "no column 'sender_id', 'name'"),
        ("sender_id,name\nx,Ada\nx,Bob\n", "sender_id 'x' has two names"),
        (b"sender_id,name\nx,\xff\xfe\n", "cannot read the names CSV"),
    ],
    ids=["wrong columns", "two names", "not UTF-8"],
)
def test_a_bad_names_file_is_one_line_naming_it(
    tmp_path: Path, content: str | bytes, problem: str
) -> None:
    folder, _ = fetch_folder(tmp_path / "chat")
    names = tmp_path / "people.csv"
    if isinstance(content, bytes):
        names.write_bytes(content)
    else:
        names.write_text(content)
    for command in (("stats", str(folder)), ("report", str(folder), "--out", "r.html")):
        result = invoke_cli(*command, "--names", str(names))
        assert result.exit_code == 1, (command, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert problem in lines[0] and str(names) in lines[0], lines[0]
        assert "Traceback" not in result.stderr


def test_a_missing_names_file_is_a_usage_error(tmp_path: Path) -> None:
    folder, _ = fetch_folder(tmp_path / "chat")
    result = invoke_cli("stats", str(folder), "--names", str(tmp_path / "nobody.csv"))
    assert result.exit_code == 2
    assert "nobody.csv" in result.stderr


def test_extra_columns_of_the_names_file_are_ignored(tmp_path: Path) -> None:
    folder, senders = fetch_folder(tmp_path / "chat")
    names = tmp_path / "people.csv"
    pl.DataFrame({"team": ["a"], "sender_id": [senders[0]], "name": ["Ada"]}).write_csv(names)
    result = invoke_cli("stats", str(folder), "--names", str(names), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert f"{senders[0]},Ada," in result.stdout
