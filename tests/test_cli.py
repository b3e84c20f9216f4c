"""The postpress-frames command line, run in process with click's ``CliRunner``.

``tests/test_cli_entry_point.py`` runs the real entry points (``python -m`` and the console
script) once, in a subprocess.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from click.testing import Result

import postpress_frames._exceptions as errors
from postpress_frames.cli import _commands as cli_module
from postpress_frames.cli import cli, exit_code_for
from postpress_frames.testing import FakePostpress, Fault, demo_chat
from tests.conftest import demo_frames, invoke_cli

ROOT = Path(__file__).resolve().parents[1]
CANARY = "pp_canary_DO_NOT_LEAK_123456"
FAKE_SERVER_KEY = inspect.signature(FakePostpress).parameters["api_key"].default


def run(
    *args: str,
    server: FakePostpress | None = None,
    key: str | None = None,
    shows: tuple[str, ...] = (),
) -> Result:
    env = {}
    if server is not None:
        env["POSTPRESS_BASE_URL"] = server.base_url
        env["POSTPRESS_API_KEY"] = key or server.api_key
    return invoke_cli(*args, env=env, secrets=[CANARY], shows=shows)


@pytest.fixture(scope="module")
def canary_server():  # type: ignore[no-untyped-def]
    bad = demo_chat(5, chat_id="chat_bad")
    bad[0]["is_sender"] = 2
    with FakePostpress({"chat_demo": demo_chat(120), "chat_bad": bad}, api_key=CANARY) as server:
        yield server


def test_every_command_has_help_with_an_example() -> None:
    for name in cli.commands:
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert "Example" in result.stdout, name
        assert "--debug" in result.stdout, name


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
    assert result.exit_code == 0, result.stderr
    assert "messages=120" in result.stdout
    assert (tmp_path / "out" / "messages.parquet").is_file()
    checked = run("validate", str(tmp_path / "out"))
    assert checked.exit_code == 0 and "valid" in checked.stdout
    assert CANARY not in result.stdout + result.stderr + checked.stdout + checked.stderr
    for file in (tmp_path / "out").iterdir():
        assert CANARY.encode() not in file.read_bytes()


def test_sync_then_validate_a_dataset(canary_server: FakePostpress, tmp_path: Path) -> None:
    result = run("sync", "chat_demo", "--dataset", str(tmp_path / "lake"), server=canary_server)
    assert result.exit_code == 0, result.stderr
    assert "120 added" in result.stdout
    checked = run("validate", str(tmp_path / "lake"))
    assert checked.exit_code == 0 and "chat_demo: valid" in checked.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("fetch", "chat_demo"), 2),  # --out missing
        (("fetch", "chat_demo", "--out", "x", "--page-size", "0"), 2),
        (("fetch", "chat_demo", "--out", "x", "--after", "yesterday"), 2),
        (("fetch", "chat_missing", "--out", "x"), 4),
        (("fetch", "chat_bad", "--out", "x", "--no-progress"), 6),
        (("validate", "x"), 2),  # a missing input folder
    ],
)
def test_exit_codes(
    canary_server: FakePostpress, tmp_path: Path, args: tuple[str, ...], code: int
) -> None:
    args = tuple(str(tmp_path / a) if a == "x" else a for a in args)
    result = run(*args, server=canary_server)
    assert result.exit_code == code, result.stderr
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
    assert result.exit_code == 3
    assert "errors/invalid_credentials" in result.stderr
    assert "pp_wrong_key_987" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_api_failure_after_retries_exits_5(canary_server: FakePostpress, tmp_path: Path) -> None:
    canary_server.fail_next(*[Fault.error(503, "errors/service_unavailable", retry_after=0)] * 10)
    try:
        result = run("fetch", "chat_demo", "--out", str(tmp_path / "o"), server=canary_server)
    finally:
        canary_server.fail_next()  # nothing queued stays behind
    assert result.exit_code == 5, result.stderr
    assert "503 errors/service_unavailable" in result.stderr


@pytest.mark.parametrize("where", ["before the command", "after the command"])
def test_debug_shows_the_traceback_and_keeps_the_exit_code(
    canary_server: FakePostpress, tmp_path: Path, where: str
) -> None:
    args = ["fetch", "chat_missing", "--out", str(tmp_path / "o")]
    args = ["--debug", *args] if where == "before the command" else [*args, "--debug"]
    result = run(*args, server=canary_server)
    assert result.exit_code == 4, result.stderr  # as without --debug: not found
    assert "Traceback" in result.stderr
    assert "DEBUG postpress_frames" in result.stderr  # the debug logs are on
    assert result.stderr.strip().splitlines()[-1].startswith("error: NotFoundError: 404")
    assert CANARY not in result.stdout + result.stderr


@pytest.mark.parametrize("debug", [False, True])
def test_sync_reports_each_failed_chat_in_one_line_and_exits_with_its_code(
    canary_server: FakePostpress, tmp_path: Path, debug: bool
) -> None:
    args = ["sync", "chat_demo", "chat_missing", "--dataset", str(tmp_path / "lake")]
    result = run(*args, *(["--debug"] if debug else []), server=canary_server)
    assert result.exit_code == 4, result.stderr  # the other chat was synced all the same
    assert "chat_demo: " in result.stdout and "120 added" in result.stdout
    assert "chat_missing" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1
    assert errors[0].startswith("error: chat_missing: NotFoundError: 404")
    assert ("Traceback" in result.stderr) is debug
    if not debug:
        assert result.stderr.strip() == errors[0]


def test_no_api_key_is_a_usage_error(tmp_path: Path) -> None:
    result = run("fetch", "chat_demo", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "POSTPRESS_API_KEY" in result.stderr


def test_an_output_path_that_cannot_be_written_exits_1_in_one_line(
    canary_server: FakePostpress, tmp_path: Path
) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("not a folder")
    result = run("fetch", "chat_demo", "--out", str(taken / "out"), server=canary_server)
    assert result.exit_code == 1, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


# Every error of the package and the exit code the README's table gives it.
DOCUMENTED_EXIT_CODES: dict[type[errors.PostpressError], int] = {
    errors.StorageError: 1,
    errors.MissingInputError: 2,  # a missing input folder or dataset: a usage error
    errors.ConfigurationError: 2,
    errors.ArgumentTypeError: 2,
    errors.AuthenticationError: 3,
    errors.PermissionDeniedError: 3,
    errors.NotFoundError: 4,
    errors.APIError: 5,
    errors.BadRequestError: 5,
    errors.RateLimitError: 5,
    errors.ServerError: 5,
    errors.ServiceUnavailableError: 5,
    errors.GatewayTimeoutError: 5,
    errors.TransportError: 5,
    errors.InvalidResponseError: 6,
    errors.CursorLoopError: 6,
    errors.SchemaValidationError: 6,
}


def an_error(cls: type[errors.PostpressError]) -> errors.PostpressError:
    """An instance of each error class, with a message of two lines to be folded into one."""
    if issubclass(cls, errors.APIError):
        status = {"NotFoundError": 404, "AuthenticationError": 401}.get(cls.__name__, 500)
        return cls(status, type="errors/x", detail="first line\nsecond line", chat_id="chat_x")
    if cls is errors.ArgumentTypeError:
        return cls("root", "a path\n(str or os.PathLike)", 123)
    if cls is errors.CursorLoopError:
        return cls("c1", page=2)
    if cls is errors.SchemaValidationError:
        failures = [errors.SchemaFailure("messages", "id", "not_nullable", ["m1"])]
        return cls("messages", failures)
    if cls is errors.StorageError:
        return cls("disk full\nwhile writing", path="lake/messages")
    return cls("first line\nsecond line")


def test_every_error_class_has_a_documented_exit_code() -> None:
    classes = {
        getattr(errors, name)
        for name in errors.__all__
        if isinstance(getattr(errors, name), type)
        and issubclass(getattr(errors, name), errors.PostpressError)
    }
    assert classes - {errors.PostpressError} == set(DOCUMENTED_EXIT_CODES)
    for cls, code in DOCUMENTED_EXIT_CODES.items():
        assert exit_code_for(an_error(cls)) == code, cls.__name__
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("Exit codes:") :][:600]
    for code in range(7):
        assert f"{code} " in table, code
    assert "--debug" in run("--help").stdout


@pytest.mark.parametrize("debug", ["", "--debug before", "--debug after"])
@pytest.mark.parametrize(
    "cls", list(DOCUMENTED_EXIT_CODES), ids=[c.__name__ for c in DOCUMENTED_EXIT_CODES]
)
def test_every_package_error_is_one_line_and_its_exit_code(
    cls: type[errors.PostpressError], debug: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = an_error(cls)

    def failing_client(api_key: str | None, base_url: str | None) -> object:
        raise error

    monkeypatch.setattr(cli_module, "_client", failing_client)
    args = ["fetch", "chat_x", "--out", str(tmp_path / "o")]
    if debug == "--debug before":
        args.insert(0, "--debug")
    elif debug == "--debug after":
        args.append("--debug")
    result = run(*args)
    assert result.exit_code == DOCUMENTED_EXIT_CODES[cls], result.stderr
    line = f"error: {cls.__name__}: {' '.join(str(error).split())}"
    assert result.stderr.strip().splitlines()[-1] == line
    if debug:
        assert "Traceback (most recent call last)" in result.stderr
    else:
        assert result.stderr.strip() == line  # one line, no traceback
    assert result.stdout == ""


def test_fake_server_prints_how_to_reach_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "_wait_for_interrupt", interrupt)  # Ctrl-C at once
    # fake-server prints the key of the fake server it starts: that one is meant to show.
    result = run("fake-server", "--messages", "10", shows=(FAKE_SERVER_KEY,))
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert re.search(r"base URL: http://127\.0\.0\.1:\d+/api/v1", text)
    assert "API key:" in text and "chat ids: chat_demo" in text
    assert "stopped" in result.stderr


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    result = run("demo", "--out", str(tmp_path / "demo"), "--messages", "300")
    assert result.exit_code == 0, result.stderr
    assert "validated: messages=300" in result.stdout
    assert (tmp_path / "demo" / "dataset" / "messages").is_dir()
    assert "sender_id" in result.stdout


def test_stats_in_every_format(canary_server: FakePostpress, tmp_path: Path) -> None:
    import io
    import json

    import polars as pl

    out = tmp_path / "out"
    assert run("fetch", "chat_demo", "--out", str(out), server=canary_server).exit_code == 0
    table = run("stats", str(out), "--tz", "Europe/Paris")
    assert table.exit_code == 0, table.stderr
    assert "sender_id" in table.stdout
    assert "messages" in table.stdout
    csv = run("stats", str(out), "--format", "csv")
    assert csv.exit_code == 0, csv.stderr
    frame = pl.read_csv(io.StringIO(csv.stdout))
    assert frame["messages"].sum() == 120 - _events(out)  # events are left out
    rows = json.loads(run("stats", str(out), "--format", "json").stdout)
    assert {r["sender_id"] for r in rows} == set(frame["sender_id"])
    bad = run("stats", str(out), "--tz", "Mars/Olympus")
    assert bad.exit_code == 2
    assert "Traceback" not in bad.stderr


def _events(folder: Path) -> int:
    from postpress_frames.storage.parquet import read_parquet

    return int(read_parquet(folder).messages["is_event"].sum())


def test_stats_and_report_on_a_dataset(canary_server: FakePostpress, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    assert run("sync", "chat_demo", "--dataset", str(lake), server=canary_server).exit_code == 0
    table = run("stats", str(lake))
    assert table.exit_code == 0, table.stderr
    assert "sender_id" in table.stdout
    report = run("report", str(lake), "--out", str(tmp_path / "r.html"))
    assert report.exit_code == 0, report.stderr
    html = (tmp_path / "r.html").read_text()
    assert "<table" in html
    # The inlined Vega runtime holds URLs as strings (SVG namespaces); the page's policy
    # forbids every request, which tests/test_report_browser.py checks in Chromium.
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    static = run("report", str(lake), "--out", str(tmp_path / "s.html"), "--static")
    assert static.exit_code == 0, static.stderr
    page = (tmp_path / "s.html").read_text()
    assert "<script" not in page
    assert "http://" not in page
    assert "https://" not in page


def test_sync_three_chats_twice_matches_the_server(tmp_path: Path) -> None:
    import duckdb

    from postpress_frames.storage.dataset import read_chat, table_glob
    from postpress_frames.testing import demo_chats

    chats = demo_chats(3, 400, seed=5)
    lake = tmp_path / "lake"
    with FakePostpress(chats) as server:
        first = run("sync", *chats, "--dataset", str(lake), "--workers", "3", server=server)
        assert first.exit_code == 0, first.stderr
        for chat_id in chats:
            newest = server.messages(chat_id)[0]
            server.edit_message(chat_id, newest["id"], text="edited between runs")
            server.add_messages(chat_id, 15)
        second = run("sync", *chats, "--dataset", str(lake), server=server)
        assert second.exit_code == 0, second.stderr
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


# -- outputs never replace what the package did not write ------------------------------------


def fetch_folder(path: Path, *, chat_id: str = "chat_demo") -> Path:
    """A fetch folder written without any network."""
    from postpress_frames.storage.parquet import write_parquet

    write_parquet(demo_frames(120, chat_id=chat_id), path)
    return path


def dataset(root: Path, *chat_ids: str) -> Path:
    """A dataset of ``chat_ids`` (demo chats with the same senders) written without network."""
    from postpress_frames.storage.dataset import write_dataset

    for seed, chat_id in enumerate(chat_ids or ("chat_demo",)):
        write_dataset(demo_frames(120, chat_id=chat_id, seed=seed), root)
    return root


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``."""
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


def one_error_line(result: Result) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


NO_REPLACE_HELP = "never replaces files the package did not write"

# command (T: the target, IN: a fetch folder to read), what the user has at T.
REFUSALS = {
    "fetch --out a file": (("fetch", "chat_demo", "--out", "T"), "file"),
    "fetch --out a folder of the user's": (("fetch", "chat_demo", "--out", "T"), "folder"),
    "sync --dataset a file": (("sync", "chat_demo", "--dataset", "T"), "file"),
    "sync --dataset a folder of the user's": (("sync", "chat_demo", "--dataset", "T"), "folder"),
    "report --out a file": (("report", "IN", "--out", "T"), "file"),
    "stats --out a file": (("stats", "IN", "--out", "T"), "file"),
    "demo --out a file": (("demo", "--out", "T", "--messages", "50"), "file"),
    "demo --out a folder of the user's": (("demo", "--out", "T", "--messages", "50"), "folder"),
    "demo --out a demo folder with the user's report.html": (
        ("demo", "--out", "T", "--messages", "50"),
        "report.html",
    ),
}


@pytest.mark.parametrize(("args", "kind"), list(REFUSALS.values()), ids=list(REFUSALS))
def test_no_output_replaces_a_users_file(
    canary_server: FakePostpress, tmp_path: Path, args: tuple[str, ...], kind: str
) -> None:
    source = fetch_folder(tmp_path / "input")
    home = tmp_path / "home"
    home.mkdir()
    suffix = {"report": ".html", "stats": ".csv"}.get(args[0], ".txt")
    target = home / (f"notes{suffix}" if kind == "file" else "mydir")
    if kind == "file":
        target.write_text("the user's notes\n")
    elif kind == "folder":
        target.mkdir()
        (target / "other.csv").write_text("name,phone\nAda,123\n")
    else:
        target.mkdir()
        (target / "report.html").write_text("<html>the user's own page</html>")
    before = snapshot(home)
    requests = len(canary_server.requests)
    argv = [str(target) if a == "T" else str(source) if a == "IN" else a for a in args]
    result = run(*argv, server=canary_server)
    assert result.exit_code == 1, result.stderr
    line = one_error_line(result)
    assert line.startswith("error: StorageError: "), line
    named = target / "report.html" if kind == "report.html" else target
    assert f"{named}: " in line
    assert "refusing" in line
    assert "other.csv" in line if kind == "folder" else True
    assert snapshot(home) == before  # every byte of the user's files unchanged
    assert len(canary_server.requests) == requests  # refused before any request
    assert result.stdout == ""


@pytest.mark.parametrize("cwd", ["empty", "holding the user's files"])
def test_fetch_out_dot_is_one_line_never_a_traceback(
    canary_server: FakePostpress, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    if cwd != "empty":
        (here / "notes.txt").write_text("mine")
    before = snapshot(here)
    monkeypatch.chdir(here)
    result = run("fetch", "chat_demo", "--out", ".", "--no-progress", server=canary_server)
    assert result.exit_code == 1, result.stderr
    assert one_error_line(result).startswith("error: StorageError: .: ")
    assert snapshot(here) == before
    assert Path.cwd() == here


def test_fetch_replaces_its_own_earlier_folder(
    canary_server: FakePostpress, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    for _ in range(2):
        result = run("fetch", "chat_demo", "--out", str(out), server=canary_server)
        assert result.exit_code == 0, result.stderr
    assert (out / "manifest.json").is_file()


def test_every_writing_command_says_it_never_replaces_the_users_files() -> None:
    for name in ("fetch", "sync", "report", "stats", "demo"):
        shown = " ".join(run(name, "--help").stdout.split())
        assert NO_REPLACE_HELP in shown, name
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "never replace files the package did not write" in readme


def test_demo_runs_twice_into_the_same_folder(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    for _ in range(2):
        result = run("demo", "--out", str(out), "--messages", "60")
        assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "chat",
        "dataset",
        "messages_over_time.png",
        "report.html",
    ]


# -- stats: chat_id, files ---------------------------------------------------------------------


def test_stats_table_names_the_chat_when_there_are_several(tmp_path: Path) -> None:
    import io
    import json

    import polars as pl

    lake = dataset(tmp_path / "lake", "chat_a", "chat_b")
    table = run("stats", str(lake))
    assert table.exit_code == 0, table.stderr
    header = next(line for line in table.stdout.splitlines() if "sender_id" in line)
    assert "chat_id" in header
    assert "chat_a" in table.stdout and "chat_b" in table.stdout
    csv = pl.read_csv(io.StringIO(run("stats", str(lake), "--format", "csv").stdout))
    assert csv.columns[:2] == ["chat_id", "sender_id"]
    assert csv.select("chat_id", "sender_id").is_unique().all()
    assert csv["sender_id"].is_duplicated().any()  # the same senders write in both chats
    rows = json.loads(run("stats", str(lake), "--format", "json").stdout)
    assert {row["chat_id"] for row in rows} == {"chat_a", "chat_b"}
    one = run("stats", str(fetch_folder(tmp_path / "one")))
    header = next(line for line in one.stdout.splitlines() if "sender_id" in line)
    assert "chat_id" not in header  # one chat: the table stays narrow


def test_stats_out_writes_every_column_in_the_format_of_its_suffix(tmp_path: Path) -> None:
    import json

    import duckdb
    import polars as pl

    lake = dataset(tmp_path / "lake", "chat_a", "chat_b")
    for suffix in (".parquet", ".csv", ".json"):
        out = tmp_path / f"senders{suffix}"
        for _ in range(2):  # the second run replaces the first one's file
            result = run("stats", str(lake), "--tz", "Europe/Paris", "--out", str(out))
            assert result.exit_code == 0, result.stderr
            assert result.stdout.startswith(f"stats: {out} (")
    parquet = pl.read_parquet(tmp_path / "senders.parquet")
    assert parquet.schema["response_time_median_s"] == pl.Float64
    assert parquet.schema["first_at"] == pl.Datetime("ms", "UTC")
    assert set(parquet["chat_id"]) == {"chat_a", "chat_b"}
    kinds = duckdb.sql(f"SELECT typeof(first_at) FROM '{tmp_path / 'senders.parquet'}'")
    assert set(kinds.fetchall()) == {("TIMESTAMP WITH TIME ZONE",)}
    csv = pl.read_csv(tmp_path / "senders.csv")
    first = json.loads((tmp_path / "senders.json").read_text())[0]
    assert csv.columns == list(first) == parquet.columns
    assert first["first_at"][-6:] in ("+01:00", "+02:00")  # ISO 8601, offset of Europe/Paris
    both = run("stats", str(lake), "--format", "csv", "--out", str(tmp_path / "x.csv"))
    assert both.exit_code == 2
    bad = run("stats", str(lake), "--out", str(tmp_path / "senders.xlsx"))
    assert bad.exit_code == 2
    one_error_line(bad)


# -- bad input files: one line ----------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "stats", "report"])
@pytest.mark.parametrize("layout", ["fetch folder", "dataset"])
def test_a_truncated_parquet_file_is_one_line_naming_it(
    tmp_path: Path, command: str, layout: str
) -> None:
    source = fetch_folder(tmp_path / "in") if layout == "fetch folder" else dataset(tmp_path / "in")
    (file,) = [p for p in source.rglob("*.parquet") if "messages" in str(p.relative_to(source))]
    file.write_bytes(file.read_bytes()[:100])  # cut short: no footer
    args = [command, str(source)]
    if command == "report":
        args += ["--out", str(tmp_path / "r.html")]
    result = run(*args)
    assert result.exit_code == 1, result.stderr
    line = one_error_line(result)
    assert line.startswith("error: StorageError: ")
    assert str(file) in line
    assert result.stdout == ""
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("layout", ["fetch folder", "dataset"])
def test_stats_and_report_read_a_fetch_folder_and_a_dataset(tmp_path: Path, layout: str) -> None:
    source = fetch_folder(tmp_path / "in") if layout == "fetch folder" else dataset(tmp_path / "in")
    table = run("stats", str(source))
    assert table.exit_code == 0, table.stderr
    assert "sender_id" in table.stdout
    report = run("report", str(source), "--out", str(tmp_path / "r.html"))
    assert report.exit_code == 0, report.stderr
    assert '<meta name="generator" content="postpress-frames">' in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize("command", ["validate", "stats", "report"])
def test_a_damaged_page_behind_a_sound_footer_is_one_line(tmp_path: Path, command: str) -> None:
    lake = dataset(tmp_path / "lake")
    (file,) = lake.glob("messages/*/*.parquet")
    damaged = bytearray(file.read_bytes())
    damaged[100 : len(damaged) // 2] = bytes(len(damaged) // 2 - 100)  # pages zeroed, footer kept
    file.write_bytes(bytes(damaged))
    args = [command, str(lake)] + (
        ["--out", str(tmp_path / "r.html")] if command == "report" else []
    )
    result = run(*args)
    assert result.exit_code == 1, result.stderr
    assert one_error_line(result).startswith(f"error: StorageError: {lake}")
