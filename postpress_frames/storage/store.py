"""Where a dataset or fetch folder lives: a local folder, or a URL on an object store.

A local location is a :class:`pathlib.Path`. An ``s3://bucket/lake`` URL (S3 or a store that
speaks its protocol: MinIO, Ceph, R2, ...) is an :class:`ObjectPath`: the few
``Path`` methods the storage layer uses (``/``, ``name``, ``parent``, ``is_file``,
``is_dir``, ``iterdir``, ``read_text``, ``unlink``, ...), backed by a pyarrow filesystem.
The primitives that differ between the two live here and nowhere else:

* :func:`entries` lists a folder once (``os.scandir`` on disk, one listing request on a
  store);
* :func:`replace_file` puts a finished file in place: an ``os.replace`` on disk, atomic on
  POSIX; on a store, which has no rename, a server-side copy onto the target (the target
  object is replaced whole, as a PUT is: a reader gets the old object or the new one), then
  the source is deleted;
* :func:`upload` puts a local file at a location; polars writes locally first, so what a
  store receives is a finished file;
* :func:`scan_source` gives polars the source and ``storage_options`` to scan with.

``storage_options`` are polars' (``aws_access_key_id``, ``aws_secret_access_key``,
``aws_region``, ``aws_endpoint_url``, ``aws_allow_http``, ...; a ``aws_`` prefix is
optional): polars scans with them as they are, and listing, copying and deleting go through
pyarrow's filesystem built from the same settings (:func:`pyarrow_options`). Without them
both read the usual ``AWS_*`` environment. The options hold secrets: an ``ObjectPath``'s
``repr``, ``str`` and every error name the URL only.

>>> as_location("lake", "root").as_posix(), type(as_location("lake", "root")).__name__
('lake', 'PosixPath')
>>> as_location("s3://bucket/lake", "root", {"aws_region": "eu-west-1"})
ObjectPath('s3://bucket/lake')
>>> pyarrow_options({"aws_endpoint_url": "http://127.0.0.1:9000", "aws_region": "eu-west-1"})
{'region': 'eu-west-1', 'endpoint_override': '127.0.0.1:9000', 'scheme': 'http'}
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from postpress_frames._args import as_path, is_url
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError, StorageError

if TYPE_CHECKING:
    from pyarrow.fs import FileSystem

__all__ = [
    "KNOWN_OPTIONS",
    "OBJECT_STORE_SCHEMES",
    "Entry",
    "Location",
    "ObjectPath",
    "StorageOptions",
    "as_location",
    "entries",
    "exists",
    "files_under",
    "fsync_dir",
    "fsync_file",
    "is_local",
    "pyarrow_options",
    "relative_key",
    "remove_tree",
    "replace_file",
    "scan_source",
    "storage_options_of",
    "upload",
    "write_via_local",
]

StorageOptions = Mapping[str, str]

#: The URL schemes of the object stores supported (and tested, against a local S3 server).
OBJECT_STORE_SCHEMES = ("s3", "s3a")

#: polars' option names (without the optional ``aws_`` prefix) -> pyarrow's S3FileSystem's.
_S3_OPTIONS = {
    "access_key_id": "access_key",
    "secret_access_key": "secret_key",
    "session_token": "session_token",
    "token": "session_token",
    "region": "region",
    "default_region": "region",
}
_TRUE = {"1", "true", "yes", "on"}


def pyarrow_options(options: StorageOptions) -> dict[str, Any]:
    """The keyword arguments of ``pyarrow.fs.S3FileSystem`` for polars-style ``options``.

    Options pyarrow has no equivalent for are polars' alone (it scans with all of them).
    """
    out: dict[str, Any] = {}
    allow_http = False
    endpoint: str | None = None
    for raw, value in options.items():
        key = raw.lower().removeprefix("aws_")
        if key in _S3_OPTIONS:
            out[_S3_OPTIONS[key]] = value
        elif key in ("endpoint", "endpoint_url"):
            endpoint = value
        elif key == "allow_http":
            allow_http = str(value).lower() in _TRUE
    if endpoint is not None:
        scheme, sep, rest = endpoint.partition("://")
        out["endpoint_override"] = rest.rstrip("/") if sep else endpoint
        out["scheme"] = scheme if sep else ("http" if allow_http else "https")
    return out


def _environment_endpoint() -> dict[str, str]:
    """The endpoint the ``AWS_*`` environment names, for pyarrow (whose S3FileSystem reads
    the credentials and region from it, but not the endpoint)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return {}
    return {"endpoint_url": endpoint, "allow_http": os.environ.get("AWS_ALLOW_HTTP", "false")}


def _filesystem(options: StorageOptions) -> FileSystem:
    import pyarrow.fs as pafs

    try:
        return pafs.S3FileSystem(**pyarrow_options({**_environment_endpoint(), **options}))
    except (ValueError, TypeError) as exc:  # pyarrow's messages name options, never values
        lines = str(exc).strip().splitlines()
        raise ConfigurationError(
            f"storage_options do not configure an S3 store: {lines[0] if lines else exc!r}"
        ) from None


@dataclass(frozen=True, eq=False)
class _Store:
    """One object store: its URL scheme, the options polars scans with, pyarrow's fs."""

    scheme: str
    options: dict[str, str] = field(repr=False)
    fs: FileSystem = field(repr=False)


@dataclass(frozen=True)
class Entry:
    """One name in a folder listing (a symbolic link is neither a folder nor a file)."""

    name: str
    is_dir: bool
    is_file: bool = False


@contextlib.contextmanager
def store_errors(path: ObjectPath) -> Iterator[None]:
    """Turn an error of the store (unreachable, refused, throttled) into a StorageError
    naming the URL; a missing key stays a FileNotFoundError for the caller to judge."""
    try:
        yield
    except FileNotFoundError:
        raise
    except OSError as exc:
        lines = str(exc).strip().splitlines()
        raise StorageError(
            f"the object store failed: {lines[0] if lines else type(exc).__name__}", path=path
        ) from exc


class ObjectPath:
    """A key on an object store, with the subset of ``pathlib.Path`` the storage layer uses.

    Folders are key prefixes: one exists when an object lies under it (or pyarrow's marker
    of an empty folder). ``str()`` is the URL, without options.
    """

    __slots__ = ("_key", "_store")

    def __init__(self, store: _Store, key: str) -> None:
        self._store = store
        self._key = key.rstrip("/")

    # -- names ----------------------------------------------------------------------------
    @property
    def key(self) -> str:
        """The path pyarrow knows it by: ``bucket/key``."""
        return self._key

    @property
    def storage_options(self) -> dict[str, str]:
        return dict(self._store.options)

    @property
    def filesystem(self) -> FileSystem:
        return self._store.fs

    def __truediv__(self, name: str | PurePosixPath) -> ObjectPath:
        return ObjectPath(self._store, f"{self._key}/{PurePosixPath(name).as_posix()}")

    @property
    def name(self) -> str:
        return self._key.rpartition("/")[2]

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    @property
    def parent(self) -> ObjectPath:
        head, sep, _ = self._key.rpartition("/")
        return ObjectPath(self._store, head) if sep else self

    def sibling_key(self, key: str) -> ObjectPath:
        """Another key of the same store."""
        return ObjectPath(self._store, key)

    def with_name(self, name: str) -> ObjectPath:
        return self.parent / name

    def relative_to(self, other: ObjectPath) -> PurePosixPath:
        return PurePosixPath(self._key).relative_to(other._key)

    def as_posix(self) -> str:
        return f"{self._store.scheme}://{self._key}"

    def __str__(self) -> str:
        return self.as_posix()

    def __repr__(self) -> str:
        return f"ObjectPath({self.as_posix()!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ObjectPath)
            and other._key == self._key
            and other._store is self._store
        )

    def __hash__(self) -> int:
        return hash((self._key, id(self._store)))

    # -- queries --------------------------------------------------------------------------
    def _type(self) -> str:
        import pyarrow.fs as pafs

        with store_errors(self):
            kind = self._store.fs.get_file_info(self._key).type
        if kind == pafs.FileType.File:
            return "file"
        if kind == pafs.FileType.Directory:
            return "dir"
        return "none"

    def is_file(self) -> bool:
        return self._type() == "file"

    def is_dir(self) -> bool:
        return self._type() == "dir"

    def exists(self) -> bool:
        return self._type() != "none"

    def is_symlink(self) -> bool:
        return False

    def iterdir(self) -> Iterator[ObjectPath]:
        for entry in entries(self):
            yield self / entry.name

    def glob(self, pattern: str) -> Iterator[ObjectPath]:
        """Keys under this one matching ``pattern`` (``*`` within one name, as pathlib)."""
        import pyarrow.fs as pafs

        parts = pattern.split("/")
        fixed = list(_plain_prefix(parts))
        base = self / "/".join(fixed) if fixed else self
        rest = parts[len(fixed) :]
        if not rest:
            if base.exists():
                yield base
            return
        selector = pafs.FileSelector(base.key, recursive=len(rest) > 1, allow_not_found=True)
        with store_errors(self):
            infos = self._store.fs.get_file_info(selector)
        for info in infos:
            relative = PurePosixPath(info.path).relative_to(base.key).parts
            if len(relative) == len(rest) and all(
                fnmatch.fnmatchcase(name, part) for name, part in zip(relative, rest, strict=True)
            ):
                yield self.sibling_key(info.path)

    # -- reading and writing --------------------------------------------------------------
    def read_bytes(self) -> bytes:
        with store_errors(self), self._store.fs.open_input_stream(self._key) as stream:
            return bytes(stream.read())

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def write_bytes(self, data: bytes) -> int:
        """One PUT: the object appears whole or not at all."""
        with store_errors(self), self._store.fs.open_output_stream(self._key) as stream:
            stream.write(data)
        return len(data)

    def write_text(self, text: str, encoding: str = "utf-8") -> int:
        return self.write_bytes(text.encode(encoding))

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            with store_errors(self):
                self._store.fs.delete_file(self._key)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """A marker of an empty folder (pyarrow's), so a dataset of no chats reads back;
        nothing is written when the folder exists (a PUT per sync would pile up versions)."""
        if self.is_dir():
            return
        with store_errors(self):
            self._store.fs.create_dir(self._key, recursive=True)

    def rmdir(self) -> None:
        """Remove an empty folder's marker; an OSError when something lies under it."""
        if any(True for _ in entries(self)):
            raise OSError(f"{self} is not empty")
        with contextlib.suppress(FileNotFoundError, OSError):
            self._store.fs.delete_dir(self._key)


def _plain_prefix(parts: list[str]) -> Iterator[str]:
    """The leading parts of a glob pattern that hold no wildcard."""
    for part in parts:
        if any(char in part for char in "*?["):
            return
        yield part


Location = Path | ObjectPath


def as_location(
    value: object, argument: str, storage_options: StorageOptions | None = None
) -> Location:
    """``value`` as a local ``Path``, or an :class:`ObjectPath` for a URL.

    ``storage_options`` (polars-style, see the module docstring) apply to URLs only; a
    ``file://`` URL is a local path.
    """
    if isinstance(value, ObjectPath):
        if storage_options is not None:
            raise ConfigurationError(f"{argument} carries its storage options already")
        return value
    options = _checked_options(storage_options)
    text = os.fspath(value) if isinstance(value, str | os.PathLike) else None
    if isinstance(text, str) and is_url(text):
        scheme, _, rest = text.partition("://")
        scheme = scheme.lower()
        if scheme == "file":
            return _local(Path(rest), options, argument)
        if scheme not in OBJECT_STORE_SCHEMES:
            raise ConfigurationError(
                f"{argument} {text!r} is a URL of a store postpress-frames does not support; "
                f"it reads and writes {', '.join(s + '://' for s in OBJECT_STORE_SCHEMES)} "
                "URLs (S3 and S3-compatible stores) and local paths"
            )
        if not rest.strip("/"):
            raise ConfigurationError(f"{argument} {text!r} names no bucket")
        store = _Store(scheme, dict(options or {}), _filesystem(options or {}))
        return ObjectPath(store, rest)
    return _local(as_path(value, argument), options, argument)


def _local(path: Path, options: StorageOptions | None, argument: str) -> Path:
    if options:
        raise ConfigurationError(
            f"storage_options apply to a URL (s3://...), but {argument} {str(path)!r} is a "
            "local path"
        )
    return path


#: The option names polars (the Rust ``object_store`` crate) takes for S3, without the
#: optional ``aws_`` prefix, and its HTTP client's. polars ignores a name it does not know,
#: so a misspelt endpoint would send the request (and the keys) to AWS: such names are refused.
KNOWN_OPTIONS = frozenset(
    {
        *_S3_OPTIONS,
        "endpoint",
        "endpoint_url",
        "bucket",
        "bucket_name",
        "virtual_hosted_style_request",
        "unsigned_payload",
        "skip_signature",
        "checksum_algorithm",
        "metadata_endpoint",
        "imdsv1_fallback",
        "container_credentials_relative_uri",
        "copy_if_not_exists",
        "conditional_put",
        "disable_tagging",
        "request_payer",
        "s3_express",
        "server_side_encryption",
        "sse_kms_key_id",
        "sse_bucket_key_enabled",
        "sse_customer_key_base64",
        "allow_http",
        "allow_invalid_certificates",
        "connect_timeout",
        "timeout",
        "pool_idle_timeout",
        "pool_max_idle_per_host",
        "proxy_url",
        "proxy_ca_certificate",
        "proxy_excludes",
        "user_agent",
        "max_retries",
        "retry_timeout_ms",
    }
)


def _checked_options(options: object) -> StorageOptions | None:
    """``options`` when it is a mapping of known option names to strings.

    >>> _checked_options({"aws_endpoint_ur": "http://127.0.0.1:9000"})
    Traceback (most recent call last):
    ...
    postpress_frames._exceptions.ConfigurationError: unknown storage option 'aws_endpoint_ur' ...
    """
    if options is None:
        return None
    if not isinstance(options, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in options.items()
    ):
        raise ArgumentTypeError(
            "storage_options", "a mapping of option names to string values (or None)", options
        )
    for key in options:
        if key.lower().removeprefix("aws_") not in KNOWN_OPTIONS:
            raise ConfigurationError(
                f"unknown storage option {key!r} (polars would ignore it); expected S3 "
                "options such as aws_access_key_id, aws_secret_access_key, aws_region, "
                "aws_endpoint_url, aws_allow_http"
            )
    return options


def is_local(location: Location) -> bool:
    return isinstance(location, Path)


def relative_key(path: Location, root: Location) -> str:
    """``path`` relative to ``root``, as a POSIX path (``messages/chat_id=x/part-0.parquet``)."""
    if isinstance(path, ObjectPath) and isinstance(root, ObjectPath):
        return path.relative_to(root).as_posix()
    if isinstance(path, Path) and isinstance(root, Path):
        return path.relative_to(root).as_posix()
    raise StorageError("is not under the dataset's root", path=path)


def storage_options_of(location: Location) -> dict[str, str] | None:
    """What polars scans ``location`` with: None on disk."""
    return location.storage_options if isinstance(location, ObjectPath) else None


def scan_source(location: Location) -> str | Path:
    """The source polars reads ``location`` from (a URL for an object)."""
    return location.as_posix() if isinstance(location, ObjectPath) else location


def exists(location: Location) -> bool:
    """Whether anything is at ``location`` (a dangling link on disk counts)."""
    if isinstance(location, ObjectPath):
        return location.exists()
    return os.path.lexists(location)


def entries(folder: Location) -> list[Entry]:
    """The names in ``folder`` (one listing), sorted; an OSError when it is none."""
    if isinstance(folder, Path):
        with os.scandir(folder) as scanned:
            found = [
                Entry(e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False))
                for e in scanned
            ]
        return sorted(found, key=lambda entry: entry.name)
    import pyarrow.fs as pafs

    selector = pafs.FileSelector(folder.key, recursive=False, allow_not_found=True)
    with store_errors(folder):
        infos = folder.filesystem.get_file_info(selector)
    found = [
        Entry(
            PurePosixPath(info.path).name,
            info.type == pafs.FileType.Directory,
            info.type == pafs.FileType.File,
        )
        for info in infos
    ]
    return sorted(found, key=lambda entry: entry.name)


def files_under(folder: ObjectPath) -> list[ObjectPath]:
    """Every object below ``folder``, at any depth, sorted: one (paginated) listing."""
    import pyarrow.fs as pafs

    selector = pafs.FileSelector(folder.key, recursive=True, allow_not_found=True)
    with store_errors(folder):
        infos = folder.filesystem.get_file_info(selector)
    found = [folder.sibling_key(info.path) for info in infos if info.type == pafs.FileType.File]
    return sorted(found, key=lambda path: path.key)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Location) -> None:
    """Make a rename in ``path`` durable (where the filesystem lets a folder be opened)."""
    if isinstance(path, Path):
        with contextlib.suppress(OSError):  # some filesystems refuse to open directories
            fsync_file(path)


def replace_file(tmp: Location, target: Location) -> None:
    """Put the finished file ``tmp`` at ``target``: readers see the old file or the new one.

    On disk: flush, ``os.replace`` (atomic on POSIX), flush the folder. On a store: copy the
    object onto the target (replaced whole), then delete ``tmp``; a crash between the two
    leaves ``tmp``, which is a copy of the target.
    """
    if isinstance(tmp, Path) and isinstance(target, Path):
        fsync_file(tmp)
        os.replace(tmp, target)
        fsync_dir(target.parent)
        return
    if isinstance(tmp, ObjectPath) and isinstance(target, ObjectPath):
        with store_errors(target):
            if not tmp.exists():  # copy_file says OSError, not FileNotFoundError
                raise FileNotFoundError(str(tmp))
            tmp.filesystem.copy_file(tmp.key, target.key)
        tmp.unlink(missing_ok=True)
        return
    raise StorageError("cannot move a file between a local folder and an object store", path=tmp)


def upload(local: Path, target: Location) -> None:
    """Put the local file ``local`` at ``target`` (one PUT on a store; a copy on disk)."""
    if isinstance(target, Path):
        shutil.copyfile(local, target)
        return
    import pyarrow.fs as pafs

    with store_errors(target):
        pafs.copy_files(
            str(local),
            target.key,
            source_filesystem=pafs.LocalFileSystem(),
            destination_filesystem=target.filesystem,
        )


def write_via_local(target: Location, write: Callable[[Path], object]) -> None:
    """``write(path)`` a file that ends up at ``target``: directly on disk; on a store, to
    a local temporary file, then uploaded (so the object is whole when it appears)."""
    if isinstance(target, Path):
        write(target)
        return
    with tempfile.TemporaryDirectory(prefix="postpress-frames-") as folder:
        local = Path(folder) / target.name
        write(local)
        upload(local, target)


def remove_tree(folder: Location) -> None:
    """Delete ``folder`` and everything under it; nothing there is no error."""
    if isinstance(folder, Path):
        shutil.rmtree(folder, ignore_errors=True)
        return
    with contextlib.suppress(FileNotFoundError, OSError):
        folder.filesystem.delete_dir(folder.key)
