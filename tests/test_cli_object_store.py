"""The command line on an ``s3://`` dataset or fetch folder (the local S3 server of
``tests/s3server.py``): ``--storage-option KEY=VALUE`` or the ``AWS_*`` environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postpress_frames.storage.dataset import chat_ids
from postpress_frames.storage.parquet import read_parquet
from postpress_frames.testing import FakePostpress, demo_chat
from tests.conftest import invoke_cli
from tests.s3server import S3Root, env_for, list_keys

SECRET = "sekret-cli-canary-4711"


def options(root: S3Root, *, secret: str = SECRET) -> list[str]:
    """``--storage-option`` arguments for the test server (any secret works on moto)."""
    settings = {**root.storage_options, "aws_secret_access_key": secret}
    return [
        arg for key, value in settings.items() for arg in ("--storage-option", f"{key}={value}")
    ]


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    chats = {"chat_a": demo_chat(300), "chat é/b": demo_chat(120, chat_id="chat é/b", seed=3)}
    with FakePostpress(chats) as fake:
        yield fake


def api_env(server: FakePostpress) -> dict[str, str]:
    return {"POSTPRESS_BASE_URL": server.base_url, "POSTPRESS_API_KEY": server.api_key}


def test_sync_stats_report_and_validate_run_on_an_s3_dataset(
    server: FakePostpress, s3_root: S3Root, tmp_path: Path
) -> None:
    sync = invoke_cli(
        "sync", "chat_a", "chat é/b", "--dataset", s3_root.url, *options(s3_root),
        env=api_env(server), secrets=[SECRET],
    )  # fmt: skip
    assert sync.exit_code == 0, sync.stderr
    assert "chat_a: 2 pages, 300 fetched, 300 added" in sync.stdout
    assert chat_ids(s3_root.url, storage_options=s3_root.storage_options) == ["chat é/b", "chat_a"]

    stats = invoke_cli(
        "stats", s3_root.url, "--format", "json", *options(s3_root), secrets=[SECRET]
    )
    assert stats.exit_code == 0, stats.stderr
    rows = json.loads(stats.stdout)
    assert {row["chat_id"] for row in rows} == {"chat_a", "chat é/b"}
    assert sum(row["messages"] for row in rows) == 420 - sum(row["events"] for row in rows)

    page = tmp_path / "report.html"
    report = invoke_cli(
        "report", s3_root.url, "--out", str(page), "--static", *options(s3_root),
        secrets=[SECRET],
    )  # fmt: skip
    assert report.exit_code == 0, report.stderr
    assert "chat_a" in page.read_text(encoding="utf-8")
    assert SECRET not in page.read_text(encoding="utf-8")

    valid = invoke_cli("validate", s3_root.url, *options(s3_root), secrets=[SECRET])
    assert valid.exit_code == 0, valid.stderr
    assert "chat_a: valid: messages=300," in valid.stdout


def test_fetch_writes_a_fetch_folder_on_s3_and_validate_reads_it(
    server: FakePostpress, s3_root: S3Root
) -> None:
    url = f"{s3_root.url}/chat"
    fetched = invoke_cli(
        "fetch", "chat_a", "--out", url, *options(s3_root), env=api_env(server), secrets=[SECRET]
    )
    assert fetched.exit_code == 0, fetched.stderr
    frames = read_parquet(url, storage_options=s3_root.storage_options)
    assert frames.messages.height == 300
    valid = invoke_cli("validate", url, *options(s3_root), secrets=[SECRET])
    assert valid.exit_code == 0, valid.stderr
    assert valid.stdout.startswith(f"{url}: valid: messages=300,")


def test_the_aws_environment_alone_reaches_the_store(
    server: FakePostpress, s3_root: S3Root, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in env_for(s3_root).items():
        monkeypatch.setenv(key, value)
    sync = invoke_cli("sync", "chat_a", "--dataset", s3_root.url, env=api_env(server))
    assert sync.exit_code == 0, sync.stderr
    stats = invoke_cli("stats", s3_root.url)
    assert stats.exit_code == 0, stats.stderr


def test_fetch_refuses_an_s3_folder_of_other_files_before_any_request(
    server: FakePostpress, s3_root: S3Root
) -> None:
    invoke_cli(
        "fetch", "chat_a", "--out", f"{s3_root.url}/x", *options(s3_root), env=api_env(server)
    )
    s3 = __import__("tests.s3server", fromlist=["shared_server"]).shared_server().client()
    s3.put_object(Bucket=s3_root.bucket, Key=f"{s3_root.prefix}/mine/notes.txt", Body=b"mine")
    before = len(server.requests)
    refused = invoke_cli(
        "fetch", "chat_a", "--out", f"{s3_root.url}/mine", *options(s3_root),
        env=api_env(server), secrets=[SECRET],
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "notes.txt" in refused.stderr and "refusing" in refused.stderr
    assert len(server.requests) == before
    assert f"{s3_root.prefix}/mine/notes.txt" in list_keys(s3_root)


@pytest.mark.parametrize(
    ("argument", "code", "says"),
    [
        ("aws_region", 2, "expected KEY=VALUE"),
        ("aws_endpoint_ur=http://127.0.0.1:9", 2, "unknown storage option 'aws_endpoint_ur'"),
    ],
)
def test_a_malformed_or_unknown_storage_option_is_one_line_and_exit_2(
    s3_root: S3Root, argument: str, code: int, says: str
) -> None:
    result = invoke_cli("stats", s3_root.url, "--storage-option", argument)
    assert result.exit_code == code
    assert says in result.stderr.strip().splitlines()[-1]


def test_a_secret_without_its_key_id_is_a_configuration_error(s3_root: S3Root) -> None:
    result = invoke_cli(
        "stats", s3_root.url, "--storage-option", f"aws_secret_access_key={SECRET}",
        secrets=[SECRET],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "storage_options do not configure an S3 store" in result.stderr
    assert "access_key" in result.stderr


def test_a_storage_option_with_a_local_path_is_refused(tmp_path: Path) -> None:
    result = invoke_cli(
        "sync", "chat_a", "--dataset", str(tmp_path / "lake"), "--storage-option", "aws_region=x"
    )
    assert result.exit_code == 2
    assert "storage_options apply to a URL" in result.stderr


def test_an_unreachable_store_is_one_error_line_without_the_secret(
    server: FakePostpress,
) -> None:
    url = "s3://nowhere/lake"
    args = ["--storage-option", "aws_endpoint_url=http://127.0.0.1:1"]
    args += ["--storage-option", "aws_access_key_id=testing"]
    args += ["--storage-option", f"aws_secret_access_key={SECRET}"]
    before = len(server.requests)
    result = invoke_cli(
        "sync", "chat_a", "--dataset", url, *args, env=api_env(server), secrets=[SECRET]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: StorageError: s3://nowhere/lake: the object store")
    assert "127.0.0.1:1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert len(server.requests) == before  # refused before any request


def test_the_readme_object_store_example_runs_against_the_local_server(
    s3_root: S3Root, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- object-store-example -->\n```python\n", 1)[1].split("```", 1)[0]
    chats = {chat: demo_chat(80, chat_id=chat) for chat in ("chat_01HXYZ", "chat_01HABC")}
    with FakePostpress(chats) as fake:
        for key, value in {**env_for(s3_root), **api_env(fake)}.items():
            monkeypatch.setenv(key, value)
        scope: dict[str, object] = {}
        exec(block.replace("s3://my-bucket/chats", s3_root.url), scope)
    assert scope["frames"].messages.height == 80  # type: ignore[attr-defined]
    assert scope["senders"].height > 0  # type: ignore[attr-defined]
