"""``Page``, one page of a chat's messages, and reading a 200 body into ids and a cursor.

:func:`read_body` takes the fast path, :func:`scan_body` (msgspec decodes only the ids and
the cursor), and falls back to parsing the JSON and checking it against the contract
(:func:`~postpress_frames.api.body.check_body`), which raises the precise error.

>>> read_body(b'{"items": [{"id": "m1"}, {"id": "m2"}], "cursor": "c1"}', chat_id="c", page=1)
(['m1', 'm2'], 'c1')
>>> page = Page.lazy(1, b'{"items": [{"id": "m1"}, {"id": "m1"}]}', None, keep=[0], total=2)
>>> page, list(page.items), page.new_positions
(Page(number=1, items=<1 messages>, cursor=None, raw=<39 bytes>), [{'id': 'm1'}], (0,))
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import msgspec

from postpress_frames._args import is_text
from postpress_frames._exceptions import InvalidResponseError, body_excerpt
from postpress_frames.api.body import check_body

__all__ = ["Page", "read_body", "scan_body"]


class _Items(Sequence[dict[str, Any]]):
    """A page's new messages, parsed from the body with ``json.loads`` on first use.

    Fetching only needs the ids (read by polars, see :func:`scan_body`); the dicts are built
    when someone looks at them, so ``fetch_chat`` and ``sync_chat`` never build them.
    ``keep`` lists the positions of the new messages in ``items`` (None: all of them).
    """

    __slots__ = ("_count", "_keep", "_loaded", "_raw")

    def __init__(self, raw: bytes, keep: list[int] | None, count: int) -> None:
        self._raw = raw
        self._keep = keep
        self._count = count
        self._loaded: list[dict[str, Any]] | None = None

    def _load(self) -> list[dict[str, Any]]:
        if self._loaded is None:
            items: list[dict[str, Any]] = json.loads(self._raw)["items"]
            self._loaded = items if self._keep is None else [items[i] for i in self._keep]
        return self._loaded

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._load()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._load())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Items | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._load())


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a chat's messages.

    ``number`` is 1-based; ``items`` holds only messages not yielded by an earlier page
    (as parsed dicts, a sequence parsed from ``raw`` on first use); ``cursor`` is the cursor
    the page returned (None on the last); ``raw`` is the response body exactly as received.
    """

    number: int
    items: Sequence[dict[str, Any]]
    cursor: str | None
    raw: bytes = field(repr=False)
    #: Positions in ``raw``'s ``items`` of the messages in ``items`` (None: all of them):
    #: the table builder reads ``raw`` and keeps only these, so a repeat is dropped once.
    new_positions: tuple[int, ...] | None = field(default=None, repr=False)
    #: The ids of the messages in ``items`` as the client read them, which it dropped
    #: repeats by (None: not known). The table builder refuses a message it reads another
    #: id for (a body with two ``id`` keys), so every id is decided by one reading.
    ids: tuple[str, ...] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def lazy(
        cls,
        number: int,
        raw: bytes,
        cursor: str | None,
        *,
        keep: list[int],
        total: int,
        ids: Sequence[str] | None = None,
    ) -> Page:
        """The page of body ``raw`` whose ``total`` items are new at positions ``keep``;
        its ``items`` are parsed from ``raw`` only when looked at. ``ids`` are the ids of
        all ``total`` items, as the client read them."""
        new = None if len(keep) == total else keep
        positions = None if new is None else tuple(new)
        items = _Items(raw, new, len(keep))
        kept = None if ids is None else tuple(ids) if new is None else tuple(ids[i] for i in new)
        return cls(
            number=number,
            items=items,
            cursor=cursor,
            raw=raw,
            new_positions=positions,
            ids=kept,
        )

    def __repr__(self) -> str:
        return (
            f"Page(number={self.number}, items=<{len(self.items)} messages>, "
            f"cursor={self.cursor!r}, raw=<{len(self.raw)} bytes>)"
        )


def read_body(
    raw: bytes, *, chat_id: str, page: int, scrub: Callable[[bytes], bytes] = bytes
) -> tuple[list[str], str | None]:
    """The message ids and the cursor of 200 body ``raw``, or the precise error.

    ``scrub`` removes what must not appear in an error message (the key) from the excerpt
    of a body that is not JSON.
    """
    scanned = scan_body(raw)
    if scanned is not None:
        return scanned
    # Anything the fast scan does not vouch for gets the exact check, which raises the
    # precise error (or accepts what the scan was merely unsure about).
    body = _parse_json(raw, chat_id=chat_id, page=page, scrub=scrub)
    items, cursor = check_body(body, chat_id=chat_id, page=page)
    return [message_id for message_id, _ in items], cursor


def _parse_json(raw: bytes, *, chat_id: str, page: int, scrub: Callable[[bytes], bytes]) -> Any:
    if not raw.strip():
        raise InvalidResponseError(
            "the 200 response body is empty", page=page, chat_id=chat_id, unparsable=True
        )
    # The error is raised after the except blocks: the decoder's exception keeps the
    # whole body (``doc``, ``object``), which may echo the key, so it is not chained.
    unparsable = True
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        hint = " (it ends early: truncated?)" if exc.pos >= len(exc.doc.rstrip()) else ""
        problem = (
            f"the 200 response body is not valid JSON{hint}: {exc.msg} at char {exc.pos}; "
            f"it starts with {body_excerpt(scrub(raw), 80)!r}"
        )
    except RecursionError:
        problem = "the 200 response body nests arrays or objects too deeply to be read"
        unparsable = False
    except UnicodeDecodeError as exc:
        problem = f"the 200 response body is not UTF-8 text: {exc.reason}"
    raise InvalidResponseError(problem, page=page, chat_id=chat_id, unparsable=unparsable)


class _IdItem(msgspec.Struct):
    """What the fast path reads of a message: its ids (every other field is skipped)."""

    id: str | None = None
    message_id: str | None = None


class _IdBody(msgspec.Struct):
    """What the fast path reads of a page: the messages' ids and the cursor."""

    items: list[_IdItem]
    cursor: str | None = None


_ID_DECODER = msgspec.json.Decoder(_IdBody)


def scan_body(raw: bytes) -> tuple[list[str], str | None] | None:
    """The fast path of :func:`read_body`: the message ids and the cursor of a valid body,
    read by a strict typed decoder (msgspec) that builds no Python object for the fields it
    skips. None when the body needs the exact check: not a JSON object, not parseable,
    ``items`` missing or not a list of objects, an id missing, empty or not a string (a
    number is not taken for its text), an id or cursor holding a lone surrogate escape, a
    cursor not a string.

    >>> scan_body(b'{"items": [{"message_id": "m1"}], "cursor": null}')
    (['m1'], None)
    >>> scan_body(b'{"items": [{"id": 7}]}') is None, scan_body(b'{"items": [{"id": ""}]}')
    (True, None)
    """
    try:
        body = _ID_DECODER.decode(raw)
    except (msgspec.DecodeError, RecursionError):  # the exact check explains it
        return None
    ids: list[str] = []
    for item in body.items:
        message_id = item.id if item.id is not None else item.message_id
        if not message_id or not is_text(message_id):
            return None
        ids.append(message_id)
    if body.cursor is not None and not is_text(body.cursor):
        return None
    return ids, body.cursor or None
