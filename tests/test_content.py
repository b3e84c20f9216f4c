"""content(): emoji, links, questions and reactions per sender, against a plain-Python
reference over the raw items and against cases worked out by hand."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import emoji
import polars as pl
import pytest

from postpress_frames._exceptions import ArgumentTypeError, SchemaValidationError
from postpress_frames.analysis.content import _EMOJI_RUN, content
from postpress_frames.analysis.metrics import CONTENT_METRICS, CONTENT_SCHEMA, TOP
from postpress_frames.storage.dataset import scan_dataset, write_dataset
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from postpress_frames.tables.schemas import (
    AttachmentSchema,
    MessageSchema,
    ReactionSchema,
    SeenBySchema,
    polars_schema,
)
from postpress_frames.testing import demo_chat, demo_chats, demo_names

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TRAILING = ".,;:!?…'\")]}»“”’。、！？）؟،"  # noqa: RUF001 (the punctuation a link drops)


# --------------------------------------------------------------------------- the reference


def is_word(char: str) -> bool:
    """A regex word character: letters, marks, decimal digits, connectors, joiners."""
    category = unicodedata.category(char)
    return category[0] in "LM" or category in ("Nd", "Nl", "Pc") or char in "\u200c\u200d"


def reference_links(text: str) -> list[str]:
    """The links of ``text``, by scanning it character by character."""
    found: list[str] = []
    lower = text.lower()
    i = 0
    while i < len(text):
        prefix = next((p for p in ("http://", "https://", "www.") if lower.startswith(p, i)), "")
        if prefix and (i == 0 or not is_word(text[i - 1])):
            end = i
            while end < len(text) and not text[end].isspace() and text[end] not in '<>"':
                end += 1
            link = text[i:end].rstrip(TRAILING)
            rest = link[len(prefix) :]
            if rest and (unicodedata.category(rest[0])[0] in "LN"):
                found.append(link)
                i = end
                continue
        i += 1
    return found


def reference_domain(link: str) -> str:
    """The host of ``link`` by hand: after the scheme, before the path, user and port."""
    rest = link.split("://", 1)[1] if link.lower().startswith(("http://", "https://")) else link
    for stop in "/?#":
        rest = rest.split(stop, 1)[0]
    host = rest.rsplit("@", 1)[-1].split(":", 1)[0].lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def is_question(text: str) -> bool:
    return text.rstrip()[-1:] in ("?", "？", "؟")  # noqa: RUF001


def top(counter: Counter[str]) -> list[dict[str, Any]]:
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return [{"value": value, "count": count} for value, count in ranked[:5]]


def reference_content(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of content() (without sender_name), sorted like it, by brute force."""
    unique = {(m["chat_id"], m["id"]): m for m in reversed(list(items))}  # first one wins
    senders: dict[tuple[str, str], dict[str, Any]] = {}

    def row(chat_id: str, sender_id: str) -> dict[str, Any]:
        return senders.setdefault(
            (chat_id, sender_id),
            {
                "messages": 0,
                "emoji": Counter(),
                "domains": Counter(),
                "links": 0,
                "questions": 0,
                "given": Counter(),
                "received": Counter(),
            },
        )

    for (chat_id, _), m in unique.items():
        mine = row(chat_id, m["sender_id"])
        for reaction in m["reactions"]:
            reactor = row(chat_id, reaction["sender_id"])
            if not m["is_event"]:
                reactor["given"][reaction["value"]] += 1
                mine["received"][reaction["value"]] += 1
        if m["is_event"]:
            continue
        mine["messages"] += 1
        text = m["text"]
        if m["deleted"] or text is None:
            continue
        mine["emoji"].update(e["emoji"] for e in emoji.emoji_list(text))
        links = reference_links(text)
        mine["links"] += len(links)
        mine["domains"].update(reference_domain(link) for link in links)
        mine["questions"] += is_question(text)
    rows = [
        {
            "chat_id": chat_id,
            "sender_id": sender_id,
            "emoji": sum(r["emoji"].values()),
            "emoji_distinct": len(r["emoji"]),
            "top_emoji": top(r["emoji"]),
            "links": r["links"],
            "link_domains": len(r["domains"]),
            "top_domains": top(r["domains"]),
            "questions": r["questions"],
            "top_reactions_given": top(r["given"]),
            "top_reactions_received": top(r["received"]),
            "_messages": r["messages"],
        }
        for (chat_id, sender_id), r in senders.items()
    ]
    rows.sort(key=lambda r: (r["chat_id"], -r["_messages"], r["sender_id"]))
    for r in rows:
        del r["_messages"]
    return rows


def frames_of(items: Sequence[Mapping[str, Any]]) -> ChatFrames:
    return frames_from_pages([{"object": "MessageList", "items": list(items), "cursor": None}])


def without_names(result: pl.DataFrame) -> list[dict[str, Any]]:
    return result.drop("sender_name").to_dicts()


@pytest.mark.parametrize(("n_messages", "seed"), [(0, 0), (40, 1), (600, 2), (1500, 3), (3000, 11)])
def test_content_matches_the_reference_on_demo_chats(n_messages: int, seed: int) -> None:
    items = demo_chat(n_messages, seed=seed)
    assert without_names(content(frames_of(items))) == reference_content(items)


def test_content_matches_the_reference_on_several_chats() -> None:
    items = [m for chat in demo_chats(3, 400, seed=5).values() for m in chat]
    result = content(frames_of(items))
    assert result.get_column("chat_id").n_unique() == 3
    assert without_names(result) == reference_content(items)


# --------------------------------------------------------------------------- hand-built chats


def chat(
    *messages: Mapping[str, Any],
    reactions: Iterable[Mapping[str, Any]] = (),
    chat_id: str = "chat_1",
) -> ChatFrames:
    """A ChatFrames of ``messages`` (ids m1, m2, ... a minute apart), sender A the account."""
    rows = []
    for number, given in enumerate(messages, start=1):
        rows.append(
            {
                "id": f"m{number}",
                "provider_id": f"p{number}",
                "account_id": "acc",
                "chat_id": chat_id,
                "chat_provider_id": "cp",
                "sender_attendee_id": f"att_{given['sender_id']}",
                "timestamp": T0 + timedelta(minutes=number),
                "is_sender": given["sender_id"] == "A",
                "seen": True,
                "hidden": False,
                "deleted": False,
                "edited": False,
                "is_event": False,
                "delivered": True,
                "original": "{}",
                **given,
            }
        )
    reaction_rows = [
        {"position": i, "is_sender": r["sender_id"] == "A", **r} for i, r in enumerate(reactions)
    ]
    return ChatFrames(
        messages=pl.DataFrame(rows, schema=polars_schema(MessageSchema)),
        attachments=pl.DataFrame(schema=polars_schema(AttachmentSchema)),
        reactions=pl.DataFrame(reaction_rows, schema=polars_schema(ReactionSchema)),
        seen_by=pl.DataFrame(schema=polars_schema(SeenBySchema)),
    )


def one(frames: ChatFrames, sender: str = "A", **options: Any) -> dict[str, Any]:
    rows = {r["sender_id"]: r for r in content(frames, **options).to_dicts()}
    return rows[sender]


def said(*texts: str | None, sender: str = "A", **fields: Any) -> list[dict[str, Any]]:
    return [{"sender_id": sender, "text": text, **fields} for text in texts]


def test_hand_built_chats_are_valid_frames() -> None:
    chat(*said("hi 👍"), reactions=[{"message_id": "m1", "sender_id": "B", "value": "❤️"}])


def test_multi_codepoint_emoji_count_once() -> None:
    family = "👨\u200d👩\u200d👧\u200d👦"
    row = one(chat(*said(f"{family} and 👍🏽👍🏽 from 🇫🇷🇯🇵", "no emoji at all", "1️⃣ ❤️ ❤")))
    assert row["emoji"] == 8
    for single in (family, "👍🏽", "🇫🇷", "🏳️‍🌈", "🧑🏿‍🚀", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"):
        assert one(chat(*said(f"x{single}y")))["top_emoji"] == [{"value": single, "count": 1}]
    assert row["emoji_distinct"] == 7  # ❤️ (with VS16) and ❤ are two values, as written
    assert row["top_emoji"] == [
        {"value": "👍🏽", "count": 2},
        {"value": "1️⃣", "count": 1},
        {"value": "❤", "count": 1},
        {"value": "❤️", "count": 1},
        {"value": "🇫🇷", "count": 1},
    ]  # ties by code point: U+0031 < U+2764 < U+2764 U+FE0F < U+1F1EB (🇫🇷) < U+1F468 (family)


def test_no_emoji_gives_zero_and_an_empty_list() -> None:
    row = one(chat(*said("plain text", "", None)))
    assert (row["emoji"], row["emoji_distinct"], row["top_emoji"]) == (0, 0, [])
    assert (row["links"], row["link_domains"], row["top_domains"]) == (0, 0, [])
    assert row["top_reactions_given"] == row["top_reactions_received"] == []


def test_deleted_and_event_messages_are_not_counted() -> None:
    frames = chat(
        *said("gone 🎉 https://github.com/x?", deleted=True),
        *said("joined 🎉 www.example.com?", is_event=True),
        *said("kept 🎉"),
        reactions=[
            {"message_id": "m1", "sender_id": "B", "value": "👍"},  # on a deleted message
            {"message_id": "m2", "sender_id": "B", "value": "😂"},  # on an event
        ],
    )
    row = one(frames)
    assert (row["emoji"], row["links"], row["questions"]) == (1, 0, 0)
    assert row["top_reactions_received"] == [{"value": "👍", "count": 1}]
    assert one(frames, "B")["top_reactions_given"] == [{"value": "👍", "count": 1}]


LINK_CASES = [
    ("see https://github.com/a/b/pull/1.", ["https://github.com/a/b/pull/1"], ["github.com"]),
    ("(www.LinkedIn.com/in/ada)", ["www.LinkedIn.com/in/ada"], ["linkedin.com"]),
    ("HTTPS://Docs.Google.com:443/d/x?usp=sharing!", None, ["docs.google.com"]),
    ("two: https://youtu.be/abc,https://youtu.be/def", None, ["youtu.be"]),
    ("http://user@staging.acme.io:8443/login", None, ["staging.acme.io"]),
    ("<https://acme.io/x>", ["https://acme.io/x"], ["acme.io"]),
    ('"https://acme.io/q?a=1&b=2"', ["https://acme.io/q?a=1&b=2"], ["acme.io"]),
    (
        "https://ja.wikipedia.org/wiki/新幹線。",
        ["https://ja.wikipedia.org/wiki/新幹線"],
        ["ja.wikipedia.org"],
    ),
    ("https://github.com./x", None, ["github.com"]),
    ("example.com and ftp://files.acme.io are no links", [], []),
    ("xhttps://acme.io nor awww.acme.io nor https:// nor www.", [], []),
    ("www2.acme.io no, but https://www2.acme.io yes", None, ["www2.acme.io"]),
    ("https://www.acme.io/a https://acme.io/b\nwww.acme.io", None, ["acme.io"] * 3),
]


@pytest.mark.parametrize(("text", "links", "domains"), LINK_CASES)
def test_link_forms(text: str, links: list[str] | None, domains: list[str]) -> None:
    if links is not None:
        assert reference_links(text) == links
    assert [reference_domain(link) for link in reference_links(text)] == domains
    row = one(chat(*said(text)))
    assert row["links"] == len(domains)
    assert row["link_domains"] == len(set(domains))
    assert row["top_domains"] == top(Counter(domains))


def test_top_domains_count_links_and_break_ties_by_domain() -> None:
    texts = [
        "https://b.io https://a.io",
        "https://c.io https://c.io",
        "www.d.io https://e.io https://f.io https://g.io",
    ]
    row = one(chat(*said(*texts)))
    assert (row["links"], row["link_domains"]) == (8, 7)
    assert [d["value"] for d in row["top_domains"]] == ["c.io", "a.io", "b.io", "d.io", "e.io"]


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Ready?", True),
        ("Ready? \n\t", True),
        ("Prêt ?", True),
        ("準備できた？", True),  # noqa: RUF001 (the full-width question mark)
        ("جاهز؟", True),
        ("Ready?!", False),
        ("Ready? 😅", False),
        ("¿Listo", False),
        ("What? No.", False),
        ("https://acme.io/?", True),
        ("", False),
    ],
)
def test_questions_end_in_a_question_mark(text: str, question: bool) -> None:
    assert one(chat(*said(text)))["questions"] == int(question) == int(is_question(text))


def test_reaction_ties_go_to_the_smaller_value_and_lists_stop_at_five() -> None:
    values = ["😂", "👍", "🎉", "❤️", "🔥", "🙏", "👍", "😂"]
    frames = chat(
        *said("one", sender="A"),
        *said("two", sender="B"),
        reactions=[
            {"message_id": "m1" if i % 2 else "m2", "sender_id": "C", "value": value}
            for i, value in enumerate(values)
        ],
    )
    given = one(frames, "C")["top_reactions_given"]
    assert given == [
        {"value": "👍", "count": 2},
        {"value": "😂", "count": 2},
        {"value": "❤️", "count": 1},
        {"value": "🎉", "count": 1},
        {"value": "🔥", "count": 1},
    ]
    assert one(frames, "A")["top_reactions_received"] == top(Counter(values[1::2]))
    assert one(frames, "B")["top_reactions_received"] == top(Counter(values[0::2]))
    assert one(frames, "C")["top_reactions_received"] == []


def test_rows_for_every_sender_sorted_like_sender_activity() -> None:
    frames = chat(
        *said("a", "b", sender="B"),
        *said("c", sender="A"),
        *said("d", "e", sender="D", is_event=True),  # only events: no messages
        reactions=[{"message_id": "m1", "sender_id": "C", "value": "👍"}],  # only a reaction
    )
    result = content(frames)
    assert result.get_column("sender_id").to_list() == ["B", "A", "C", "D"]
    assert list(result.schema.items()) == list(CONTENT_SCHEMA.items())


def test_emoji_runs_hold_every_emoji_the_library_knows() -> None:
    every = pl.Series(list(emoji.EMOJI_DATA))
    assert every.str.extract_all(_EMOJI_RUN).to_list() == [[e] for e in every]


def test_emoji_found_in_mixed_text_are_those_of_the_whole_text() -> None:
    rng = random.Random(7)
    pieces = [*rng.sample(list(emoji.EMOJI_DATA), 300), "a", " ", "1", "#", "\ufe0f", "\u200d"]
    pieces += ["\u20e3", "🏽", "🇫", "ok", "日本", "مرحبا", "\u0301", "9"]
    texts = ["".join(rng.choices(pieces, k=rng.randint(1, 12))) for _ in range(400)]
    items = [{"sender_id": f"s{i:03d}", "text": text} for i, text in enumerate(texts)]
    result = content(chat(*items))
    found = {r["sender_id"]: r for r in result.to_dicts()}
    for item in items:
        expected = Counter(e["emoji"] for e in emoji.emoji_list(item["text"]))
        row = found[item["sender_id"]]
        assert (row["emoji"], row["top_emoji"]) == (expected.total(), top(expected)), item


# --------------------------------------------------------------------------- inputs and names


def test_a_lazy_dataset_gives_the_same_result(tmp_path: Path) -> None:
    items = [m for chat in demo_chats(3, 300, seed=2).values() for m in chat]
    frames = frames_of(items)
    write_dataset(frames, tmp_path / "lake")
    lazy = scan_dataset(tmp_path / "lake")
    assert all(isinstance(table, pl.LazyFrame) for table in lazy.values())
    result = content(lazy)
    assert result.get_column("chat_id").n_unique() == 3
    assert result.equals(content(frames))


def test_names_are_applied() -> None:
    frames = frames_of(demo_chat(300, seed=1))
    names = demo_names()
    result = content(frames, names=names)
    assert result.columns[:3] == ["chat_id", "sender_id", "sender_name"]
    assert result.get_column("sender_name").to_list() == [
        names[s] for s in result.get_column("sender_id")
    ]
    given = pl.DataFrame({"sender_id": list(names), "name": list(names.values())})
    assert content(frames, names=given).equals(result)
    unnamed = content(frames).get_column("sender_name")
    assert all(label.endswith("…") for label in unnamed)


def test_empty_frames_give_an_empty_typed_table() -> None:
    result = content(ChatFrames.empty())
    assert result.height == 0
    assert dict(result.schema) == dict(CONTENT_SCHEMA)
    assert result.schema["top_emoji"] == TOP


def test_every_column_has_a_definition_and_a_dtype() -> None:
    assert list(CONTENT_METRICS) == list(content(ChatFrames.empty()).columns)
    assert all(metric.definition.endswith(".") for metric in CONTENT_METRICS.values())


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda frames: content(frames["messages"]), "frames"),
        (lambda frames: content({**frames, "reactions": "x"}), "frames['reactions']"),
        (lambda frames: content(frames, names=["Ada"]), "names"),
        (lambda frames: content(frames, names={"A": 1}), "names['A']"),
    ],
)
def test_wrong_types_are_argument_type_errors(call: Any, argument: str) -> None:
    frames = dict(chat(*said("hi")).items())
    with pytest.raises(ArgumentTypeError) as caught:
        call(frames)
    assert caught.value.argument == argument


def test_names_are_checked_before_the_frames() -> None:
    with pytest.raises(ArgumentTypeError) as caught:
        content("not frames", names=["Ada"])  # type: ignore[arg-type]
    assert caught.value.argument == "names"


def test_a_missing_or_mistyped_reaction_value_is_named() -> None:
    frames = dict(chat(*said("hi")).items())
    with pytest.raises(SchemaValidationError, match="value"):
        content({**frames, "reactions": frames["reactions"].drop("value")})
    with pytest.raises(SchemaValidationError, match=r"value.*Int32, not String"):
        content({**frames, "reactions": frames["reactions"].with_columns(value=pl.lit(1))})
    categorical = frames["reactions"].with_columns(pl.col("value").cast(pl.Categorical))
    assert content({**frames, "reactions": categorical}).height == 1


# --------------------------------------------------------------------------- the demo chat


def test_the_demo_chat_has_links_emoji_and_questions() -> None:
    result = content(frames_of(demo_chat(2000)))
    domains = {d["value"] for row in result.get_column("top_domains") for d in row}
    assert result.get_column("link_domains").max() >= 3  # type: ignore[operator]
    assert {"github.com", "docs.google.com", "linkedin.com", "youtu.be"} <= domains
    assert result.get_column("emoji_distinct").max() >= 10  # type: ignore[operator]
    assert result.get_column("questions").min() > 0  # type: ignore[operator]
    tops = {e["value"] for row in result.get_column("top_emoji") for e in row}
    assert len(tops) >= 5
