"""postpress-frames: postpress chat messages as typed, validated polars DataFrames.

>>> import postpress_frames as ppf
>>> frames = ppf.fetch_chat("chat_01HXYZ")        # doctest: +SKIP
>>> ppf.write_parquet(frames, "out/chat")         # doctest: +SKIP

Names are imported on first use, so ``import postpress_frames`` (and the CLI's ``--help``)
stays fast; polars, pandera and requests load only when needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from postpress_frames._version import __version__

if TYPE_CHECKING:
    from postpress_frames._exceptions import (
        APIError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        CursorLoopError,
        GatewayTimeoutError,
        InvalidResponseError,
        NotFoundError,
        PermissionDeniedError,
        PostpressError,
        RateLimitError,
        SchemaFailure,
        SchemaValidationError,
        ServerError,
        ServiceUnavailableError,
        TransportError,
    )
    from postpress_frames._retry import RateLimitGate, RetryPolicy
    from postpress_frames.charts import save_chart
    from postpress_frames.chat_frames import ChatFrames
    from postpress_frames.client import Client, Page
    from postpress_frames.dataset import read_chat, scan_dataset, write_dataset
    from postpress_frames.fetch import fetch_chat
    from postpress_frames.frames import frames_from_pages
    from postpress_frames.parquet import read_parquet, write_parquet
    from postpress_frames.report import render_report, write_report
    from postpress_frames.schemas import UnknownFieldWarning, UnknownValueWarning, validate_frames
    from postpress_frames.stats import (
        activity_over_time,
        export_ready,
        response_matrix,
        response_times,
        sender_activity,
    )
    from postpress_frames.sync import SyncResult, sync_chat, sync_chats

_EXPORTS: dict[str, str] = {
    # errors
    "APIError": "_exceptions",
    "AuthenticationError": "_exceptions",
    "BadRequestError": "_exceptions",
    "ConfigurationError": "_exceptions",
    "CursorLoopError": "_exceptions",
    "GatewayTimeoutError": "_exceptions",
    "InvalidResponseError": "_exceptions",
    "NotFoundError": "_exceptions",
    "PermissionDeniedError": "_exceptions",
    "PostpressError": "_exceptions",
    "RateLimitError": "_exceptions",
    "SchemaFailure": "_exceptions",
    "SchemaValidationError": "_exceptions",
    "ServerError": "_exceptions",
    "ServiceUnavailableError": "_exceptions",
    "TransportError": "_exceptions",
    # fetching
    "Client": "client",
    "Page": "client",
    "RetryPolicy": "_retry",
    "RateLimitGate": "_retry",
    "fetch_chat": "fetch",
    # tables
    "ChatFrames": "chat_frames",
    "frames_from_pages": "frames",
    "UnknownFieldWarning": "schemas",
    "UnknownValueWarning": "schemas",
    "validate_frames": "schemas",
    # files
    "read_parquet": "parquet",
    "write_parquet": "parquet",
    "read_chat": "dataset",
    "scan_dataset": "dataset",
    "write_dataset": "dataset",
    "SyncResult": "sync",
    "sync_chat": "sync",
    "sync_chats": "sync",
    # statistics, charts, report
    "activity_over_time": "stats",
    "export_ready": "stats",
    "response_matrix": "stats",
    "response_times": "stats",
    "sender_activity": "stats",
    "save_chart": "charts",
    "render_report": "report",
    "write_report": "report",
}

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ChatFrames",
    "Client",
    "ConfigurationError",
    "CursorLoopError",
    "GatewayTimeoutError",
    "InvalidResponseError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "PostpressError",
    "RateLimitError",
    "RateLimitGate",
    "RetryPolicy",
    "SchemaFailure",
    "SchemaValidationError",
    "ServerError",
    "ServiceUnavailableError",
    "SyncResult",
    "TransportError",
    "UnknownFieldWarning",
    "UnknownValueWarning",
    "__version__",
    "activity_over_time",
    "export_ready",
    "fetch_chat",
    "frames_from_pages",
    "read_chat",
    "read_parquet",
    "render_report",
    "response_matrix",
    "response_times",
    "save_chart",
    "scan_dataset",
    "sender_activity",
    "sync_chat",
    "sync_chats",
    "validate_frames",
    "write_dataset",
    "write_parquet",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'postpress_frames' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"postpress_frames.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
