"""The local S3 server fixture itself: a bucket per test, polars and pyarrow against it."""

from __future__ import annotations

import polars as pl
import pyarrow.fs as pafs
import pytest

from tests.s3server import (  # noqa: F401 - s3_server and s3_root are fixtures
    S3Root,
    arrow_filesystem,
    env_for,
    list_keys,
    s3_root,
    s3_server,
)


@pytest.mark.parametrize("n", [1, 2])
def test_each_test_has_its_own_empty_bucket(s3_root: S3Root, n: int) -> None:  # noqa: F811
    assert list_keys(s3_root) == []
    assert s3_root.url == f"s3://{s3_root.bucket}/lake"
    url = f"{s3_root.url}/only-{n}.parquet"
    pl.DataFrame({"n": [n]}).write_parquet(url, storage_options=s3_root.storage_options)
    assert list_keys(s3_root) == [f"lake/only-{n}.parquet"]


def test_polars_round_trip(s3_root: S3Root) -> None:  # noqa: F811
    options = s3_root.storage_options
    urls = [f"{s3_root.url}/messages/chat_id={c}/part-0.parquet" for c in ("a", "b")]
    for i, url in enumerate(urls):
        pl.DataFrame({"id": [i, i + 10]}).write_parquet(url, storage_options=options)

    read = pl.scan_parquet(urls, storage_options=options, include_file_paths="path").collect()
    assert read.sort("id")["id"].to_list() == [0, 1, 10, 11]
    assert set(read["path"]) == set(urls)
    assert pl.scan_parquet(urls[0], storage_options=options).collect_schema() == {"id": pl.Int64}

    hive = pl.scan_parquet(
        f"{s3_root.url}/messages/**/*.parquet", storage_options=options, hive_partitioning=True
    )
    sunk = f"{s3_root.url}/sunk/all.parquet"
    hive.filter(pl.col("id") > 0).sink_parquet(sunk, storage_options=options)
    assert pl.read_parquet(sunk, storage_options=options).sort("id").rows() == [
        (1, "b"),
        (10, "a"),
        (11, "b"),
    ]
    assert list_keys(s3_root) == [
        "lake/messages/chat_id=a/part-0.parquet",
        "lake/messages/chat_id=b/part-0.parquet",
        "lake/sunk/all.parquet",
    ]


def test_pyarrow_listing(s3_root: S3Root) -> None:  # noqa: F811
    fs = arrow_filesystem(s3_root)
    root = f"{s3_root.bucket}/{s3_root.prefix}"
    for name in ("x/1.bin", "x/y/2.bin"):
        with fs.open_output_stream(f"{root}/{name}") as out:
            out.write(b"data")

    found = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    files = sorted(i.path for i in found if i.type == pafs.FileType.File)
    assert files == [f"{root}/x/1.bin", f"{root}/x/y/2.bin"]
    assert fs.get_file_info(f"{root}/x").type == pafs.FileType.Directory
    assert fs.get_file_info(f"{root}/missing.bin").type == pafs.FileType.NotFound
    missing = pafs.FileSelector(f"{root}/nothing", recursive=True, allow_not_found=True)
    assert fs.get_file_info(missing) == []
    # Writing creates no marker objects; listing shows only the two files.
    assert list_keys(s3_root) == ["lake/x/1.bin", "lake/x/y/2.bin"]


def test_env_alone_reaches_server(s3_root: S3Root, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    url = f"{s3_root.url}/env.parquet"
    pl.DataFrame({"v": [1, 2]}).write_parquet(url, storage_options=s3_root.storage_options)
    for name, value in env_for(s3_root).items():
        monkeypatch.setenv(name, value)

    assert pl.read_parquet(url)["v"].to_list() == [1, 2]
    assert pl.read_parquet_schema(url) == {"v": pl.Int64}
    fs, path = pafs.FileSystem.from_uri(url)
    assert path == f"{s3_root.bucket}/lake/env.parquet"
    assert fs.get_file_info(path).type == pafs.FileType.File
