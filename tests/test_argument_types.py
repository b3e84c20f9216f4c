"""Every public function and class refuses an argument of the wrong type with an
``ArgumentTypeError`` (a ``PostpressError`` and a ``TypeError``) naming the argument, before
any request or file access.

The cases are one table: (callable, good arguments, the argument made wrong, its wrong
value). Coverage checks make the table complete: every public callable of
``postpress_frames``, ``.stats``, ``.charts``, ``.schemas`` and ``.testing`` has cases or is
exempt with a reason, and every parameter of a callable with cases has a case or a reason.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import postpress_frames
import postpress_frames.charts
import postpress_frames.schemas
import postpress_frames.stats
import postpress_frames.testing
from postpress_frames import ChatFrames, Client, PostpressError, RateLimitGate, RetryPolicy
from postpress_frames._exceptions import ArgumentTypeError
from postpress_frames.testing import FakePostpress, Fault

MODULES: tuple[ModuleType, ...] = (
    postpress_frames,
    postpress_frames.stats,
    postpress_frames.charts,
    postpress_frames.schemas,
    postpress_frames.testing,
)


class Good(str):
    """A placeholder in the table for a valid argument built at test time (see ``goods``)."""


FRAMES, TABLE, TABLES, CHART, CLIENT, PAGES, MODEL = (
    Good(name) for name in ("frames", "table", "tables", "chart", "client", "pages", "model")
)

# The wrong values, one per kind of argument (the mistakes people make).
NOT_A_PATH = 123
NOT_A_STRING = 123
NOT_A_NUMBER = "5"
NOT_A_BOOL = "yes"
NOT_A_DURATION = "1h"
NOT_A_MAPPING = ["not", "a", "mapping"]
NOT_A_MOMENT = 20260101
NOT_CALLABLE = 123
NOT_AN_OBJECT = "x"
NOT_FRAMES = TABLE  # one polars DataFrame where the four tables (ChatFrames) are expected
NOT_NAMES = ["Ada"]  # a list where a mapping of sender_id -> name is expected
NOT_A_TABLE = "messages.parquet"
NOT_OPTIONS = ["aws_region=eu-west-1"]  # a list where a mapping of option -> value is expected


@dataclass(frozen=True)
class Case:
    func: Callable[..., Any]
    good: dict[str, Any]
    argument: str
    wrong: Any

    @property
    def id(self) -> str:
        return f"{self.func.__qualname__}-{self.argument}={self.wrong!r}"


def cases(func: Callable[..., Any], good: dict[str, Any], **wrong: Any) -> list[Case]:
    return [Case(func, good, argument, value) for argument, value in wrong.items()]


ps, ch, sc, te = (
    postpress_frames,
    postpress_frames.charts,
    postpress_frames.schemas,
    postpress_frames.testing,
)

CASES: list[Case] = [
    # -- the spec's own examples --------------------------------------------------------------
    *cases(ps.sync_chat, {"chat_id": "x", "client": CLIENT}, root=NOT_A_PATH),
    *cases(ps.sync_chats, {"root": "lake", "client": CLIENT}, chat_ids="chat_x"),
    *cases(ps.write_parquet, {"path": "out"}, frames=NOT_FRAMES),
    # -- postpress_frames -----------------------------------------------------------------------
    *cases(
        ChatFrames,
        {"messages": TABLE, "attachments": TABLE, "reactions": TABLE, "seen_by": TABLE},
        messages=NOT_A_TABLE,
        attachments=NOT_A_TABLE,
        reactions=NOT_A_TABLE,
        seen_by=NOT_A_TABLE,
        rejects=NOT_A_TABLE,
    ),
    *cases(
        ChatFrames.filter,
        {"self": FRAMES},
        after=NOT_A_MOMENT,
        before=NOT_A_MOMENT,
        sender_ids="ACoAA_one",  # one bare string where a list of ids is expected
        chat_ids="chat_x",
    ),
    *cases(ChatFrames.filter, {"self": FRAMES}, sender_ids=123, chat_ids=[["chat_x"]]),
    *cases(
        Client,
        {"api_key": "pp_test_fake_key", "base_url": "http://127.0.0.1:9/api/v1"},
        api_key=NOT_A_STRING,
        base_url=NOT_A_STRING,
        timeout=NOT_A_NUMBER,
        max_retries=NOT_A_NUMBER,
        retry=NOT_AN_OBJECT,
        session=NOT_AN_OBJECT,
        gate=NOT_AN_OBJECT,
    ),
    *cases(RateLimitGate, {}, clock=NOT_CALLABLE, sleep=NOT_CALLABLE),
    *cases(
        RetryPolicy,
        {},
        max_attempts=NOT_A_NUMBER,
        initial_backoff=NOT_A_NUMBER,
        max_backoff=NOT_A_NUMBER,
        jitter=NOT_A_NUMBER,
        retry_after_cap=NOT_A_NUMBER,
        sleep=NOT_CALLABLE,
    ),
    *cases(
        ps.activity_over_time,
        {"frames": FRAMES},
        frames=TABLE,
        every=1,
        tz=NOT_A_STRING,
        names=NOT_NAMES,
    ),
    *cases(ps.export_ready, {}, frame=NOT_A_TABLE),
    *cases(
        ps.fetch_chat,
        {"chat_id": "chat_demo", "client": CLIENT},
        chat_id=NOT_A_STRING,
        client=NOT_AN_OBJECT,
        after=NOT_A_MOMENT,
        before=NOT_A_MOMENT,
        sender_id=NOT_A_STRING,
        page_size=NOT_A_NUMBER,
        include_original=NOT_A_BOOL,
        progress=NOT_A_BOOL,
        on_invalid=True,
    ),
    *cases(
        ps.frames_from_pages,
        {"pages": PAGES},
        pages=123,
        include_original=NOT_A_BOOL,
        seen=NOT_AN_OBJECT,
        on_invalid=True,
    ),
    *cases(ps.read_chat, {"root": "lake", "chat_id": "chat_demo"}, root=NOT_A_PATH),
    *cases(ps.read_chat, {"root": "lake"}, chat_id=NOT_A_STRING),
    *cases(ps.read_parquet, {}, path=NOT_A_PATH),
    *cases(
        ps.render_report,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        tz=NOT_A_STRING,
        title=NOT_A_STRING,
        session_gap=NOT_A_DURATION,
        response_cap=NOT_A_DURATION,
        names=NOT_NAMES,
        static=NOT_A_BOOL,
    ),
    *cases(ps.participants, {"frames": FRAMES}, frames=NOT_FRAMES, names=NOT_NAMES),
    *cases(ps.content, {"frames": FRAMES}, frames=NOT_FRAMES, names=NOT_NAMES),
    *cases(ps.read_times, {"frames": FRAMES}, frames=NOT_FRAMES, names=NOT_NAMES),
    *cases(ps.read_matrix, {"frames": FRAMES}, frames=NOT_FRAMES, names=NOT_NAMES),
    *cases(
        ps.read_receipts,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        tz=NOT_A_STRING,
        response_cap=NOT_A_DURATION,
        names=NOT_NAMES,
    ),
    *cases(
        ps.response_matrix,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        response_cap=NOT_A_DURATION,
        names=NOT_NAMES,
    ),
    *cases(
        ps.response_times,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        response_cap=NOT_A_DURATION,
        names=NOT_NAMES,
    ),
    *cases(
        ps.save_chart,
        {"chart": CHART, "path": "chart.png"},
        chart=NOT_AN_OBJECT,
        path=NOT_A_PATH,
        scale=NOT_A_NUMBER,
    ),
    *cases(ps.scan_dataset, {}, root=NOT_A_PATH),
    *cases(ps.scan_dataset, {"root": "s3://bucket/lake"}, storage_options=NOT_OPTIONS),
    *cases(ps.read_chat, {"root": "s3://b/lake", "chat_id": "x"}, storage_options=NOT_OPTIONS),
    *cases(ps.read_parquet, {"path": "s3://bucket/chat"}, storage_options=NOT_OPTIONS),
    *cases(
        ps.sender_activity,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        tz=NOT_A_STRING,
        session_gap=NOT_A_DURATION,
        response_cap=NOT_A_DURATION,
        names=NOT_NAMES,
    ),
    *cases(
        ps.sync_chat,
        {"chat_id": "chat_demo", "root": "lake", "client": CLIENT},
        chat_id=NOT_A_STRING,
        client=NOT_AN_OBJECT,
        overlap=NOT_A_DURATION,
        page_size=NOT_A_NUMBER,
        batch_pages=NOT_A_NUMBER,
        include_original=NOT_A_BOOL,
        progress=NOT_A_BOOL,
        on_page=NOT_CALLABLE,
        on_invalid=True,
        storage_options=NOT_OPTIONS,
    ),
    *cases(
        ps.sync_chats,
        {"chat_ids": ["chat_demo"], "root": "lake", "client": CLIENT},
        root=NOT_A_PATH,
        client=NOT_AN_OBJECT,
        workers=NOT_A_NUMBER,
        overlap=NOT_A_DURATION,
        page_size=NOT_A_NUMBER,
        progress=NOT_A_BOOL,
        on_invalid=True,
        storage_options=NOT_OPTIONS,
    ),
    *cases(ps.sync_chats, {"root": "lake", "client": CLIENT}, chat_ids=123),
    *cases(ps.validate_frames, {"frames": FRAMES}, frames=NOT_FRAMES, stacklevel=NOT_A_NUMBER),
    *cases(
        ps.write_dataset,
        {"frames": FRAMES, "root": "lake"},
        frames=NOT_FRAMES,
        root=123,
        storage_options=NOT_OPTIONS,
    ),
    *cases(
        ps.write_parquet,
        {"frames": FRAMES, "path": "out"},
        path=NOT_A_PATH,
        filters=NOT_A_MAPPING,
        fetched_at=NOT_A_MOMENT,
        storage_options=NOT_OPTIONS,
    ),
    *cases(
        ps.write_report,
        {"frames": FRAMES, "path": "report.html"},
        frames=NOT_FRAMES,
        path=NOT_A_PATH,
        tz=NOT_A_STRING,
        title=NOT_A_STRING,
        session_gap=NOT_A_DURATION,
        response_cap=NOT_A_DURATION,
        names=NOT_NAMES,
        static=NOT_A_BOOL,
    ),
    *cases(
        ps.write_stats,
        {"frame": TABLE, "path": "stats.parquet"},
        frame=NOT_A_TABLE,
        path=NOT_A_PATH,
    ),
    # -- postpress_frames.charts (its stats are postpress_frames' own) --------------------------
    *cases(
        ch.messages_over_time_chart,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        every=1,
        tz=NOT_A_STRING,
        max_senders=NOT_A_NUMBER,
        names=NOT_NAMES,
    ),
    *cases(
        ch.render_chart,
        {"chart": CHART, "fmt": "svg"},
        chart=NOT_AN_OBJECT,
        fmt=1,
        scale=NOT_A_NUMBER,
    ),
    *cases(
        ch.response_matrix_chart,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        response_cap=NOT_A_DURATION,
        max_senders=NOT_A_NUMBER,
        names=NOT_NAMES,
    ),
    *cases(
        ch.response_time_chart,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        response_cap=NOT_A_DURATION,
        max_senders=NOT_A_NUMBER,
        names=NOT_NAMES,
    ),
    *cases(
        ch.weekday_hour_heatmap,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        tz=NOT_A_STRING,
        max_senders=NOT_A_NUMBER,
        columns=NOT_A_NUMBER,
        names=NOT_NAMES,
    ),
    *cases(
        ch.calendar_heatmap,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        tz=NOT_A_STRING,
        sender_ids="ACoAA_one",
        max_senders=NOT_A_NUMBER,
        names=NOT_NAMES,
    ),
    *cases(
        ch.time_to_read_chart,
        {"frames": FRAMES},
        frames=NOT_FRAMES,
        max_senders=NOT_A_NUMBER,
        names=NOT_NAMES,
    ),
    # -- postpress_frames.schemas ---------------------------------------------------------------
    *cases(sc.key_column, {}, table=NOT_A_STRING),
    *cases(sc.polars_schema, {}, model=NOT_AN_OBJECT),
    *cases(sc.unknown_values, {}, tables=NOT_A_MAPPING),
    *cases(sc.warn_unknown_values, {"tables": TABLES}, tables=NOT_A_MAPPING, stacklevel="2"),
    *cases(sc.missing_fields, {}, tables=NOT_A_MAPPING),
    *cases(sc.warn_missing_fields, {"tables": TABLES}, tables=NOT_A_MAPPING, stacklevel="2"),
    *cases(sc.without_chat_id, {}, frame=NOT_A_TABLE),
    # -- postpress_frames.testing ---------------------------------------------------------------
    *cases(
        FakePostpress,
        {},
        chats=NOT_A_MAPPING,
        messages=NOT_A_NUMBER,
        seed=NOT_A_NUMBER,
        api_key=NOT_A_STRING,
        latency=NOT_A_NUMBER,
        port=NOT_A_NUMBER,
    ),
    *cases(
        Fault,
        {"kind": "empty"},
        kind=1,
        status=NOT_A_NUMBER,
        error_type=NOT_A_STRING,
        title=NOT_A_STRING,
        detail=NOT_A_STRING,
        body=NOT_A_STRING,
        content_type=NOT_A_STRING,
        headers=NOT_A_STRING,
        seconds=NOT_A_NUMBER,
    ),
    # The factories tests use to build faults.
    *cases(
        Fault.error,
        {"status": 503, "type": "errors/service_unavailable"},
        status=NOT_A_NUMBER,
        type=NOT_A_STRING,
        title=NOT_A_STRING,
        detail=NOT_A_STRING,
        retry_after=NOT_A_MAPPING,
    ),
    *cases(
        Fault.raw,
        {"status": 502, "body": b"<html>"},
        status=NOT_A_NUMBER,
        body=NOT_A_STRING,
        content_type=NOT_A_STRING,
        headers=NOT_A_MAPPING,
    ),
    *cases(Fault.delay, {}, seconds=NOT_A_NUMBER),
    *cases(Fault.redirect, {"location": "http://127.0.0.1:9/x"}, location=1, status="302"),
    *cases(te.decode_cursor, {}, cursor=NOT_A_STRING),
    *cases(te.demo_names, {}, chat_id=NOT_A_STRING, account_id=NOT_A_STRING),
    *cases(
        te.demo_chat,
        {"n_messages": 5},
        n_messages=NOT_A_NUMBER,
        seed=NOT_A_NUMBER,
        chat_id=NOT_A_STRING,
        account_id=NOT_A_STRING,
        end=NOT_A_MOMENT,
    ),
    *cases(
        te.demo_chats,
        {"k": 2, "n_messages": 5},
        k=NOT_A_NUMBER,
        n_messages=NOT_A_NUMBER,
        seed=NOT_A_NUMBER,
        account_id=NOT_A_STRING,
    ),
    *cases(te.encode_cursor, {}, skip=NOT_A_NUMBER),
    *cases(te.format_timestamp_ms, {}, ms=NOT_A_NUMBER),
    *cases(
        te.messages_after,
        {"existing": [], "n_messages": 5},
        existing=123,
        n_messages=NOT_A_NUMBER,
        seed=NOT_A_NUMBER,
        chat_id=NOT_A_STRING,
        account_id=NOT_A_STRING,
    ),
]

# Public callables without cases, each with the reason.
EXEMPT: dict[str, str] = {
    "Page": "a record the client builds and yields; users read it, never build it",
    "SyncResult": "a record sync_chat returns; users read it, never build it",
    "SchemaFailure": "a record inside SchemaValidationError; built by validation only",
    "RecordedRequest": "a record FakePostpress keeps of each request; read, never built",
    "ErrorType": "a NamedTuple row of ERROR_TYPES; read, never built",
    "FaultKind": "a typing Literal of the fault kinds, not a callable of the API",
    "AttachmentSchema": "a pandera model (its constructor is pandera's); see validate_frames",
    "MessageSchema": "a pandera model (its constructor is pandera's); see validate_frames",
    "ReactionSchema": "a pandera model (its constructor is pandera's); see validate_frames",
    "SeenBySchema": "a pandera model (its constructor is pandera's); see validate_frames",
    "RejectSchema": "a pandera model (its constructor is pandera's); see validate_frames",
}
# Parameters of callables with cases that have no case, each with the reason.
UNCHECKED: dict[tuple[str, str], str] = {
    ("filter", "self"): "the bundle the method is called on",
}


def public_callables() -> Iterator[tuple[str, str, Any]]:
    """(module, name, value) of every public callable; errors and warnings are not called."""
    for module in MODULES:
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, BaseException):
                continue  # errors and warnings are raised, not called with user data
            if callable(value) or name in EXEMPT:
                yield module.__name__, name, value


def test_every_public_callable_has_cases_or_a_reason() -> None:
    covered = {case.func for case in CASES}
    missing = [
        f"{module}.{name}"
        for module, name, value in public_callables()
        if value not in covered and name not in EXEMPT
    ]
    assert missing == [], f"add cases to CASES (or a reason to EXEMPT) for {missing}"
    names = {name for _, name, _ in public_callables()}
    assert set(EXEMPT) <= names, f"stale exemptions: {set(EXEMPT) - names}"


def test_every_parameter_of_a_callable_with_cases_has_a_case_or_a_reason() -> None:
    missing = []
    for func in dict.fromkeys(case.func for case in CASES):
        checked = {case.argument for case in CASES if case.func is func}
        for parameter in inspect.signature(func).parameters.values():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            key = (func.__name__, parameter.name)
            if parameter.name not in checked and key not in UNCHECKED:
                missing.append(f"{func.__module__}.{func.__qualname__}({parameter.name}=...)")
    assert missing == [], f"add cases (or a reason to UNCHECKED) for {missing}"
    for func_name, _ in UNCHECKED:
        assert any(case.func.__name__ == func_name for case in CASES), func_name


@pytest.fixture(scope="module")
def server() -> Iterator[FakePostpress]:
    with FakePostpress(messages=60) as fake:
        yield fake


@pytest.fixture(scope="module")
def goods(server: FakePostpress) -> Iterator[dict[str, Any]]:
    from tests.conftest import FAST_RETRY, demo_frames, pages_of

    frames = demo_frames(60)
    with Client(api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY) as client:
        yield {
            "frames": frames,
            "table": frames.messages,
            "tables": dict(frames.items()),
            "chart": postpress_frames.charts.messages_over_time_chart(frames),
            "client": client,
            "pages": pages_of(postpress_frames.testing.demo_chat(5)),
            "model": postpress_frames.schemas.MessageSchema,
        }


def resolve(value: Any, goods: dict[str, Any]) -> Any:
    return goods[str(value)] if isinstance(value, Good) else value


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_wrong_type_is_an_argument_type_error_naming_the_argument(
    case: Case,
    goods: dict[str, Any],
    server: FakePostpress,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kwargs = {name: resolve(value, goods) for name, value in case.good.items()}
    kwargs[case.argument] = resolve(case.wrong, goods)
    monkeypatch.chdir(tmp_path)  # the good paths are relative: nothing may appear here
    requests = len(server.requests)
    with pytest.raises(PostpressError) as caught:
        case.func(**kwargs)
    error = caught.value
    assert isinstance(error, ArgumentTypeError), f"{type(error).__name__}: {error}"
    assert isinstance(error, TypeError)
    assert re.search(rf"(?<!\w){re.escape(case.argument)}\b", str(error)), str(error)
    assert len(server.requests) == requests, "a request was sent before the check"
    assert list(tmp_path.iterdir()) == [], "a file was written before the check"
