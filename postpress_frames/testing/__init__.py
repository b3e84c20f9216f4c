"""Test helpers: a deterministic demo chat and ``FakePostpress``, the API faked on 127.0.0.1.

The demo, notebooks, tests and benchmarks share them; nothing here touches the network
beyond the loopback server.

>>> from postpress_frames.testing import FakePostpress, Fault, demo_chat
>>> len(demo_chat(10))
10
"""

from postpress_frames.testing.demo_chat import (
    DEFAULT_END,
    DEMO_ACCOUNT_ID,
    DEMO_CHAT_ID,
    demo_chat,
    demo_chats,
    demo_names,
    format_timestamp_ms,
    messages_after,
)
from postpress_frames.testing.faults import ERROR_TYPES, ErrorType, Fault, FaultKind
from postpress_frames.testing.server import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    FakePostpress,
    RecordedRequest,
    decode_cursor,
    encode_cursor,
)

__all__ = [
    "DEFAULT_END",
    "DEFAULT_LIMIT",
    "DEMO_ACCOUNT_ID",
    "DEMO_CHAT_ID",
    "ERROR_TYPES",
    "MAX_LIMIT",
    "ErrorType",
    "FakePostpress",
    "Fault",
    "FaultKind",
    "RecordedRequest",
    "decode_cursor",
    "demo_chat",
    "demo_chats",
    "demo_names",
    "encode_cursor",
    "format_timestamp_ms",
    "messages_after",
]
