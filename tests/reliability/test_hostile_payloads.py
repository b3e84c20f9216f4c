"""Pages that break the spec page in exactly one place.

Each ends in :class:`InvalidResponseError` naming the page, message id and field, in a
:class:`SchemaValidationError` naming the column and message id, or in a documented
tolerance (a new enum value is kept with an ``UnknownValueWarning``; huge or control-character
text is kept as it is; a required field real payloads omit is kept as a null with a
``MissingFieldWarning``). A value of the wrong JSON type always ends in the located
:class:`InvalidResponseError`, even where ``read_json`` alone would coerce it. Never a bare
exception, and never a partial file: ``write_parquet`` refuses invalid frames before writing,
and ``sync_chat`` leaves the dataset byte for byte. The same pages built with
``on_invalid="quarantine"`` keep every other message, put the broken one in exactly one of
``messages`` (when tolerated) or ``rejects`` (otherwise), and validate.
"""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from postpress_frames._exceptions import (
    InvalidResponseError,
    SchemaFailure,
    SchemaValidationError,
)
from postpress_frames.pipeline.sync import sync_chat
from postpress_frames.storage.dataset import read_chat
from postpress_frames.storage.parquet import read_parquet, write_parquet
from postpress_frames.tables.build import frames_from_pages, wire_schema
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import MissingFieldWarning, UnknownValueWarning
from postpress_frames.testing import FakePostpress, Fault, demo_chat
from tests.reliability.helpers import client_for, leftovers, snapshot
from tests.strategies import full_message

DELETE = object()
FLAGS = ("is_sender", "seen", "hidden", "deleted", "edited", "is_event", "delivered")
Path_ = tuple[str | int, ...]

# Required by the spec page and not nullable (path inside a message).
REQUIRED: list[Path_] = [
    ("provider_id",),
    ("account_id",),
    ("chat_id",),
    ("chat_provider_id",),
    ("sender_id",),
    ("timestamp",),
    *((flag,) for flag in FLAGS),
    ("original",),
    ("attachments", 0, "id"),
    ("attachments", 0, "type"),
    ("attachments", 0, "unavailable"),
    ("attachments", 0, "sticker"),
    ("attachments", 3, "file_name"),
    ("attachments", 2, "voice_note"),
    ("reactions", 0, "value"),
    ("reactions", 0, "sender_id"),
    ("reactions", 0, "is_sender"),
    ("reply_to", "id"),
    ("reply_to", "timestamp"),
    ("reply_to", "sender_id"),
    ("quoted", "provider_id"),
    ("quoted", "attachments", 1, "id"),
]
# Required by the spec page, omitted by real payloads: kept as nulls (RELAXED in schemas.py).
RELAXED_PATHS: list[Path_] = [
    ("sender_attendee_id",),
    ("reply_to", "sender_attendee_id"),
    ("attachments", 0, "size"),
    ("quoted", "attachments", 1, "size"),
]
TYPED: list[Path_] = [
    *REQUIRED,
    *RELAXED_PATHS,
    ("text",),
    ("behavior",),
    ("event_type",),
    ("attachments", 0, "file_size"),
    ("attachments", 0, "size", "width"),
    ("attachments", 5, "starts_at"),
    ("is_forwarded",),
    ("replies",),
    ("reply_by",),
    ("attendee_distance",),
    ("seen_by",),
    ("attachments",),
    ("reactions",),
]
BAD_TIMESTAMPS = st.sampled_from(
    [
        "2026-13-45T99:00:00.000Z",
        "2026-05-17 09:42:11",
        "2026-05-17T09:42:11+02:00",
        "17/05/2026",
        "yesterday",
        "",
        "2026-02-30T00:00:00.000Z",
        "0000-00-00T00:00:00.000Z",
    ]
) | st.text(max_size=12).filter(lambda t: not t[:1].isdigit())
WRONG_VALUES = st.sampled_from(
    [12345, -1.5, True, "a string", [], ["x"], {}, {"nested": {"deep": 1}}, 10**30]
)
# true and false are flags (1 and 0); the JSON string "true" is not.
BAD_FLAGS = st.sampled_from([2, -1, 1.5, "true", "false", "yes", "", 10**20, [], {}])
BAD_RECEIPTS = st.sampled_from([None, 0, 1, 1.5, "soon", "", "2026-05-17", [], {"at": "x"}])
CONTROL_TEXT = st.text(
    st.sampled_from([*map(chr, range(32)), "\x7f", "\u2028", "\u2029", "\ufeff", "é", "👍"]),
    min_size=1,
    max_size=40,
)


@dataclass(frozen=True)
class Mutation:
    kind: str
    path: Path_
    value: Any  # DELETE removes the key

    def __repr__(self) -> str:
        shown = repr(self.value)
        shown = shown if len(shown) <= 60 else f"{shown[:40]}... ({len(shown)} characters)"
        return f"Mutation({self.kind!r}, {self.path!r}, {shown})"

    @property
    def key(self) -> str:
        return next(str(p) for p in reversed(self.path) if isinstance(p, str))

    def names_any(self, failure: SchemaFailure) -> bool:
        """A schema failure names this field or its object (``reply_to_complete``)."""
        where = f"{failure.table} {failure.column} {failure.check}"
        return any(isinstance(p, str) and p in where for p in self.path)

    def names_any_field(self, field: str) -> bool:
        """A reject's field names this field or its object."""
        return any(isinstance(p, str) and p in field for p in self.path)


def mutations() -> st.SearchStrategy[Mutation]:
    def seen_by_key(value: Any) -> Mutation:
        return Mutation("seen_by value", ("seen_by", "att_2"), value)

    return st.one_of(
        st.sampled_from(REQUIRED).map(lambda p: Mutation("missing", p, DELETE)),
        st.sampled_from(REQUIRED).map(lambda p: Mutation("null", p, None)),
        st.sampled_from(RELAXED_PATHS).map(lambda p: Mutation("relaxed", p, DELETE)),
        st.tuples(st.sampled_from(TYPED), WRONG_VALUES).map(lambda a: Mutation("type", *a)),
        st.tuples(st.sampled_from([("timestamp",), ("reply_to", "timestamp")]), BAD_TIMESTAMPS).map(
            lambda a: Mutation("timestamp", *a)
        ),
        st.tuples(st.sampled_from(FLAGS), BAD_FLAGS).map(lambda a: Mutation("flag", (a[0],), a[1])),
        BAD_RECEIPTS.map(seen_by_key),
        st.text("abcdefghij_", min_size=1, max_size=10)
        .filter(lambda t: t not in {"img", "video", "audio", "file"})
        .map(lambda t: Mutation("enum", ("attachments", 0, "type"), t)),
        st.integers(1, 100_000).map(lambda n: Mutation("huge text", ("text",), "é👍" * n)),
        CONTROL_TEXT.map(lambda t: Mutation("control", ("text",), t)),
        st.integers(20, 1500).map(lambda d: Mutation("deep", ("text",), Deep(d))),
        st.integers(20, 1500).map(lambda d: Mutation("deep", ("unlisted_field",), Deep(d))),
    )


class Deep(int):
    """An array nested this many levels deep (spliced into the JSON text as brackets)."""

    def __repr__(self) -> str:
        return f"<array nested {int(self)} deep>"


def apply(message: dict[str, Any], mutation: Mutation) -> None:
    *parents, last = mutation.path
    target: Any = message
    for step in parents:
        target = target[step]
    if mutation.value is DELETE:
        del target[last]
    else:
        target[last] = mutation.value


def encode(value: Any) -> bytes:
    """JSON bytes, with each :class:`Deep` spliced in as that many brackets."""
    deep: list[int] = []

    def swap(obj: Any) -> Any:
        if isinstance(obj, Deep):
            deep.append(int(obj))
            return f"__DEEP_{len(deep) - 1}__"
        if isinstance(obj, dict):
            return {k: swap(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [swap(v) for v in obj]
        return obj

    text = json.dumps(swap(value), ensure_ascii=False)
    for i, levels in enumerate(deep):
        text = text.replace(f'"__DEEP_{i}__"', "[" * levels + "]" * levels)
    return text.encode()


def hostile_pages(mutation: Mutation, n_pages: int, where: int) -> tuple[list[bytes], str]:
    """``n_pages`` pages of two messages; the first message of page ``where`` is mutated."""
    pages, victim = [], ""
    for page in range(1, n_pages + 1):
        items = []
        for i in range(2):
            message = copy.deepcopy(
                full_message(id=f"m{page}_{i}", timestamp=f"2026-05-17T09:{page:02d}:{i:02d}.000Z")
            )
            if page == where and i == 0:
                apply(message, mutation)
                victim = message["id"]
            items.append(message)
        cursor = None if page == n_pages else f"c{page}"
        pages.append(encode({"object": "MessageList", "items": items, "cursor": cursor}))
    return pages, victim


def check_outcome(
    mutation: Mutation, pages: list[bytes], where: int, victim: str, out: Path
) -> str:
    """Build, validate and write; assert the outcome is a located error or a tolerance,
    and that a quarantine build of the same pages agrees with it."""
    outcome = raise_outcome(mutation, pages, where, victim, out)
    check_quarantine(mutation, pages, victim, outcome)
    return outcome


def check_quarantine(mutation: Mutation, pages: list[bytes], victim: str, outcome: str) -> None:
    """Under quarantine the broken message is set aside exactly when the default build did
    not tolerate it; every other message is kept; the result validates."""
    everyone = {m["id"] for page in pages for m in json.loads(page)["items"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        failure: InvalidResponseError | None = None
        try:
            frames = frames_from_pages(pages, on_invalid="quarantine")
        except InvalidResponseError as error:
            failure = error
        if failure is not None:  # only what is wrong with a page itself still raises
            assert mutation.kind == "deep" and outcome == "InvalidResponseError", str(failure)
            assert failure.field is None, str(failure)  # too deep for Python's json at all
            return
        frames.validate()
    kept = set(frames.messages["id"].to_list())
    aside = set(frames.rejects["message_id"].to_list())
    assert kept.isdisjoint(aside)
    assert kept | aside == everyone
    assert (victim in aside) == (outcome != "tolerated"), (mutation, outcome)
    if victim in aside:
        (reason,) = frames.rejects.filter(pl.col("message_id") == victim).iter_rows(named=True)
        assert mutation.names_any_field(reason["field"]) or mutation.kind == "deep", reason
        assert json.loads(reason["item"])["id"] == victim  # the item's JSON text, unchanged
        assert reason["item"] in b"".join(pages).decode()


def raise_outcome(
    mutation: Mutation, pages: list[bytes], where: int, victim: str, out: Path
) -> str:
    """The default build: a located error, a located validation failure, or a tolerance."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built: ChatFrames | InvalidResponseError
        try:
            built = frames_from_pages(pages)
        except InvalidResponseError as error:
            built = error
        if isinstance(built, InvalidResponseError):
            assert built.page == where, str(built)
            if mutation.kind == "deep" and built.field is None:  # too deep to parse at all
                return "InvalidResponseError"
            assert built.field is not None and mutation.key in built.field, str(built)
            assert built.message_id == victim, str(built)
            return "InvalidResponseError"
        frames = built
        # A value of the wrong JSON type fails the build, even where read_json would coerce
        # it (a fraction or boolean in a number field, a number in a string field, a scalar
        # in an array field): never kept, not even until validation.
        assert mutation.kind != "type", f"{mutation} was not rejected by frames_from_pages"
        written: SchemaValidationError | None = None
        try:
            write_parquet(frames, out)
        except SchemaValidationError as error:
            written = error
        if written is not None:
            assert not out.exists()  # refused before a single byte was written
            assert any(
                victim in failure.message_ids and mutation.names_any(failure)
                for failure in written.failures
            ), str(written)
            return "SchemaValidationError"
    back = read_parquet(out)
    assert back == frames
    row = frames.messages.row(by_predicate=pl.col("id") == victim, named=True)
    if mutation.kind == "relaxed":
        assert any(issubclass(w.category, MissingFieldWarning) for w in caught)
        parent = mutation.path[:-1]
        assert parent != () or row[mutation.key] is None
    elif mutation.kind == "enum":
        assert any(issubclass(w.category, UnknownValueWarning) for w in caught)
        kept = frames.attachments.filter(frames.attachments["message_id"] == victim)
        assert mutation.value in kept["type"].to_list()
    elif mutation.kind in ("huge text", "control"):
        assert row["text"] == mutation.value
    else:
        assert mutation.kind == "deep" and mutation.path == ("unlisted_field",), mutation
    return "tolerated"


def wire_dtype(path: Path_) -> pl.DataType:
    """The wire dtype of a field inside a message (``wire_schema``), following the path."""
    dtype: Any = wire_schema()["items"].inner
    for step in path:
        dtype = dtype() if isinstance(dtype, type) else dtype
        if isinstance(step, int):
            dtype = dtype.inner
        elif isinstance(dtype, pl.Map):
            dtype = dtype.value
        else:
            dtype = dtype.to_schema()[step]
    return dtype() if isinstance(dtype, type) else dtype


def fits(value: Any, dtype: pl.DataType, path: Path_ = ()) -> bool:
    """The JSON value is of the field's own type (a string for a string, and so on)."""
    if len(path) == 1 and path[0] in FLAGS:  # read as strings: 0, 1, "0", "1", true, false
        return value in (0, 1, "0", "1") and not isinstance(value, float)
    if isinstance(value, bool):
        return dtype == pl.Boolean()
    if isinstance(value, str):
        return dtype == pl.String()
    if isinstance(value, int):
        return (dtype.is_integer() and abs(value) < 2**63) or dtype == pl.Float64()
    if isinstance(value, float):
        return dtype == pl.Float64()
    if isinstance(value, list):
        return isinstance(dtype, pl.List) and all(isinstance(v, str) for v in value)
    if isinstance(dtype, pl.Struct):
        # An object where an object goes is no break: its keys the spec page does not list
        # are drift, kept in ``extra`` (tests/test_drift.py).
        return isinstance(value, dict)
    return isinstance(dtype, pl.Map) and value == {}


def hostile_example(
    tmp_path_factory: pytest.TempPathFactory, mutation: Mutation, n_pages: int, pick: int
) -> None:
    if mutation.kind == "type":
        dtype = wire_dtype(mutation.path)
        assume(not fits(mutation.value, dtype, mutation.path))  # else it is no break
    where = 1 + pick % n_pages
    pages, victim = hostile_pages(mutation, n_pages, where)
    out = tmp_path_factory.mktemp("hostile") / "chat"
    outcome = check_outcome(mutation, pages, where, victim, out)
    event(f"{mutation.kind}: {outcome}")


HOSTILE = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


# Values read_json alone would coerce, always in the default run (the derandomized 40
# examples may draw no "type" mutation at all).
COERCIBLE = [
    Mutation("type", ("behavior",), -1.5),  # a fraction in an integer field
    Mutation("type", ("attachments", 0, "file_size"), 10**30),  # beyond 64 bits
    Mutation("type", ("replies",), True),  # a boolean in a number field
    Mutation("type", ("reply_by",), 12345),  # a scalar in an array field
    Mutation("type", ("provider_id",), 12345),  # a number in a string field
]


def with_coercible_examples(test: Any) -> Any:
    for i, mutation in enumerate(COERCIBLE):
        test = example(mutation=mutation, n_pages=1 + i % 4, pick=i)(test)
    return test


@settings(max_examples=40, derandomize=True, **HOSTILE)
@with_coercible_examples
@given(mutation=mutations(), n_pages=st.integers(1, 4), pick=st.integers(0, 3))
def test_a_page_breaking_the_spec_in_one_place_fails_located_or_is_tolerated(
    tmp_path_factory: pytest.TempPathFactory, mutation: Mutation, n_pages: int, pick: int
) -> None:
    hostile_example(tmp_path_factory, mutation, n_pages, pick)


@pytest.mark.slow
@settings(max_examples=600, **HOSTILE)
@given(mutation=mutations(), n_pages=st.integers(1, 4), pick=st.integers(0, 3))
def test_many_more_pages_breaking_the_spec_in_one_place(
    tmp_path_factory: pytest.TempPathFactory, mutation: Mutation, n_pages: int, pick: int
) -> None:
    hostile_example(tmp_path_factory, mutation, n_pages, pick)


def test_ten_megabytes_of_original_are_kept_byte_for_byte(tmp_path: Path) -> None:
    original = json.dumps({"payload": "é\x00\n" * 3_500_000})  # > 10 MB of JSON text
    assert len(original.encode()) > 10_000_000
    message = full_message(original=original)
    frames = frames_from_pages([encode({"items": [message], "cursor": None})]).validate()
    write_parquet(frames, tmp_path / "chat")
    assert read_parquet(tmp_path / "chat").messages["original"].item() == original


# -- through HTTP and sync_chat: the stored dataset is never touched -------------------------

SYNC_CASES = [
    Mutation("flag", ("seen",), 2),
    Mutation("timestamp", ("timestamp",), "2026-02-30T00:00:00.000Z"),
    Mutation("seen_by value", ("seen_by", "att_2"), 17),
    Mutation("type", ("attachments", 0, "size"), "big"),
    Mutation("missing", ("sender_id",), DELETE),
    Mutation("null", ("reactions", 0, "value"), None),
    Mutation("deep", ("text",), Deep(5000)),
]


SYNC_BY_DEFAULT = {"flag", "missing", "deep"}


@pytest.mark.parametrize(
    "mutation",
    [
        pytest.param(
            m,
            id=f"{m.kind}-{m.key}",
            marks=() if m.kind in SYNC_BY_DEFAULT else pytest.mark.slow,
        )
        for m in SYNC_CASES
    ],
)
def test_sync_of_a_hostile_page_changes_no_file(tmp_path: Path, mutation: Mutation) -> None:
    chat = "chat_hostile"
    root = tmp_path / "lake"
    with FakePostpress({chat: demo_chat(300, chat_id=chat, seed=3)}) as server:
        with client_for(server) as client:
            sync_chat(chat, root, client=client)
        server.add_messages(chat, 400)
        before = snapshot(root)
        page, _ = hostile_pages(mutation, 1, 1)
        body = json.loads(page[0]) if mutation.kind != "deep" else None
        if body is not None:  # keep the real cursor so the fault sits mid-chat
            body["cursor"] = "eyJza2lwIjo1MDB9"  # skip 500
        raw = page[0] if body is None else encode(body)
        server.fail_page(2, Fault.raw(200, raw, content_type="application/json"))
        with client_for(server) as client:
            with pytest.raises((InvalidResponseError, SchemaValidationError)) as caught:
                sync_chat(chat, root, client=client, page_size=100, batch_pages=1)
            assert snapshot(root) == before, str(caught.value)
            assert leftovers(root) == []
            if isinstance(caught.value, InvalidResponseError):
                assert caught.value.page == 2, str(caught.value)
            assert server.pending_faults == 0
            result = sync_chat(chat, root, client=client)  # the API is well again
        assert result.ok
        stored = sorted(read_chat(root, chat).messages["id"].to_list())
        assert stored == sorted(m["id"] for m in server.messages(chat))
