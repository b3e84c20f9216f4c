"""Fields the spec page does not list: found on sampled pages, named in one warning.

The tables are strict, so such fields are not stored; they are not dropped silently either.
Pages 1-8 and every power-of-two page after are also read with an inferred schema, and one
:class:`~postpress_frames.tables.schemas.UnknownFieldWarning` names each unlisted field
(``items[].attachments[].blurhash``) and how many values it had.

>>> unknown_fields(b'{"items": [{"id": "m1", "pinned": true}], "total": 1}')
{'items[].pinned': 1, 'total': 1}
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Final

import polars as pl

from postpress_frames.tables.schemas import UnknownFieldWarning
from postpress_frames.tables.wire import instance, spec_page_dtype

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

__all__ = ["MAX_SCAN_DEPTH", "sampled", "unknown_fields", "warn_unknown_fields"]

_JSON_STRING: Final = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET: Final = re.compile(rb"[\[\]{}]")
#: Spec pages nest 7 levels deep (items[].quoted.attachments[].size); a page nested
#: deeper than this is not scanned for unknown fields: polars' schema inference slows
#: down with the cube of the depth (a 1,000-deep array in one field takes minutes).
MAX_SCAN_DEPTH: Final = 32


def sampled(number: int) -> bool:
    """Pages whose unknown fields are looked for: 1-8, then powers of two.

    >>> [n for n in range(1, 40) if sampled(n)]
    [1, 2, 3, 4, 5, 6, 7, 8, 16, 32]
    """
    return number <= 8 or number & (number - 1) == 0


def _extra_paths(
    inferred: PolarsDataType, known: PolarsDataType, path: tuple[str, ...]
) -> Iterator[tuple[str, ...]]:
    inferred, known = instance(inferred), instance(known)
    if isinstance(known, pl.Map):  # dynamic keys (seen_by)
        return
    if isinstance(inferred, pl.List) and isinstance(known, pl.List):
        yield from _extra_paths(inferred.inner, known.inner, (*path, "[]"))
    elif isinstance(inferred, pl.Struct) and isinstance(known, pl.Struct):
        fields = {f.name: f.dtype for f in known.fields}
        for field in inferred.fields:
            if field.name in fields:
                yield from _extra_paths(field.dtype, fields[field.name], (*path, field.name))
            else:
                yield (*path, field.name)


def _count_values(frame: pl.DataFrame, path: tuple[str, ...]) -> int:
    series = frame.get_column(path[0])
    for step in path[1:]:
        if step == "[]":
            series = series.explode(empty_as_null=False, keep_nulls=False)
        else:
            series = series.struct.field(step)
    return series.len() - series.null_count()


def _path_name(path: tuple[str, ...]) -> str:
    return ".".join(path).replace(".[]", "[]")


def _nesting_depth(raw: bytes, limit: int = MAX_SCAN_DEPTH) -> int:
    """How deep arrays and objects nest in ``raw``, counted up to ``limit + 1``.

    >>> _nesting_depth(b'{"items": [{"text": "[[[", "seen_by": {}}]}')
    4
    """
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        depth += 1 if bracket[0] in (b"[", b"{") else -1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def unknown_fields(raw: bytes) -> dict[str, int]:
    """Fields on this page that the spec page does not list -> number of non-null values."""
    if _nesting_depth(raw) > MAX_SCAN_DEPTH:
        return {}  # best effort: see MAX_SCAN_DEPTH
    try:
        inferred = pl.read_json(raw, infer_schema_length=None)
        paths = list(_extra_paths(pl.Struct(inferred.schema), spec_page_dtype(), ()))
        return {_path_name(p): _count_values(inferred, p) for p in paths}
    except Exception:  # best effort: the typed read is the authority on the page
        return {}


def warn_unknown_fields(unknown: Iterable[dict[str, int]], *, stacklevel: int = 2) -> None:
    """One :class:`UnknownFieldWarning` summing the pages' unlisted fields (none: no warning).

    ``stacklevel`` counts from the caller of this function, as in ``warnings.warn``.
    """
    found: dict[str, int] = {}
    for page in unknown:
        for path, count in page.items():
            found[path] = found.get(path, 0) + count
    if not found:
        return
    listed = ", ".join(
        f"{path} ({count} value{'' if count == 1 else 's'})"
        for path, count in sorted(found.items())
    )
    warnings.warn(
        "fields the spec page does not list were not stored: "
        f"{listed} (counted on pages 1-8 and powers of two; `original` keeps the raw "
        "provider payload)",
        UnknownFieldWarning,
        stacklevel=stacklevel + 1,
    )
