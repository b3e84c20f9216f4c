"""How the charts and the report show things to people: weekday names, durations, senders
(package-internal API).

>>> WEEKDAYS[0], weekday_name(7)
('Mon', 'Sun')
>>> format_duration(timedelta(seconds=4325)), format_duration(timedelta(seconds=1.5))
('1 h 12 min', '1.5 s')
>>> mark_you("ACoAAB", is_sender=True)
'ACoAAB (you)'
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Final

import polars as pl

from postpress_frames.analysis.inputs import Inputs

__all__ = [
    "LABEL_WIDTH",
    "WEEKDAYS",
    "duration_label_expr",
    "format_duration",
    "label_order",
    "mark_you",
    "sender_labels",
    "weekday_name",
]

#: ISO weekdays 1 (Monday) ... 7 (Sunday), as shown.
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LABEL_WIDTH: Final = 16  # sender ids are shortened to this many characters in charts

_UNITS: Final = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def weekday_name(iso_weekday: int) -> str:
    """``1`` -> ``"Mon"`` ... ``7`` -> ``"Sun"``."""
    return WEEKDAYS[int(iso_weekday) - 1]


def format_duration(value: timedelta) -> str:
    """``timedelta(seconds=4325)`` -> ``"1 h 12 min"``: the two largest units, zeros dropped;
    under a minute, seconds to three significant digits."""
    seconds = value.total_seconds()
    if seconds < 60:
        return f"{seconds:.3g} s"
    whole = int(seconds)
    parts: list[tuple[int, str]] = []
    for name, size in _UNITS:
        amount, whole = divmod(whole, size)
        if amount or parts:
            parts.append((amount, name))
    return " ".join(f"{amount} {name}" for amount, name in parts[:2] if amount)


def duration_label_expr(ticks_seconds: Iterable[float]) -> str:
    """A Vega label expression that shows each tick (a number of seconds) as
    :func:`format_duration` does, so axes read like the report's tables.

    >>> print(duration_label_expr([60, 86400]))
    datum.value == 60 ? "1 min" : datum.value == 86400 ? "1 d" : format(datum.value, '~g') + ' s'
    """
    cases = "".join(
        f"datum.value == {tick} ? {json.dumps(format_duration(timedelta(seconds=tick)))} : "
        for tick in ticks_seconds
    )
    return cases + "format(datum.value, '~g') + ' s'"


def mark_you(label: str, *, is_sender: bool) -> str:
    """The connected account's label gets " (you)"."""
    return f"{label} (you)" if is_sender else label


def _shorten(sender_id: str) -> str:
    if len(sender_id) <= LABEL_WIDTH:
        return sender_id
    return sender_id[: LABEL_WIDTH - 1] + "…"


def sender_labels(inputs: Inputs, max_senders: int) -> pl.DataFrame:
    """sender_id -> ``sender`` label and ``rank``: the ``max_senders`` busiest senders by
    (shortened) id, marked "(you)" for the connected account, the rest as one "others".

    Busiest means most non-event messages, ties by id; ids are shortened to
    :data:`LABEL_WIDTH` characters unless that would make two senders look alike.
    ``max_senders`` is at least 1 (the public functions check it before reading data).
    """
    counts = inputs.collect(
        inputs.messages.group_by("sender_id")
        .agg(
            messages=(~pl.col("is_event")).sum(),
            you=pl.col("is_sender").any(),
        )
        .sort(["messages", "sender_id"], descending=[True, False])
    )
    ids = counts.get_column("sender_id").to_list()
    short = [_shorten(i) for i in ids]
    if len(set(short)) < len(short):  # shortening made two senders look alike
        short = ids
    labels = [
        mark_you(label, is_sender=you)
        for label, you in zip(short, counts.get_column("you").to_list(), strict=True)
    ]
    others = len(ids) - max_senders
    if others > 0:
        name = f"others ({others} senders)" if others > 1 else "others (1 sender)"
        labels = labels[:max_senders] + [name] * others
    return pl.DataFrame(
        {"sender_id": ids, "sender": labels, "rank": list(range(len(ids)))},
        schema={"sender_id": pl.String, "sender": pl.String, "rank": pl.Int64},
    ).with_columns(pl.col("rank").clip(upper_bound=max_senders))


def label_order(labels: pl.DataFrame) -> list[str]:
    """The labels of :func:`sender_labels`, busiest first, "others" last."""
    return labels.sort("rank").get_column("sender").unique(maintain_order=True).to_list()
