"""Charts show people, at any number of senders: names (or short ids no one else shares) in
every legend, axis and tooltip, layouts that grow with the senders and never draw an empty
panel, a calendar of days, the time to read per reader, and a legend that picks a sender."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import polars as pl
import pytest

from postpress_frames._exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    SchemaValidationError,
)
from postpress_frames.analysis.charts import (
    ROW_STEP,
    SENDER_PICK,
    calendar_heatmap,
    messages_over_time_chart,
    render_chart,
    response_matrix_chart,
    response_time_chart,
    time_to_read_chart,
    weekday_hour_heatmap,
)
from postpress_frames.analysis.display import sender_labels
from postpress_frames.analysis.inputs import prepare_inputs
from postpress_frames.analysis.names import names_frame, short_ids, with_names
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import (
    AttachmentSchema,
    MessageSchema,
    ReactionSchema,
    SeenBySchema,
    polars_schema,
)
from tests.test_charts import ScanCounter

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)  # a Monday; the chats run into 2026
BURSTS = 30  # conversations, about two weeks apart
LURKER = "att_lurker"  # reads every message, never writes


def sender_ids(n: int, chat: str = "1") -> list[str]:
    """``n`` ids sharing their first 8 characters, so short ids must be longer."""
    return [f"ACoAAbcd{chat}{i:02d}Zq7longtail" for i in range(n)]


def crowd(
    ids: list[str],
    *,
    chat_id: str = "chat_1",
    me: int = 0,
    seed: int = 7,
    events_by: tuple[str, ...] = (),
) -> dict[str, pl.DataFrame]:
    """A chat of the senders ``ids`` (``ids[me]`` is the connected account): bursts of
    quick messages, everyone writing in the first burst, receipts by every other sender
    (some with a time, some only ``true``) and by :data:`LURKER`. ``events_by`` only write
    an event."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    receipts: list[dict[str, Any]] = []
    at = T0
    for burst in range(BURSTS):
        at = T0 + timedelta(days=burst * 14 + rng.randrange(4), hours=rng.randrange(12))
        for k in range(max(6, 2 * len(ids))):
            sender = ids[k % len(ids)] if burst == 0 else rng.choice(ids[: 1 + k % len(ids)])
            at += timedelta(minutes=1 + rng.randrange(90))
            number = len(rows) + 1
            rows.append(row(number, chat_id, sender, at, is_sender=sender == ids[me]))
            for reader in [f"att_{other}" for other in ids if other != sender] + [LURKER]:
                late = timedelta(seconds=rng.randrange(5, 20_000))
                timed = rng.random() < 0.7
                receipts.append(
                    {
                        "message_id": f"{chat_id}_m{number}",
                        "attendee_id": reader,
                        "seen": True,
                        "seen_at": at + late if timed else None,
                    }
                )
    for sender in events_by:
        number = len(rows) + 1
        rows.append(row(number, chat_id, sender, at, is_sender=False) | {"is_event": True})
    return {
        "messages": pl.DataFrame(rows, schema=polars_schema(MessageSchema)).sort("timestamp", "id"),
        "attachments": pl.DataFrame(schema=polars_schema(AttachmentSchema)),
        "reactions": pl.DataFrame(schema=polars_schema(ReactionSchema)),
        "seen_by": pl.DataFrame(receipts, schema=polars_schema(SeenBySchema)),
    }


def row(number: int, chat_id: str, sender: str, at: datetime, *, is_sender: bool) -> dict[str, Any]:
    return {
        "id": f"{chat_id}_m{number}",
        "provider_id": f"p{number}",
        "account_id": "acc",
        "chat_id": chat_id,
        "chat_provider_id": "cp",
        "sender_id": sender,
        "sender_attendee_id": f"att_{sender}",
        "timestamp": at,
        "text": "hi",
        "is_sender": is_sender,
        "seen": True,
        "hidden": False,
        "deleted": False,
        "edited": False,
        "is_event": False,
        "delivered": True,
        "original": "{}",
    }


def two_chats() -> tuple[dict[str, pl.DataFrame], list[str], list[str]]:
    """Two chats of the same account (``ACoAAbcd100…``), otherwise different people."""
    first, second = sender_ids(3, "1"), [sender_ids(3, "1")[0], *sender_ids(3, "2")[1:]]
    a, b = crowd(first, chat_id="chat_a"), crowd(second, chat_id="chat_b", seed=8)
    return {name: pl.concat([a[name], b[name]]) for name in a}, first, second


def datasets(chart: alt.TopLevelMixin) -> list[dict[str, Any]]:
    """Every row of data the chart embeds."""
    spec = chart.to_dict()
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def units(spec: Any) -> Iterator[dict[str, Any]]:
    """Every view of a spec that draws a mark."""
    if isinstance(spec, dict):
        if "mark" in spec:
            yield spec
        for value in spec.values():
            yield from units(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from units(value)


def svg_height(chart: alt.TopLevelMixin) -> float:
    svg = render_chart(chart, "svg").decode()
    match = re.search(r'<svg[^>]*\sheight="([\d.]+)"', svg)
    assert match, svg[:200]
    return float(match.group(1))


Build = Callable[..., alt.TopLevelMixin]
#: Each public chart and the data fields that hold a person's label.
PEOPLE_FIELDS: dict[str, tuple[Build, tuple[str, ...]]] = {
    "messages_over_time": (messages_over_time_chart, ("sender",)),
    "weekday_hour": (weekday_hour_heatmap, ("sender",)),
    "response_time": (response_time_chart, ("sender",)),
    "response_matrix": (response_matrix_chart, ("responder", "responded_to")),
    "time_to_read": (time_to_read_chart, ("reader",)),
}
ALL_CHARTS: dict[str, Build] = {name: build for name, (build, _) in PEOPLE_FIELDS.items()} | {
    "calendar": calendar_heatmap
}


def people_shown(chart: alt.TopLevelMixin, fields: tuple[str, ...]) -> set[str]:
    return {row[field] for row in datasets(chart) for field in fields}


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("n", [2, 4, 12])
@pytest.mark.parametrize("name", list(PEOPLE_FIELDS))
def test_every_chart_shows_names_and_never_a_whole_id(name: str, n: int) -> None:
    build, fields = PEOPLE_FIELDS[name]
    ids = sender_ids(n)
    given = {sender: f"Person {i}" for i, sender in enumerate(ids) if i % 2}
    chart = build(crowd(ids), names=given, max_senders=12)
    shown = people_shown(chart, fields)
    expected = {f"Person {i}" for i in range(1, n, 2)}
    assert expected <= shown
    text = json.dumps(chart.to_dict())
    assert not [sender for sender in ids if sender in text]  # no opaque id anywhere


def test_without_names_a_sender_shows_as_a_short_id_unique_in_the_chat() -> None:
    ids = sender_ids(12)
    chart = response_time_chart(crowd(ids), max_senders=12)
    shown = people_shown(chart, ("sender",))
    short = short_ids(ids)
    assert shown == {short[ids[0]] + " (you)", *(short[i] for i in ids[1:])}
    assert len(shown) == 12
    assert all(len(label.removesuffix(" (you)")) < len(ids[0]) for label in shown)
    assert all(len(label.removesuffix(" (you)")) > 9 for label in shown)  # past the shared 8


def test_sender_labels_follow_the_names_module() -> None:
    ids = sender_ids(4)
    frames = crowd(ids, me=2)
    given = {ids[0]: "Ada", ids[1]: "Ada", ids[3]: " "}  # two Adas; a blank name is no name
    labels = sender_labels(prepare_inputs(frames), 8, given)
    expected = with_names(
        pl.DataFrame({"sender_id": ids}), names_frame(given), {"sender_id": "label"}
    )
    want = dict(expected.iter_rows())
    want[ids[2]] += " (you)"
    assert dict(labels.select("sender_id", "sender").iter_rows()) == want
    assert want[ids[0]] != want[ids[1]]
    assert want[ids[0]].startswith("Ada (")


def test_other_senders_are_one_row_named_by_their_number() -> None:
    ids = sender_ids(12)
    for chart, fields in (
        (response_time_chart(crowd(ids)), ("sender",)),
        (messages_over_time_chart(crowd(ids)), ("sender",)),
        (weekday_hour_heatmap(crowd(ids)), ("sender",)),
    ):
        shown = people_shown(chart, fields)
        assert "others (4 senders)" in shown
        assert len(shown) == 9
    readers = people_shown(time_to_read_chart(crowd(ids), max_senders=3), ("reader",))
    assert "others (10 readers)" in readers  # 12 senders and the lurker read
    assert len(readers) == 4


def test_several_chats_label_each_person_once_and_never_two_alike() -> None:
    frames, first, second = two_chats()
    given = {first[1]: "Ada", second[1]: "Ada"}  # two people called Ada, one per chat
    chart = messages_over_time_chart(frames, names=given)
    shown = people_shown(chart, ("sender",))
    people = set(first) | set(second)
    assert len(shown) == len(people) == 5  # the account is one person in both chats
    assert sum(label.endswith("(you)") for label in shown) == 1
    assert sum(label.startswith("Ada (") for label in shown) == 2
    written = frames["messages"].filter(~pl.col("is_event")).height
    assert sum(row["messages"] for row in datasets(chart)) == written


def test_a_reader_who_never_wrote_shows_by_name_or_short_attendee_id() -> None:
    ids = sender_ids(3)
    shown = people_shown(time_to_read_chart(crowd(ids)), ("reader",))
    assert short_ids(["att_lurker"])["att_lurker"] in shown
    named = time_to_read_chart(crowd(ids), names={LURKER: "Quiet Quinn", ids[0]: "Me"})
    assert {"Quiet Quinn", "Me (you)"} <= people_shown(named, ("reader",))


# --------------------------------------------------------------------------- layouts


@pytest.mark.parametrize(("n", "columns"), [(1, 1), (2, 2), (3, 3), (4, 2), (5, 3), (7, 3)])
def test_heatmap_panels_fill_their_rows(n: int, columns: int) -> None:
    spec = weekday_hour_heatmap(crowd(sender_ids(n))).to_dict()
    assert spec["encoding"]["facet"]["columns"] == columns
    # Axes belong to each panel, so a last row that is not full has no bare axes below it.
    assert spec["resolve"]["axis"] == {"x": "independent", "y": "independent"}


def test_heatmap_draws_no_panel_without_messages() -> None:
    ids = sender_ids(4)
    frames = crowd(ids, events_by=("ACoAAonlyEvents",))  # a sender of one event, no message
    chart = weekday_hour_heatmap(frames, max_senders=12)
    per_panel = Counter[str]()
    for row in datasets(chart):
        per_panel[row["sender"]] += row["messages"]
    assert len(per_panel) == 4
    assert all(count > 0 for count in per_panel.values())
    assert chart.to_dict()["encoding"]["facet"]["columns"] == 2


@pytest.mark.parametrize("build", [response_time_chart, time_to_read_chart])
def test_rows_per_person_grow_the_chart_and_never_overlap(build: Build) -> None:
    heights = []
    for n in (2, 4, 12):
        chart = build(crowd(sender_ids(n)), max_senders=12)
        spec = chart.to_dict()
        assert spec["height"] == {"step": ROW_STEP}
        for unit in units(spec):  # one view, people down its y axis: no facet of rows
            assert "row" not in unit["encoding"]
            assert unit["encoding"]["y"]["type"] == "nominal"
        heights.append(svg_height(chart))
    assert heights[0] < heights[1] < heights[2]
    assert heights[2] - heights[1] >= 8 * ROW_STEP - 1  # 8 more people, a row each


def test_response_matrix_grows_with_the_senders() -> None:
    small = response_matrix_chart(crowd(sender_ids(2)))
    large = response_matrix_chart(crowd(sender_ids(8)))
    assert small.to_dict()["height"] == {"step": ROW_STEP}
    assert svg_height(large) > svg_height(small) + 5 * ROW_STEP


@pytest.mark.parametrize("n", [1, 4, 12])
@pytest.mark.parametrize("name", list(ALL_CHARTS))
def test_every_chart_renders_to_svg(name: str, n: int) -> None:
    svg = render_chart(ALL_CHARTS[name](crowd(sender_ids(n))), "svg")
    assert svg.startswith(b"<svg")
    assert b"NaN" not in svg


# --------------------------------------------------------------------------- calendar


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "Pacific/Auckland"])
def test_calendar_counts_each_local_day_and_fills_the_empty_ones(tz: str) -> None:
    frames = crowd(sender_ids(3))
    written = frames["messages"].filter(~pl.col("is_event"))
    local = Counter(moment.astimezone(ZoneInfo(tz)).date() for moment in written["timestamp"])
    rows = datasets(calendar_heatmap(frames, tz=tz))
    counts = {row["day"]: row["messages"] for row in rows}
    first, last = min(local), max(local)
    every_day = [first + timedelta(days=d) for d in range((last - first).days + 1)]
    assert list(counts) == [day.isoformat() for day in every_day]
    assert counts == {day.isoformat(): local.get(day, 0) for day in every_day}
    assert 0 in counts.values()  # the chat has quiet days: they are drawn as zero
    for row in rows:
        day = datetime.fromisoformat(row["day"]).date()
        monday = day - timedelta(days=day.weekday())
        assert (row["year"], row["week"]) == (day.year, monday.isoformat())


def test_calendar_has_one_row_per_year() -> None:
    frames = crowd(sender_ids(2))
    spec = calendar_heatmap(frames).to_dict()
    years = sorted({moment.year for moment in frames["messages"]["timestamp"]})
    assert years == [2025, 2026]
    assert [row["title"] for row in spec["vconcat"]] == [str(year) for year in years]
    for row, year in zip(spec["vconcat"], years, strict=True):
        assert {"filter": f"(datum.year === {year})"} in row["transform"]
        domain = row["encoding"]["x"]["scale"]["domain"]
        assert domain[0] <= f"{year}-01-01" < domain[1]
        assert len(domain) in (53, 54)  # every week of the year, whatever has messages


def test_calendar_of_some_senders_and_its_tooltips_name_the_busiest() -> None:
    ids = sender_ids(3)
    frames = crowd(ids)
    only = calendar_heatmap(frames, sender_ids=[ids[1]], names={ids[1]: "Bo"})
    rows = [row for row in datasets(only) if row["messages"]]
    theirs = frames["messages"].filter(pl.col("sender_id") == ids[1]).height
    assert sum(row["messages"] for row in rows) == theirs
    assert all(row["senders"] == f"Bo ({row['messages']})" for row in rows)
    everyone = calendar_heatmap(frames, names={ids[1]: "Bo"})
    assert any("Bo (" in row["senders"] for row in datasets(everyone))


def test_calendar_of_an_empty_chat_renders() -> None:
    chart = calendar_heatmap(ChatFrames.empty())
    assert render_chart(chart, "svg").startswith(b"<svg")


# --------------------------------------------------------------------------- time to read


def test_time_to_read_summarises_each_readers_timed_receipts() -> None:
    ids = sender_ids(3)
    frames = crowd(ids)
    given = {ids[0]: "Me", ids[1]: "Bo", ids[2]: "Cy", LURKER: "Quinn"}
    rows = {row["reader"]: row for row in datasets(time_to_read_chart(frames, names=given))}
    receipts = frames["seen_by"].join(
        frames["messages"].select(pl.col("id").alias("message_id"), "timestamp"), on="message_id"
    )
    for reader, label in [
        (f"att_{ids[1]}", "Bo"),
        (LURKER, "Quinn"),
        (f"att_{ids[0]}", "Me (you)"),
    ]:
        times = sorted(
            (seen - sent).total_seconds() * 1000
            for seen, sent, who in receipts.select("seen_at", "timestamp", "attendee_id").rows()
            if who == reader and seen is not None
        )
        row = rows[label]
        assert row["read_receipts"] == len(times)
        assert row["p90"] == times[-(-len(times) * 9 // 10) - 1]
        assert row["median_text"]  # read as a duration, "1 h 12 min"


# --------------------------------------------------------------------------- interactivity


@pytest.mark.parametrize("name", list(ALL_CHARTS))
def test_every_mark_has_a_tooltip(name: str) -> None:
    spec = ALL_CHARTS[name](crowd(sender_ids(4))).to_dict()
    views = list(units(spec))
    assert views
    for view in views:
        encoding = view.get("encoding", {}) | spec.get("encoding", {})
        assert encoding.get("tooltip"), view["mark"]


def test_the_sender_legend_highlights_the_sender_clicked() -> None:
    spec = messages_over_time_chart(crowd(sender_ids(4))).to_dict()
    (param,) = spec["params"]
    assert param["name"] == SENDER_PICK
    assert param["select"] == {"type": "point", "fields": ["sender"]}
    assert param["bind"] == "legend"
    opacity = spec["encoding"]["opacity"]
    (picked,) = opacity["condition"]
    assert picked["param"] == SENDER_PICK
    assert opacity["value"] < picked["value"]


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("name", list(ALL_CHARTS))
def test_names_of_the_wrong_type_are_refused_before_any_read(name: str) -> None:
    counter = ScanCounter(crowd(sender_ids(2)))
    with pytest.raises(ArgumentTypeError) as caught:
        ALL_CHARTS[name](counter.frames, names=["Ada"])
    assert caught.value.argument == "names"
    assert not counter.reads


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda f: calendar_heatmap(f, sender_ids="ACoAA1"), "sender_ids"),
        (lambda f: calendar_heatmap(f, sender_ids=[1]), "each of sender_ids"),
        (lambda f: calendar_heatmap(f, tz=1), "tz"),
        (lambda f: calendar_heatmap(f, max_senders="3"), "max_senders"),
        (lambda f: calendar_heatmap([f]), "frames"),
        (lambda f: time_to_read_chart(f, max_senders="3"), "max_senders"),
        (lambda f: time_to_read_chart(f, names={"ACoAA1": 1}), "names['ACoAA1']"),
        (lambda f: time_to_read_chart([f]), "frames"),
    ],
)
def test_new_charts_name_arguments_of_the_wrong_type(call: Any, argument: str) -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        call(crowd(sender_ids(2)))
    assert caught.value.argument == argument


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda f: calendar_heatmap(f, tz="Mars/Olympus"), "tz"),
        (lambda f: time_to_read_chart(f, max_senders=0), "max_senders"),
        (
            lambda f: response_time_chart(
                f, names=pl.DataFrame({"sender_id": ["a"], "label": ["Ada"]})
            ),
            "names",
        ),
    ],
)
def test_new_charts_name_bad_values(call: Any, named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        call(crowd(sender_ids(2)))


def test_time_to_read_needs_the_read_receipts() -> None:
    frames: Mapping[str, pl.DataFrame] = {
        k: v for k, v in crowd(sender_ids(2)).items() if k != "seen_by"
    }
    with pytest.raises(SchemaValidationError, match="seen_by"):
        time_to_read_chart(frames)
