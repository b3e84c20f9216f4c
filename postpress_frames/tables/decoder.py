"""The strict decoder: the pages it decodes need no grammar.

Screening a page takes a second pass over its bytes besides ``read_json``'s: the screen's
:data:`~postpress_frames.tables.screen.GRAMMAR` (a regular expression) or msgspec decoding it
into structs made from the wire schema (:data:`~postpress_frames.tables.wire.ITEM_FIELDS`).
The decoder is the faster of the two, so the grammar runs only on the pages it does not
decode. Each struct forbids the keys the spec page does not list for its object
(:data:`~postpress_frames.tables.wire.LISTED`), and each value must have the JSON type the
grammar requires there: an integer of at most 18 digits, a string, a boolean, a number; 0, 1,
true, false, "0" or "1" for a flag; null anywhere. A page it decodes has no unlisted field and
no value ``read_json`` would coerce (but in the values it does not decode, below); where it is
stricter than the grammar (``2`` or ``1.5`` in a flag, ``2.0`` in an integer field, a key
given twice with a value of the wrong type), the grammar decides.

Where it is looser, nothing the build keeps changes: a listed key spelled with escapes
(``"beh\u0061vior"``) decodes as the key, which the grammar sees as an unlisted one; the
values of ``seen_by`` are not decoded (``read_json`` cannot read an object or an array there,
and its own check names a number). The grammar would flag such a page, and on a page that is
also wrong that can change which error comes first: the build screens the pages the decoder
took with the grammar on its way to an error (and on the pages a Page keeps only some
messages of), as if it had screened them all.

``original`` and ``text``, the longest values, are not decoded either (:data:`RAW`): once
``read_json`` has read them, a page where one reads like a number or a boolean goes to the
grammar (:func:`~postpress_frames.tables.screen.reading_as_numbers`): an object or an array
there ``read_json`` cannot read, a number or a boolean it writes as its text.

>>> decodes(b'{"items": [{"id": "m1", "seen_by": {"att_1": true}}], "cursor": null}')
True
>>> decodes(b'{"items": [{"id": "m1", "pinned": true}]}'), decodes(b'{"items": [{"hidden": 2}]}')
(False, False)
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Optional, Union

import polars as pl

from postpress_frames.tables.wire import FLAGS, ITEM_FIELDS, LISTED, instance

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

__all__ = ["RAW", "decodes"]

_INT_DIGITS: Final = 10**18 - 1  # the grammar's integers have at most 18 digits
#: The item fields kept as raw JSON, not decoded: the reader checks them once read.
RAW: Final = ("original", "text")
_CHILD_KINDS: Final = {"attachments": "attachment", "reactions": "reaction"}


def _type(msgspec: Any, dtype: PolarsDataType, name: str, *, top: bool = False) -> Any:
    """The msgspec type of the wire value ``name`` of ``dtype`` (``top``: an item's own)."""
    dtype = instance(dtype)
    if (top and name in RAW) or isinstance(dtype, pl.Map):  # seen_by: not decoded
        return msgspec.Raw
    found: Any
    if top and name in FLAGS:
        found = Union[Literal[0, 1], bool, Literal["0", "1"]]  # noqa: UP007 (built at runtime)
    elif isinstance(dtype, pl.Struct):
        found = _struct(msgspec, name, {f.name: instance(f.dtype) for f in dtype.fields})
    elif isinstance(dtype, pl.List):
        element = _type(msgspec, dtype.inner, _CHILD_KINDS.get(name, ""))
        found = list[element]  # type: ignore[valid-type]
    elif dtype == pl.String():
        found = str
    elif dtype == pl.Boolean():
        found = bool
    elif dtype.is_integer():
        found = Annotated[int, msgspec.Meta(ge=-_INT_DIGITS, le=_INT_DIGITS)]
    elif dtype.is_float():
        found = float
    else:  # pragma: no cover (the wire schema is fixed)
        raise TypeError(f"no decoder type for {dtype}")
    return Optional[found]  # noqa: UP045


def _struct(msgspec: Any, kind: str, fields: dict[str, pl.DataType], *, top: bool = False) -> Any:
    """The struct of the keys the spec page lists for ``kind`` (every one optional)."""
    assert set(fields) == LISTED[kind], kind
    return msgspec.defstruct(
        f"Wire_{kind}",
        [(name, _type(msgspec, dtype, name, top=top), None) for name, dtype in fields.items()],
        forbid_unknown_fields=True,
        gc=False,
    )


@functools.cache
def _decoder() -> Any:
    """The page decoder, made on first use (None without msgspec: the grammar screens every
    page then)."""
    try:
        import msgspec  # here: importing the package stays fast
    except ImportError:  # pragma: no cover
        return None
    item = _struct(msgspec, "item", {"object": pl.String(), **ITEM_FIELDS}, top=True)
    page = msgspec.defstruct(
        "Wire_page",
        [
            ("object", Optional[Union[str, float, bool]], None),  # noqa: UP007, UP045
            ("cursor", Optional[str], None),  # noqa: UP045
            ("items", list[item], []),  # type: ignore[valid-type]
        ],
        forbid_unknown_fields=True,
        gc=False,
    )
    assert set(page.__struct_fields__) == LISTED["page"]
    return msgspec.json.Decoder(page)


def decodes(raw: bytes) -> bool:
    """Whether msgspec decodes the page body into the wire structs (the module docstring)."""
    decoder = _decoder()
    if decoder is None:  # pragma: no cover
        return False
    try:
        decoder.decode(raw)
    except Exception:  # not JSON, not UTF-8, a wrong type, an unlisted key...
        return False
    return True
