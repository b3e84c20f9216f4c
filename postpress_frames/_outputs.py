"""What an output may replace: nothing of the user's, ever.

Every writer of the package (``write_parquet``, ``write_dataset``, ``sync_chat``,
``write_report``, ``write_stats`` and the CLI's ``--out``/``--dataset``) checks its target
here first, before any request or write. A target may be replaced only when it is absent,
an empty folder, or an earlier output of the package (each writer says how it recognises
its own: a manifest, a dataset's layout, a generator mark). Anything else is refused with a
:class:`StorageError` naming the path and what is there; nothing is deleted or moved.

>>> from pathlib import Path
>>> _ = Path("notes.txt").write_text("mine")
>>> try:
...     check_folder_target(Path("notes.txt"), what="a fetch folder", ours=lambda p: False)
... except StorageError as error:
...     print(error)
notes.txt: is a file, not a folder; refusing to replace it with a fetch folder (choose another path)
>>> check_folder_target(Path("new"), what="a fetch folder", ours=lambda p: False).as_posix()
'new'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, Self, TypeVar

from postpress_frames._exceptions import StorageError

__all__ = ["Folder", "check_file_target", "check_folder_target", "listing"]


class Folder(Protocol):
    """What a folder target must answer: a local ``Path``, or a key on an object store
    (:class:`~postpress_frames.storage.store.ObjectPath`)."""

    @property
    def name(self) -> str: ...
    def exists(self) -> bool: ...
    def is_dir(self) -> bool: ...
    def is_file(self) -> bool: ...
    def is_symlink(self) -> bool: ...
    def iterdir(self) -> Iterator[Self]: ...


F = TypeVar("F", bound=Folder)

_SHOWN = 3  # names of foreign entries quoted in a refusal


def _quoted(names: Sequence[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:_SHOWN])
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return shown + more


def listing(folder: Folder) -> str:
    """A few of the names in ``folder``, for an error message."""
    return _quoted(sorted(entry.name for entry in folder.iterdir()))


def _lexists(path: Folder) -> bool:
    """Whether anything is at ``path``, a dangling symbolic link included."""
    return os.path.lexists(path) if isinstance(path, Path) else path.exists()


def check_folder_target(
    path: F,
    *,
    what: str,
    ours: Callable[[F], bool],
    replaced: bool = True,
    foreign: Callable[[F], Sequence[str]] | None = None,
) -> F:
    """``path`` when a folder output may be written there (absent, empty, or ``ours``).

    ``replaced=True`` (``write_parquet``): the folder itself is swapped for a new one, so a
    symbolic link is refused too. ``replaced=False`` (a dataset): files are written inside
    the folder, which may be a link to one. ``foreign(path)`` names what in it is not ours
    (default: its first entries).
    """
    if not _lexists(path):
        return path
    is_folder = path.is_dir() and (not replaced or not path.is_symlink())
    if not is_folder:
        if path.is_symlink():
            kind = "a symbolic link"
        elif path.is_file():
            kind = "a file"
        else:
            kind = "not a folder"
        action = f"replace it with {what}" if replaced else f"write {what} there"
        raise StorageError(
            f"is {kind}, not a folder; refusing to {action} (choose another path)", path=path
        )
    empty = next(iter(path.iterdir()), None) is None
    if empty or ours(path):
        return path
    names = _quoted(list(foreign(path))) if foreign is not None else listing(path)
    raise StorageError(
        f"is a folder holding files postpress-frames did not write ({names}); "
        f"refusing to write {what} there (choose a new or empty folder)",
        path=path,
    )


def check_file_target(path: Path, *, what: str, ours: Callable[[Path], bool]) -> Path:
    """``path`` when a file output may be written there (absent, or an earlier ``ours``)."""
    if not os.path.lexists(path):
        if path.parent != Path() and path.parent.exists() and not path.parent.is_dir():
            raise StorageError(f"{path.parent} is not a folder", path=path)
        return path
    if path.is_dir() and not path.is_symlink():
        raise StorageError(f"is a folder; refusing to replace it with {what}", path=path)
    if path.is_file() and not path.is_symlink() and ours(path):
        return path
    raise StorageError(
        f"exists and was not written by postpress-frames; refusing to replace it with {what} "
        "(choose another path, or delete it yourself)",
        path=path,
    )
