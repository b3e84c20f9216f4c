"""The report's content: statistics computed once, laid out as sections of tables and
charts (package-internal API; :mod:`.report` checks the arguments and writes the file).

>>> from postpress_frames.analysis.inputs import prepare_inputs
>>> from postpress_frames.tables.chat_frames import ChatFrames
>>> from postpress_frames.analysis.names import names_frame
>>> page = build_page(
...     prepare_inputs(ChatFrames.empty(), seen_by=True).collected(), tz="UTC", title="t",
...     session_gap=timedelta(minutes=30), response_cap=timedelta(days=1),
...     names=names_frame(None), static=True,
... )
>>> "No messages." in page
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Final, Literal

import polars as pl

from postpress_frames.analysis.charts import (
    DEFAULT_FACET_COLUMNS,
    DEFAULT_MAX_SENDERS,
    draw_calendar,
    draw_messages_over_time,
    draw_response_matrix,
    draw_response_times,
    draw_time_to_read,
    draw_weekday_hour,
)
from postpress_frames.analysis.content import content_plan
from postpress_frames.analysis.display import format_duration, mark_you, sender_labels
from postpress_frames.analysis.inputs import FrameLike, Inputs
from postpress_frames.analysis.metrics import METRIC_DEFINITIONS
from postpress_frames.analysis.names import with_names
from postpress_frames.analysis.receipts import (
    read_matrix,
    read_receipts,
    read_times,
)
from postpress_frames.analysis.report_page import (
    Cell,
    Column,
    Figure,
    Row,
    Section,
    Table,
    render_page,
)
from postpress_frames.analysis.report_sections import (
    ACTIVITY_SECTIONS,
    CONTENT_TABLES,
    LABELS,
    RECEIPT_COLUMNS,
    TEXT_COLUMNS,
    format_value,
)
from postpress_frames.analysis.sequence import response_rows
from postpress_frames.analysis.stats import sender_activity_plan

__all__ = ["build_page"]

_READERS_PER_TABLE: Final = 8  # at most 8 x 5.5rem columns: a wider table would not fit
_IDS: Final = frozenset({"chat_id", "sender_id", "sender_name", "is_sender"})


def _column(key: str) -> Column:
    kind: Literal["number", "text"] = "text" if key in TEXT_COLUMNS else "number"
    return Column(key, LABELS.get(key, key), METRIC_DEFINITIONS.get(key, ""), kind)


class _People:
    """Each sender's label over the whole report (one person, one label, as in the
    charts): the name given, else a short id; "(you)" for the connected account. Rows
    follow the order of the activity table (most messages first)."""

    def __init__(self, stats: pl.DataFrame, names: pl.DataFrame) -> None:
        ids = stats.select("sender_id").unique(maintain_order=True)
        self._labels: dict[str, str] = dict(with_names(ids, names).drop_nulls().iter_rows())
        self._you = set(stats.filter("is_sender").get_column("sender_id").drop_nulls())
        self.order = stats.select(
            "chat_id", "sender_id", _rank=pl.int_range(pl.len(), dtype=pl.Int64)
        )

    def label(self, sender_id: str | None, fallback: str) -> str:
        """The person's label, marked "(you)" for the connected account."""
        label = self._labels.get(sender_id or "") or fallback or sender_id or "\u2013"
        return mark_you(label, is_sender=sender_id in self._you)

    def row(self, record: Mapping[str, Any], columns: Sequence[Column]) -> Row:
        """A table row of ``record``, a row of a per-person result (a reader who never
        wrote has no ``sender_id``: their ``attendee_id`` and ``sender_name`` stand in)."""
        sender = record.get("sender_id")
        person = sender or record.get("attendee_id") or ""
        cells = tuple(Cell(format_value(c.key, record.get(c.key))) for c in columns)
        shown = self.label(sender, record.get("sender_name") or person)
        return Row(str(record["chat_id"]), shown, person, cells)

    def sorted(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (per chat and person) in the activity table's order, others last."""
        ranked = frame.join(self.order, on=["chat_id", "sender_id"], how="left")
        return ranked.sort("_rank", nulls_last=True, maintain_order=True).drop("_rank")


def _table(heading: str, frame: pl.DataFrame, keys: Sequence[str], people: _People) -> Table:
    columns = tuple(_column(key) for key in keys if key in frame.columns)
    return Table(
        heading, columns, tuple(people.row(r, columns) for r in frame.iter_rows(named=True))
    )


# --------------------------------------------------------------------------- sections


def _activity(
    stats: pl.DataFrame, people: _People, figures: Mapping[str, tuple[Figure, ...]], **fill: str
) -> list[Section]:
    sections = [
        Section(
            layout.anchor,
            layout.title,
            layout.explanation.format(**fill),
            (_table("", stats, layout.columns, people),),
            figures.get(layout.anchor, ()),
        )
        for layout in ACTIVITY_SECTIONS
    ]
    placed = {c for layout in ACTIVITY_SECTIONS for c in layout.columns} | _IDS
    others = [c for c in stats.columns if c not in placed]
    if others:  # a metric added to sender_activity but not yet to a section
        sections.append(Section("other", "Other metrics", "", (_table("", stats, others, people),)))
    return sections


def _who_reads_whom(matrix: pl.DataFrame, people: _People, *, several_chats: bool) -> list[Table]:
    """Writer x reader tables per chat: the share of the writer's messages each reader saw
    (tooltip: the counts and the median time to read), at most :data:`_READERS_PER_TABLE`
    readers a table so that it fits the page."""
    tables: list[Table] = []
    for (chat_id,), chat in matrix.group_by("chat_id", maintain_order=True):
        readers = [
            Column(
                str(r["reader_attendee_id"]),
                people.label(r["reader"], r["reader_name"] or r["reader_attendee_id"]),
                "",
            )
            for r in people.sorted(
                chat.unique("reader_attendee_id", maintain_order=True).with_columns(
                    sender_id=pl.col("reader")
                )
            ).iter_rows(named=True)
        ]
        pairs = {(r["writer"], r["reader_attendee_id"]): r for r in chat.iter_rows(named=True)}
        writers = chat.unique("writer", maintain_order=True).iter_rows(named=True)
        lines = [(people.label(w["writer"], w["writer_name"] or ""), w["writer"]) for w in writers]
        heading = f"Who reads whom in chat {chat_id}" if several_chats else "Who reads whom"
        for start in range(0, len(readers), _READERS_PER_TABLE):
            columns = tuple(readers[start : start + _READERS_PER_TABLE])
            rows = tuple(
                Row(
                    str(chat_id),
                    label,
                    writer,
                    tuple(_seen_cell(pairs.get((writer, c.key))) for c in columns),
                )
                for label, writer in lines
            )
            part = (
                f" (readers {start + 1}-{start + len(columns)} of {len(readers)})"
                if len(readers) > _READERS_PER_TABLE
                else ""
            )
            tables.append(
                Table(heading + part, columns, rows, "writer \u2193 reader \u2192", False)
            )
    return tables


def _seen_cell(pair: Mapping[str, Any] | None) -> Cell:
    """The share of a writer's messages a reader saw; empty for the writer themselves."""
    if pair is None:
        return Cell("")
    share = pair["seen"] / pair["messages"] if pair["messages"] else None
    tip = f"{pair['seen']:,} of {pair['messages']:,} messages seen"
    if pair["time_to_read_median"] is not None:
        tip += f"; median time to read {format_duration(pair['time_to_read_median'])}"
    return Cell(format_value("seen_share", share), tip)


def _receipts(
    inputs: Inputs,
    people: _People,
    names: pl.DataFrame,
    labels: pl.DataFrame,
    *,
    tz: str,
    response_cap: timedelta,
    several_chats: bool,
) -> Section:
    title = "Read receipts"
    if inputs.seen_rows is None:
        return Section("receipts", title, "No seen_by table was given: no read receipts.")
    tables: dict[str, FrameLike] = {
        "messages": inputs.messages,
        "attachments": inputs.attachment_rows,
        "reactions": inputs.reaction_rows,
        "seen_by": inputs.seen_rows,
    }
    receipts = read_receipts(tables, tz=tz, response_cap=response_cap, names=names)
    matrix = read_matrix(tables, names=names)
    times = read_times(tables, names=names)
    chart = draw_time_to_read(times, labels, max_senders=DEFAULT_MAX_SENDERS)
    reading = Figure(
        "time-to-read",
        "How fast each person reads",
        "Time from a message to its read receipt, on a log axis (receipts without a time "
        "are left out): the box holds the middle half, the line runs from the 10th to the "
        "90th percentile, the tick is the median.",
        chart,
    )
    silent = receipts.get_column("sender_id").null_count()
    explanation = (
        "Who saw the messages others wrote, how fast, and what they left on read (seen, "
        f"with no answer of theirs within {format_duration(response_cap)}). A reader is a "
        "person with an attendee id in seen_by"
        + (f"; {silent:,} of them never wrote." if silent else ".")
        + " In who reads whom, a cell is the share of the writer's messages (its row) the "
        "reader (its column) saw; hover over it for the counts and the median time to read."
    )
    table = _table("", people.sorted(receipts), RECEIPT_COLUMNS, people)
    pivot = _who_reads_whom(matrix, people, several_chats=several_chats)
    return Section("receipts", title, explanation, (table, *pivot), (reading,))


def _content(inputs: Inputs, people: _People, names: pl.DataFrame) -> Section:
    title = "Content"
    if "value" not in inputs.reaction_rows.collect_schema():
        return Section("content", title, "The reactions have no value column: no content.")
    found = with_names(inputs.collect(content_plan(inputs)), names)
    explanation = (
        "Emoji, links and questions in each person's messages (events and deleted "
        "messages left out), and the reactions they use."
    )
    tables = tuple(_table(heading, found, keys, people) for heading, keys in CONTENT_TABLES)
    return Section("content", title, explanation, tables)


def _figures(
    inputs: Inputs, labels: pl.DataFrame, responses: pl.DataFrame, *, tz: str, cap: timedelta
) -> dict[str, tuple[Figure, ...]]:
    return {
        "volume": (
            Figure(
                "messages-over-time",
                "Messages over time",
                "Each bar spans one period; its segments are the people, stacked.",
                draw_messages_over_time(inputs, labels, every=None, tz=tz),
                "Click a name in the legend to pick out that person (shift-click for more).",
            ),
            Figure(
                "calendar",
                "Messages per day",
                "One row per year, one column per week (Monday first); empty grey days had "
                "no message.",
                draw_calendar(inputs, labels, tz=tz),
            ),
        ),
        "responsiveness": (
            Figure(
                "response-time",
                "How fast each person answers",
                "Response times on a log axis: the box holds the middle half of a person's "
                "responses, the line runs from the 10th to the 90th percentile, the tick is "
                "the median.",
                draw_response_times(responses, labels, response_cap=cap),
            ),
            Figure(
                "response-matrix",
                "Who answers whom",
                "Rows are responders, columns the people they answered; darker means more.",
                draw_response_matrix(responses, labels),
            ),
        ),
        "rhythm": (
            Figure(
                "weekday-hour",
                "When each person writes",
                "Darker cells are busier weekday and hour slots; all panels share one scale.",
                draw_weekday_hour(inputs, labels, tz=tz, columns=DEFAULT_FACET_COLUMNS),
            ),
        ),
    }


def _summary(stats: pl.DataFrame, *, rejects: int) -> list[str]:
    """What was counted: messages against items fetched, people against chat memberships."""
    if stats.height == 0:
        return ["No messages."]
    messages = int(stats.get_column("messages").sum())
    events = int(stats.get_column("events").sum())
    aside = f"; {rejects:,} set aside as invalid" if rejects else ""
    people = stats.get_column("sender_id").n_unique()
    chats = stats.get_column("chat_id").n_unique()
    span = stats.select(pl.col("first_at").min(), pl.col("last_at").max()).row(0)
    dates = f", {span[0]:%Y-%m-%d} to {span[1]:%Y-%m-%d}" if span[0] is not None else ""
    where = (
        "1 chat"
        if chats == 1
        else f"{chats:,} chats ({stats.height:,} chat memberships; a person counts once)"
    )
    return [
        f"{messages:,} messages ({messages + events:,} items fetched; {events:,} events such "
        f"as joins and calls left out{aside})",
        f"{people:,} {'person' if people == 1 else 'people'} in {where}{dates}",
    ]


def build_page(
    inputs: Inputs,
    *,
    tz: str,
    title: str,
    session_gap: timedelta,
    response_cap: timedelta,
    names: pl.DataFrame,
    static: bool,
    rejects: int = 0,
) -> str:
    """The report of ``inputs`` (already read into memory, see ``Inputs.collected``);
    ``names`` is a checked ``names_frame``."""
    stats = inputs.collect(
        sender_activity_plan(inputs, tz=tz, session_gap=session_gap, response_cap=response_cap)
    )
    people = _People(stats, names)
    several_chats = stats.get_column("chat_id").n_unique() > 1
    labels = sender_labels(inputs, DEFAULT_MAX_SENDERS, names)
    responses = inputs.collect(response_rows(inputs, response_cap=response_cap))
    figures = _figures(inputs, labels, responses, tz=tz, cap=response_cap)
    fill = {
        "tz": tz,
        "session_gap": format_duration(session_gap),
        "response_cap": format_duration(response_cap),
    }
    sections = [
        *_activity(stats, people, figures, **fill),
        _receipts(
            inputs,
            people,
            names,
            labels,
            tz=tz,
            response_cap=response_cap,
            several_chats=several_chats,
        ),
        _content(inputs, people, names),
    ]
    settings = (
        f"Times in {tz} \u00b7 conversations split after {fill['session_gap']} of silence "
        f"\u00b7 responses capped at {fill['response_cap']}"
    )
    return render_page(
        title=title,
        summary=[*_summary(stats, rejects=rejects), settings],
        sections=sections,
        static=static,
        several_chats=several_chats,
        notes=[
            "Events (joins, calls, renames) are left out of every metric but events; deleted "
            "messages count as sent but not as content."
        ],
    )
