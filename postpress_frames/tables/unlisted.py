"""Fields the spec page does not list: kept, per row, as JSON in the ``extra`` column.

Every page whose body the screen's grammar does not match
(:data:`~postpress_frames.tables.screen.GRAMMAR`) is parsed in Python here, and the keys the
spec page does not list for their object (:data:`~postpress_frames.tables.wire.LISTED`) are
collected: a message's own, and those of its ``quoted`` and ``reply_to`` objects (as
``quoted.<key>`` and ``reply_to.<key>``), go to ``messages.extra``; an attachment's (its
``size`` object's as ``size.<key>``) to ``attachments.extra``; a reaction's to
``reactions.extra``. Each is the JSON object text of those keys and their values, null when
there are none. Page-level keys (``total``) belong to no row: they are named, not stored.
One :class:`~postpress_frames.tables.schemas.UnknownFieldWarning` per build names each path
(``items[].attachments[].blurhash``) and how many objects had it.

>>> found = page_extras(b'{"items": [{"id": "m1", "pinned": true, "quoted": {"id": "q"}}]}')
>>> found.messages, found.counts
({0: '{"pinned":true,"quoted.id":"q"}'}, {'items[].pinned': 1, 'items[].quoted.id': 1})
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from postpress_frames.tables.locate import members
from postpress_frames.tables.schemas import UnknownFieldWarning
from postpress_frames.tables.wire import LISTED

__all__ = ["PAGE_LEVEL", "Extras", "page_extras", "warn_unknown_fields"]

#: The prefix of the paths of page-level keys in the counts (they are not stored).
PAGE_LEVEL: Final = ""
_FLATTENED: Final = ("quoted", "reply_to")

AttachmentKey = tuple[int, bool, int]  # (item position, of the quoted message, index)


@dataclass(slots=True)
class Extras:
    """One page's unlisted fields: JSON object texts by row, and a count per path."""

    messages: dict[int, str] = field(default_factory=dict)  # item position -> JSON
    attachments: dict[AttachmentKey, str] = field(default_factory=dict)
    reactions: dict[tuple[int, int], str] = field(default_factory=dict)  # (item, index)
    counts: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.counts)

    def _count(self, path: str) -> None:
        self.counts[path] = self.counts.get(path, 0) + 1


def _first_key_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as ``read_json`` sees it: of duplicated keys, the first one counts."""
    found = dict(pairs)  # C speed; the last of duplicated keys would win...
    if len(found) == len(pairs):
        return found
    found = {}  # ...so, rarely, the first one is kept instead
    for key, value in pairs:
        found.setdefault(key, value)
    return found


def _text(found: dict[str, str]) -> str:
    """A JSON object text from keys and the JSON texts of their values."""
    pairs = (f"{json.dumps(key, ensure_ascii=False)}:{value}" for key, value in found.items())
    return "{" + ",".join(pairs) + "}"


def _dumps(value: Any) -> str:
    """Compact JSON; a ValueError for a number too large for a float (1e400 parses as inf)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class _Collector:
    """Walks parsed objects (or, for values too deep for ``json``, their text) and records
    the unlisted keys of each kind of object into one :class:`Extras`."""

    def __init__(self, extras: Extras) -> None:
        self.extras = extras

    def unlisted(self, obj: dict[str, Any], kind: str, path: str) -> dict[str, Any]:
        """The unlisted keys of ``obj`` and their values, in the object's order, counted."""
        extra = obj.keys() - LISTED[kind]
        if not extra:
            return {}
        found = {key: value for key, value in obj.items() if key in extra}
        for key in found:
            self.extras._count(f"{path}.{key}" if path else key)
        return found

    def encode(self, found: dict[str, Any]) -> str:
        return _dumps(found)

    def attachment(self, obj: Any, path: str, key: AttachmentKey) -> None:
        if not isinstance(obj, dict):
            return
        found = self.unlisted(obj, "attachment", path)
        size = obj.get("size")
        if isinstance(size, dict):
            for name, value in self.unlisted(size, "size", f"{path}.size").items():
                found[f"size.{name}"] = value
        if found:
            self.extras.attachments[key] = self.encode(found)

    def item(self, obj: Any, position: int) -> None:
        if not isinstance(obj, dict):
            return
        found = self.unlisted(obj, "item", "items[]")
        for name in _FLATTENED:
            nested = obj.get(name)
            if isinstance(nested, dict):
                for key, value in self.unlisted(nested, name, f"items[].{name}").items():
                    found[f"{name}.{key}"] = value
        if found:
            self.extras.messages[position] = self.encode(found)
        quoted = obj.get("quoted")
        for of_quoted, attachments in (
            (False, obj.get("attachments")),
            (True, quoted.get("attachments") if isinstance(quoted, dict) else None),
        ):
            if isinstance(attachments, list):
                where = "items[].quoted.attachments[]" if of_quoted else "items[].attachments[]"
                for index, attachment in enumerate(attachments):
                    self.attachment(attachment, where, (position, of_quoted, index))
        reactions = obj.get("reactions")
        if isinstance(reactions, list):
            for index, reaction in enumerate(reactions):
                if isinstance(reaction, dict):
                    found = self.unlisted(reaction, "reaction", "items[].reactions[]")
                    if found:
                        self.extras.reactions[(position, index)] = self.encode(found)


def _from_text(text: str, extras: Extras) -> None:
    """The same walk on the body's text, for a page nested too deeply for ``json``: each
    unlisted value is kept as its JSON text, exactly as the page had it."""
    start = len(text) - len(text.lstrip())
    if not text.startswith("{", start):
        return
    first: dict[str, int] = {}
    for key, value_start, _ in members(text, start):
        if key is not None:
            first.setdefault(key, value_start)
    for key in first:
        if key not in LISTED["page"]:
            extras._count(key)
    items = first.get("items")
    if items is None or not text.startswith("[", items):
        return
    collector = _RawCollector(extras, text)
    for position, (_, item_start, _) in enumerate(members(text, items)):
        if text.startswith("{", item_start):
            collector.item(collector.parsed(item_start, _ITEM), position)


class _Raw(str):
    """A value's JSON text, written back as it is."""


# Which listed values of an object are themselves objects (or arrays of objects) to walk:
# key -> (is an array, what to walk in each object). Everything else stays text.
_Walk = dict[str, tuple[bool, "_Walk"]]
_ATTACHMENT: Final[_Walk] = {"size": (False, {})}
_ITEM: Final[_Walk] = {
    "attachments": (True, _ATTACHMENT),
    "reactions": (True, {}),
    "quoted": (False, {"attachments": (True, _ATTACHMENT)}),
    "reply_to": (False, {}),
}


class _RawCollector(_Collector):
    def __init__(self, extras: Extras, text: str) -> None:
        super().__init__(extras)
        self.text = text

    def parsed(self, at: int, walk: _Walk) -> dict[str, Any]:
        """The object at ``at``: the containers ``walk`` names walked, other values raw."""
        text = self.text
        found: dict[str, Any] = {}
        for key, s, e in members(text, at):
            if key is None or key in found:
                continue
            is_array, inner = walk.get(key, (None, {}))
            if is_array is False and text.startswith("{", s):
                found[key] = self.parsed(s, inner)
            elif is_array and text.startswith("[", s):
                found[key] = [
                    self.parsed(es, inner) if text.startswith("{", es) else _Raw(text[es:ee])
                    for _, es, ee in members(text, s)
                ]
            else:
                found[key] = _Raw(text[s:e])
        return found

    def encode(self, found: dict[str, Any]) -> str:
        return _text({key: _raw_text(value) for key, value in found.items()})


def _raw_text(value: Any) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, dict):
        return _text({k: _raw_text(v) for k, v in value.items()})
    if isinstance(value, list):
        return "[" + ",".join(_raw_text(v) for v in value) + "]"
    return _dumps(value)


def page_extras(raw: bytes) -> Extras:
    """The unlisted fields of one page body (nothing for a body that is not a JSON object
    with an ``items`` array: the page's own checks name what is wrong with it)."""
    try:
        body = json.loads(raw, object_pairs_hook=_first_key_wins)
    except RecursionError:
        return _text_extras(raw)
    except (ValueError, UnicodeDecodeError):
        return Extras()  # not JSON: the page's own checks name the problem
    extras = Extras()
    if not isinstance(body, dict):
        return extras
    for key in body:
        if key not in LISTED["page"]:
            extras._count(key)
    items = body.get("items")
    if isinstance(items, list):
        collector = _Collector(extras)
        try:
            for position, item in enumerate(items):
                collector.item(item, position)
        except (ValueError, RecursionError):  # inf (from 1e400), or nested too deep to dump
            return _text_extras(raw)
    return extras


def _text_extras(raw: bytes) -> Extras:
    extras = Extras()
    try:
        _from_text(raw.decode(), extras)
    except (UnicodeDecodeError, RecursionError, ValueError):
        return Extras()  # the page's own checks name the problem
    return extras


def warn_unknown_fields(counts: Iterable[Mapping[str, int]], *, stacklevel: int = 2) -> None:
    """One :class:`UnknownFieldWarning` summing the pages' unlisted fields (none: no warning).

    ``stacklevel`` counts from the caller of this function, as in ``warnings.warn``.
    """
    found: dict[str, int] = {}
    for page_counts in counts:
        for path, count in page_counts.items():
            found[path] = found.get(path, 0) + count
    if not found:
        return

    def listed(paths: list[str]) -> str:
        return ", ".join(
            f"{path} ({found[path]} value{'' if found[path] == 1 else 's'})"
            for path in sorted(paths)
        )

    rows = [path for path in found if path.startswith("items[]")]
    page = [path for path in found if not path.startswith("items[]")]
    parts = []
    if rows:
        parts.append(
            "kept as JSON in the `extra` column of messages, attachments and reactions "
            f"(in `rejects.item` for a message set aside): {listed(rows)}"
        )
    if page:
        parts.append(f"page-level, named here and not stored: {listed(page)}")
    warnings.warn(
        f"fields the spec page does not list: {'; '.join(parts)}",
        UnknownFieldWarning,
        stacklevel=stacklevel + 1,
    )
