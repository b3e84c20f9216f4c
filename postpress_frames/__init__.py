"""postpress-frames: postpress chat messages as typed, validated polars DataFrames.

>>> import postpress_frames as ppf
>>> from postpress_frames.testing import FakePostpress, demo_chat
>>> with FakePostpress({"chat_demo": demo_chat(300)}) as server:
...     client = ppf.Client(api_key=server.api_key, base_url=server.base_url)
...     frames = ppf.fetch_chat("chat_demo", client=client)
>>> frames.messages.height
300

Names are imported on first use, so ``import postpress_frames`` (and the CLI's ``--help``)
stays fast; polars and requests load only when needed, and pandera only to explain a failed
validation or for a model itself (``postpress_frames.schemas.MessageSchema``). The imports
under ``TYPE_CHECKING`` below are the one table of the public API: ``__all__`` and the lazy
loader are both read from it.
"""

from __future__ import annotations

import ast as _ast
import importlib as _importlib
from pathlib import Path as _Path
from typing import TYPE_CHECKING, Any

from postpress_frames._version import __version__

if TYPE_CHECKING:
    from postpress_frames._exceptions import (
        APIError,
        ArgumentTypeError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        CursorLoopError,
        GatewayTimeoutError,
        InvalidResponseError,
        MissingInputError,
        NotFoundError,
        PermissionDeniedError,
        PostpressError,
        RateLimitError,
        SchemaFailure,
        SchemaValidationError,
        ServerError,
        ServiceUnavailableError,
        StorageError,
        TransportError,
    )
    from postpress_frames.analysis.charts import save_chart
    from postpress_frames.analysis.report import render_report, write_report
    from postpress_frames.analysis.stats import (
        activity_over_time,
        content,
        export_ready,
        participants,
        read_matrix,
        read_receipts,
        read_times,
        response_matrix,
        response_times,
        sender_activity,
        write_stats,
    )
    from postpress_frames.api.client import Client, Page
    from postpress_frames.api.retry import RateLimitGate, RetryPolicy
    from postpress_frames.pipeline.fetch import fetch_chat
    from postpress_frames.pipeline.sync import SyncResult, sync_chat, sync_chats
    from postpress_frames.storage.dataset import read_chat, scan_dataset, write_dataset
    from postpress_frames.storage.parquet import read_parquet, write_parquet
    from postpress_frames.tables.build import frames_from_pages
    from postpress_frames.tables.chat_frames import ChatFrames
    from postpress_frames.tables.schemas import (
        UnknownFieldWarning,
        UnknownValueWarning,
        validate_frames,
    )


def _export_table() -> dict[str, str]:
    """Public name -> module, read from the ``TYPE_CHECKING`` imports of this file."""
    tree = _ast.parse(_Path(__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, _ast.If) and isinstance(node.test, _ast.Name)
        if node.test.id == "TYPE_CHECKING"
    )
    return {
        alias.name: node.module
        for node in block.body
        if isinstance(node, _ast.ImportFrom) and node.module
        for alias in node.names
    }


_EXPORTS = _export_table()
__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'postpress_frames' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # The public names and the module's own dunders, not the helpers used to build them.
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
