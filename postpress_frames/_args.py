"""Argument checks shared by every public function: a wrong type is an ``ArgumentTypeError``
naming the argument and what was given, before any request or file access.

>>> as_path("lake", "root").as_posix()
'lake'
>>> try:
...     as_id_list("chat_x", "chat_ids")
... except TypeError as error:
...     print(error)
chat_ids must be an iterable of chat ids (not one string: wrap it in a list), got str 'chat_x'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError

__all__ = ["as_bool", "as_id_list", "as_int", "as_path", "as_str", "is_text", "is_url"]


def is_text(value: str) -> bool:
    """Whether ``value`` is Unicode text: not holding a lone surrogate (a JSON escape such as
    ``\\ud800`` without its pair), which no UTF-8 file, Parquet column or URL can carry.

    >>> is_text("m1"), is_text("caf\u00e9"), is_text(chr(0xD800) + "x")
    (True, True, False)
    """
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_url(value: str | os.PathLike[str]) -> bool:
    """Whether ``value`` names an object-store or remote URL (``s3://``, ``gs://``, ...).

    >>> is_url("s3://bucket/lake"), is_url("lake"), is_url("C:/lake")
    (True, False, False)
    """
    text = os.fspath(value)
    scheme, sep, _ = text.partition("://")
    return bool(sep) and len(scheme) > 1 and scheme.isascii() and scheme.replace("+", "").isalnum()


def as_path(value: object, argument: str) -> Path:
    """``value`` as a local ``Path``; a URL is refused with a clear error, never mangled."""
    if isinstance(value, Path):
        return value
    if isinstance(value, str | os.PathLike) and not isinstance(value, bytes):
        text = os.fspath(value)
        if not isinstance(text, str):
            raise ArgumentTypeError(argument, "a path (str or os.PathLike)", value)
        if not text:
            raise ConfigurationError(f"{argument} must be a non-empty path")
        if is_url(text):
            raise ConfigurationError(
                f"{argument} {text!r} is a URL; only local paths are supported here"
            )
        return Path(text)
    raise ArgumentTypeError(argument, "a path (str or os.PathLike)", value)


def as_str(value: object, argument: str, *, allow_none: bool = False) -> Any:
    """``value`` when it is a non-empty string (or None with ``allow_none``)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise ArgumentTypeError(argument, "a string", value)
    if not value:
        raise ConfigurationError(f"{argument} must be a non-empty string")
    return value


def as_int(value: object, argument: str, *, minimum: int | None = None) -> int:
    """``value`` when it is an integer (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(argument, "an integer", value)
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"{argument} must be at least {minimum}, got {value}")
    return value


def as_bool(value: object, argument: str) -> bool:
    """``value`` when it is a bool."""
    if not isinstance(value, bool):
        raise ArgumentTypeError(argument, "True or False", value)
    return value


def as_id_list(values: object, argument: str, noun: str = "chat") -> list[str]:
    """An iterable of non-empty string ids (of a ``noun``), repeats dropped in order; one
    bare string refused."""
    if isinstance(values, str | bytes):
        raise ArgumentTypeError(
            argument, f"an iterable of {noun} ids (not one string: wrap it in a list)", values
        )
    if not isinstance(values, Iterable):
        raise ArgumentTypeError(argument, f"an iterable of {noun} ids", values)
    items = list(values)
    for item in items:  # before hashing: an unhashable item is a type error too
        as_str(item, f"each of {argument}")
    return list(dict.fromkeys(items))
