"""Doctests of the package run in a fresh empty folder, so examples may write ``lake/`` etc."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _doctest_in_tmp_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield
    finally:
        os.chdir(before)


# The local S3 server's fixtures (s3_server, s3_root) for every test module.
pytest_plugins = ["tests.s3server"]
