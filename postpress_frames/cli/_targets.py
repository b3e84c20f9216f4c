"""What a command's output may replace, checked before any request or computation.

Every rule goes through :mod:`postpress_frames._outputs` (the one home of "never replace
what the package did not write"): a target is written only when it is absent, an empty
folder, or an earlier output of the package, recognised here as follows.

* ``fetch --out``: a fetch folder (:func:`postpress_frames.storage.parquet.is_fetch_folder`,
  the rule ``write_parquet`` applies: a manifest of ours and nothing but its tables), and
  never the current folder or one holding it (the swap would move the shell's folder away).
* ``sync --dataset``: :func:`postpress_frames.storage.dataset.check_dataset_target`, the
  guard ``sync_chat`` and ``write_dataset`` apply (a dataset root: table folders of
  ``chat_id=`` partitions and their work folders).
* ``demo --out``: a folder holding only the demo's outputs, each one of ours.
* ``report --out`` and ``stats --out``: :func:`~postpress_frames.analysis.report.is_report`
  and :func:`~postpress_frames.analysis.export.is_stats_file`.

Anything else is a ``StorageError`` naming the path and what is there; nothing is touched.

>>> from pathlib import Path
>>> _ = Path("notes.txt").write_text("mine")
>>> try:
...     check_fetch_folder_target(Path("notes.txt"))
... except StorageError as error:
...     print(error)
notes.txt: is a file, not a folder; refusing to replace it with a fetch folder (choose another path)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

from postpress_frames._exceptions import StorageError
from postpress_frames._outputs import check_file_target, check_folder_target

__all__ = [
    "DEMO_CHART",
    "DEMO_CHAT",
    "DEMO_DATASET",
    "DEMO_OUTPUTS",
    "DEMO_REPORT",
    "check_dataset_target",
    "check_demo_target",
    "check_fetch_folder_target",
]

_PNG: Final = b"\x89PNG\r\n\x1a\n"

#: What ``demo --out`` writes, by name.
DEMO_CHAT, DEMO_DATASET = "chat", "dataset"
DEMO_CHART, DEMO_REPORT = "messages_over_time.png", "report.html"
DEMO_OUTPUTS: Final = frozenset({DEMO_CHAT, DEMO_DATASET, DEMO_CHART, DEMO_REPORT})


def _names(folder: Path) -> set[str]:
    return {entry.name for entry in os.scandir(folder)}


def _is_png(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(_PNG)) == _PNG
    except OSError:
        return False


def check_fetch_folder_target(
    path: Path | str, storage_options: dict[str, str] | None = None
) -> Path | str:
    """``path`` when ``fetch --out`` may write its folder there.

    The current folder (``.``) and the folders holding it are refused even when empty:
    replacing a folder a shell stands in would leave the shell in a deleted one. A URL is
    checked by the library's guard (``write_parquet``'s).
    """
    from postpress_frames.storage.parquet import check_fetch_folder_target as library_guard
    from postpress_frames.storage.parquet import is_fetch_folder

    if isinstance(path, str) or storage_options:
        library_guard(path, storage_options)
        return path

    check_folder_target(Path(os.path.normpath(path)), what="a fetch folder", ours=is_fetch_folder)
    if os.path.lexists(path):
        here, there = Path.cwd().resolve(), path.resolve()
        if there == here or there in here.parents:
            raise StorageError(
                "is the current folder (or holds it); refusing to replace it with a fetch "
                "folder (choose a folder inside it, e.g. --out chat)",
                path=path,
            )
    return path


def check_dataset_target(path: Path | str, storage_options: dict[str, str] | None = None) -> Any:
    """``path`` when ``sync --dataset`` may write there: the library's own guard. Returns
    the location (a local path, or the ``s3://`` URL with its storage options)."""
    from postpress_frames.storage.dataset import check_dataset_target as library_guard

    return library_guard(path, storage_options)


def check_demo_target(path: Path) -> Path:
    """``path`` when ``demo --out`` may write there: each of its outputs checked too."""
    from postpress_frames.analysis.report import check_report_target

    check_folder_target(
        path, what="the demo's outputs", ours=lambda folder: _names(folder) <= DEMO_OUTPUTS
    )
    check_fetch_folder_target(path / DEMO_CHAT)
    check_dataset_target(path / DEMO_DATASET)
    check_file_target(path / DEMO_CHART, what="a chart", ours=_is_png)
    check_report_target(path / DEMO_REPORT)
    return path
