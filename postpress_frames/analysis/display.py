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
from postpress_frames.analysis.names import Names, names_frame, with_names

__all__ = [
    "LABELS_SCHEMA",
    "WEEKDAYS",
    "duration_label_expr",
    "format_duration",
    "label_order",
    "mark_you",
    "others_label",
    "sender_labels",
    "weekday_name",
]

#: ISO weekdays 1 (Monday) ... 7 (Sunday), as shown.
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: The columns of :func:`sender_labels`.
LABELS_SCHEMA: Final = pl.Schema(
    {"sender_id": pl.String(), "sender": pl.String(), "rank": pl.Int64(), "person": pl.String()}
)

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


def sender_labels(inputs: Inputs, max_senders: int, names: Names | None = None) -> pl.DataFrame:
    """sender_id -> ``sender`` label and ``rank``: the ``max_senders`` busiest senders by
    name, marked "(you)" for the connected account, the rest as one "others (N senders)"
    (``person`` is each sender's own label, never grouped: for charts that rank people
    otherwise, such as readers).

    Busiest means most non-event messages, ties by id. Labels follow
    :mod:`~postpress_frames.analysis.names`: the name given in ``names`` (a mapping or a
    :func:`~postpress_frames.analysis.names.names_frame`), else a short id. A sender is one
    person in every chat (sender ids are global), so over several chats each sender has
    one label, resolved over all the senders shown: no two people share a label, even
    when they were given the same name. ``max_senders`` is at least 1 (the public
    functions check it, and ``names``, before reading data).

    >>> from postpress_frames import frames_from_pages
    >>> from postpress_frames.analysis.inputs import prepare_inputs
    >>> from postpress_frames.testing import demo_chat
    >>> inputs = prepare_inputs(frames_from_pages([{"items": demo_chat(50), "cursor": None}]))
    >>> labels = sender_labels(inputs, 2, {"ACoAAkwU4m_ceE00G4inAxSBtWpZZ-L192J": "Ada"})
    >>> label_order(labels)[-1]
    'others (2 senders)'
    """
    known = names_frame(names)  # idempotent: an already checked frame passes unchanged
    counts = inputs.collect(
        inputs.messages.group_by("sender_id")
        .agg(
            messages=(~pl.col("is_event")).sum(),
            you=pl.col("is_sender").any(),
        )
        .sort(["messages", "sender_id"], descending=[True, False])
    )
    named = with_names(counts.select("sender_id", "you"), known, {"sender_id": "name"})
    people = [
        mark_you(label, is_sender=you)
        for label, you in zip(
            named.get_column("name").to_list(), named.get_column("you").to_list(), strict=True
        )
    ]
    others = len(people) - max_senders
    shown = people if others <= 0 else people[:max_senders] + [others_label(others)] * others
    return pl.DataFrame(
        {
            "sender_id": named.get_column("sender_id"),
            "sender": shown,
            "rank": list(range(len(people))),
            "person": people,
        },
        schema=LABELS_SCHEMA,
    ).with_columns(pl.col("rank").clip(upper_bound=max_senders))


def others_label(count: int, what: str = "sender") -> str:
    """The label of the ``count`` people grouped as one: ``"others (3 senders)"``.

    >>> others_label(1), others_label(4, "reader")
    ('others (1 sender)', 'others (4 readers)')
    """
    return f"others ({count} {what}{'s' if count != 1 else ''})"


def label_order(labels: pl.DataFrame) -> list[str]:
    """The labels of :func:`sender_labels`, busiest first, "others" last."""
    return labels.sort("rank").get_column("sender").unique(maintain_order=True).to_list()
