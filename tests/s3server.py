"""A local S3-compatible server for tests: moto's server mode on 127.0.0.1, one per process.

Nothing here needs AWS credentials from the environment or contacts any other host: every
client gets the fake keys, the region and the local endpoint explicitly.

* :func:`s3_server` (session) is the running :class:`S3Server`;
* :func:`s3_root` (function) makes a fresh bucket for the test and gives an :class:`S3Root`:
  ``url`` (``s3://<bucket>/lake``), polars-style ``storage_options`` and the ``endpoint``;
* :func:`list_keys` lists every object key in that bucket, :func:`env_for` gives the ``AWS_*``
  variables that let polars and pyarrow reach the server with no options, and
  :func:`arrow_filesystem` is the matching :class:`pyarrow.fs.S3FileSystem`.

Use the fixtures with ``pytest_plugins = ("tests.s3server",)`` in a test module (no lint
noise), or ``from tests.s3server import s3_root, s3_server  # noqa: F401`` plus
``# noqa: F811`` on each test that takes them. Either way the server starts once per process.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    import pyarrow.fs as pafs

#: Fake credentials: moto accepts any, and giving them stops every engine looking for real ones
#: (polars without keys goes to the EC2 metadata endpoint; without an endpoint, to amazonaws.com).
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Root:
    """A test's own bucket on the local server, and how to reach it."""

    url: str
    storage_options: dict[str, str]
    endpoint: str

    @property
    def bucket(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def prefix(self) -> str:
        """The key prefix of :attr:`url` inside the bucket, e.g. ``lake``."""
        return urlsplit(self.url).path.strip("/")


class S3Server:
    """moto's ``ThreadedMotoServer`` on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._client: Any = None
        self.endpoint = ""

    def start(self) -> S3Server:
        # werkzeug's dev server logs every request at INFO, to stderr when nothing is set up.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        if self.endpoint:
            self._moto.stop()
            self.endpoint = ""

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self) -> Any:
        """A boto3 S3 client of this server (created once)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint,
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                region_name=REGION,
                config=Config(s3={"addressing_style": "path"}),
            )
        return self._client

    def new_root(self, name: str = "test", prefix: str = "lake") -> S3Root:
        """Create a bucket with a unique name (from ``name``) and return its root."""
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "test"
        bucket = f"t-{slug}-{uuid.uuid4().hex[:10]}"
        self.client().create_bucket(Bucket=bucket)
        return S3Root(
            url=f"s3://{bucket}/{prefix}",
            storage_options=storage_options_for(self.endpoint),
            endpoint=self.endpoint,
        )


def storage_options_for(endpoint: str) -> dict[str, str]:
    """polars' ``storage_options`` for the server at ``endpoint``."""
    return {
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
        "aws_region": REGION,
        "aws_endpoint_url": endpoint,
        "aws_allow_http": "true",
    }


_shared: S3Server | None = None
_shared_lock = threading.Lock()


def shared_server() -> S3Server:
    """The process's one server, started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = S3Server().start()
            atexit.register(_shared.stop)
        return _shared


@pytest.fixture(scope="session")
def s3_server() -> S3Server:
    # A session fixture imported into several modules is one fixture per module; the shared
    # server keeps it at one server per process all the same.
    return shared_server()


@pytest.fixture
def s3_root(s3_server: S3Server, request: pytest.FixtureRequest) -> S3Root:
    return s3_server.new_root(request.node.name)


def _client_for(root: S3Root) -> Any:
    server = shared_server()
    if server.endpoint == root.endpoint:
        return server.client()
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=root.endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def list_keys(root: S3Root) -> list[str]:
    """Every object key in ``root``'s bucket (not only under its prefix), sorted.

    pyarrow's ``create_dir``, ``delete_file``, ``move`` and ``write_dataset`` leave empty
    ``dir/`` marker objects; they are listed here too (pyarrow's own listing shows them as
    directories).
    """
    paginator = _client_for(root).get_paginator("list_objects_v2")
    keys = [
        obj["Key"]
        for page in paginator.paginate(Bucket=root.bucket)
        for obj in page.get("Contents", [])
    ]
    return sorted(keys)


def env_for(root: S3Root) -> dict[str, str]:
    """``AWS_*`` variables that let polars (``s3://`` with no ``storage_options``) and pyarrow
    (``FileSystem.from_uri``, ``pq.read_table("s3://...")``) reach the server.

    A bare ``pyarrow.fs.S3FileSystem()`` ignores ``AWS_ENDPOINT_URL`` and goes to AWS: use
    :func:`arrow_filesystem`, or ``from_uri``.
    """
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": root.endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def arrow_filesystem_kwargs(root: S3Root) -> dict[str, str]:
    """``pyarrow.fs.S3FileSystem`` keyword arguments equal to ``root.storage_options``."""
    options = root.storage_options
    endpoint = urlsplit(options["aws_endpoint_url"])
    return {
        "access_key": options["aws_access_key_id"],
        "secret_key": options["aws_secret_access_key"],
        "region": options["aws_region"],
        "endpoint_override": endpoint.netloc,
        "scheme": endpoint.scheme,
    }


def arrow_filesystem(root: S3Root) -> pafs.S3FileSystem:
    """A pyarrow filesystem of the server; its paths are ``<bucket>/<key>``, no ``s3://``."""
    import pyarrow.fs as pafs

    return pafs.S3FileSystem(**arrow_filesystem_kwargs(root))
