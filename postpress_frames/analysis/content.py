"""What people write: emoji, links and questions per sender, and the reactions they use.

:func:`content` follows the conventions of :mod:`~postpress_frames.analysis.stats`: event
messages are left out, deleted messages' text is gone (their emoji, links and questions do
not count), there is a row for every sender of a message or reaction, and a ``sender_name``
beside each ``sender_id``. :data:`CONTENT_METRICS` states each column.

* **Emoji** are what the ``emoji`` library finds (``emoji.emoji_list``): a ZWJ sequence
  (👨‍👩‍👧‍👦), a skin-toned emoji (👍🏽), a flag (🇫🇷) or a keycap (1️⃣) is one emoji,
  kept as written (❤️ with its variation selector and ❤ without are two values).
* **Links** start with ``http://``, ``https://`` or ``www.`` (any case) where a word starts
  (not right after a letter, mark, digit or ``_``) and a letter or digit follows; a link runs to
  the next whitespace, ``<``, ``>`` or ``"``, without its trailing punctuation
  (:data:`LINK_TRAILING`). A bare ``example.com`` is no link. Its *domain* is the host
  ``urllib.parse.urlsplit`` reads from it (lowercased, user and port dropped, trailing
  dots removed), without a leading ``www.``.
* **Questions** are messages whose text, without trailing whitespace, ends in a question
  mark: ``?``, the full-width one of CJK scripts (U+FF1F) or the Arabic ``؟``.
* **Top five** lists hold ``{value, count}`` structs, most frequent first, ties broken by
  value (code point order); fewer than five when there are fewer values, empty when none.

>>> from postpress_frames import frames_from_pages
>>> from postpress_frames.testing import demo_chat, demo_names
>>> frames = frames_from_pages([{"items": demo_chat(500), "cursor": None}])
>>> result = content(frames, names=demo_names())
>>> result.columns[:5], result.height
(['chat_id', 'sender_id', 'sender_name', 'emoji', 'emoji_distinct'], 4)
>>> result.get_column("sender_name").to_list()
['ياسمين حداد', 'Priya Raman', 'Léa Martin', '佐藤 春樹']
>>> result.select("emoji", "links", "questions").sum().row(0)
(285, 38, 96)
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Final

import emoji as emoji_library
import polars as pl

from postpress_frames.analysis.inputs import FrameLike, Inputs, prepare_inputs
from postpress_frames.analysis.metrics import CONTENT_SCHEMA, COUNT, TOP, TOP_N
from postpress_frames.analysis.names import Names, names_frame, with_names
from postpress_frames.analysis.sequence import KEPT

__all__ = ["LINK_PATTERN", "LINK_TRAILING", "QUESTION_MARKS", "content"]

#: Characters a link does not end with (sentence punctuation around it, ASCII and not).
LINK_TRAILING: Final = ".,;:!?…'\")]}»“”\u2019。、\uff01\uff1f\uff09؟،"
_LINK_BODY: Final = r"""[^\s<>"]"""
_LINK_END: Final = '[^\\s<>"' + "".join(f"\\x{{{ord(c):x}}}" for c in LINK_TRAILING) + "]"
#: A link (see the module docstring): its start, a letter or digit, then up to the last
#: character that is not trailing punctuation.
LINK_PATTERN: Final = rf"(?i)\b(?:https?://|www\.)[\p{{L}}\p{{N}}](?:{_LINK_BODY}*{_LINK_END})?"
#: The question marks a question ends with: ASCII, full-width (CJK) and Arabic.
QUESTION_MARKS: Final = "?\uff1f؟"

# Runs of the characters an emoji is made of (Extended_Pictographic and the non-ASCII
# Emoji_Component: ZWJ, variation selector, skin tones, regional indicators, tags, the
# keycap mark) and a keycap's ASCII base. Every emoji the library knows lies inside one
# run (the tests check all of them), so the library reads only these, once per distinct
# run: a few hundred strings instead of every text.
_EMOJI_RUN: Final = (
    r"(?:[0-9#*]\x{FE0F}?\x{20E3}|[\p{Extended_Pictographic}\p{Emoji_Component}--[\x00-\x7F]])+"
)

_KEYS: Final = ["chat_id", "sender_id"]
_EMPTY_TOP: Final = pl.lit(pl.Series([[]], dtype=TOP))


def content(frames: Mapping[str, FrameLike], *, names: Names | None = None) -> pl.DataFrame:
    """One row per ``chat_id`` and ``sender_id``: the emoji, links and questions in their
    messages and the reactions they give and receive (:data:`CONTENT_METRICS` states each
    column; the module docstring the rules).

    Rows: every sender of a message (events too) or of a reaction, sorted like
    :func:`~postpress_frames.analysis.stats.sender_activity` (chat, non-event messages
    descending, sender id). Counts are 0 and top lists empty when there is nothing.
    Eager frames or LazyFrames (a dataset) alike.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> empty = content(ChatFrames.empty())
    >>> empty.height, empty.schema["top_emoji"]
    (0, List(Struct({'value': String, 'count': Int64})))
    """
    known = names_frame(names)
    inputs = prepare_inputs(frames)
    return with_names(inputs.collect(content_plan(inputs)), known)


def content_plan(inputs: Inputs) -> pl.LazyFrame:
    """The plan of :func:`content` on prepared inputs whose reaction rows carry ``value``
    (all columns but ``sender_name``)."""
    texts = (
        inputs.written.filter(KEPT & pl.col("text").is_not_null())
        .group_by(*_KEYS, "text")
        .agg(n=pl.len())
    )

    runs = (
        texts.select(*_KEYS, "n", run=pl.col("text").str.extract_all(_EMOJI_RUN))
        .explode("run")
        .drop_nulls("run")
    )
    emoji_of_run = (
        runs.select("run")
        .unique()
        .with_columns(
            emoji=pl.col("run").map_batches(
                _emoji_lists, return_dtype=pl.List(pl.String), is_elementwise=True
            )
        )
    )
    emoji = _tops(
        runs.join(emoji_of_run, on="run").explode("emoji").drop_nulls("emoji"),
        "emoji",
        weight="n",
        total="emoji",
        distinct="emoji_distinct",
        top="top_emoji",
    )

    found = (
        texts.select(*_KEYS, "n", link=pl.col("text").str.extract_all(LINK_PATTERN))
        .explode("link")
        .drop_nulls("link")
    )
    domain_of_link = (
        found.select("link")
        .unique()
        .with_columns(
            domain=pl.col("link").map_batches(
                _domains, return_dtype=pl.String(), is_elementwise=True
            )
        )
    )
    linked = found.join(domain_of_link, on="link")
    links = linked.group_by(_KEYS).agg(links=pl.col("n").sum())
    domains = _tops(
        linked.drop_nulls("domain"),
        "domain",
        weight="n",
        distinct="link_domains",
        top="top_domains",
    )

    ends_in_mark = pl.col("text").str.strip_chars_end().str.contains(f"[{QUESTION_MARKS}]$")
    questions = texts.filter(ends_in_mark).group_by(_KEYS).agg(questions=pl.col("n").sum())

    reactions = inputs.reactions.filter(~pl.col("is_event") & pl.col("value").is_not_null())
    given = _tops(reactions, "value", top="top_reactions_given")
    received = _tops(
        reactions.drop("sender_id").rename({"author_id": "sender_id"}),
        "value",
        top="top_reactions_received",
    )

    written = inputs.written.group_by(_KEYS).agg(messages=pl.len())
    senders = pl.concat([inputs.messages.select(_KEYS), inputs.reactions.select(_KEYS)]).unique()
    joined = senders.join(written, on=_KEYS, how="left", nulls_equal=True)
    for part in (emoji, links, domains, questions, given, received):
        joined = joined.join(part, on=_KEYS, how="left", nulls_equal=True)
    result = joined.with_columns(
        *(
            pl.col(name).fill_null(_EMPTY_TOP if dtype == TOP else pl.lit(0))
            for name, dtype in CONTENT_SCHEMA.items()
            if name not in (*_KEYS, "sender_name")
        ),
        pl.col("messages").fill_null(0),
    )
    return result.sort(
        ["chat_id", "messages", "sender_id"], descending=[False, True, False]
    ).select(
        pl.col(name).cast(dtype) for name, dtype in CONTENT_SCHEMA.items() if name != "sender_name"
    )


def _tops(
    rows: pl.LazyFrame,
    column: str,
    *,
    weight: str | None = None,
    total: str | None = None,
    distinct: str | None = None,
    top: str,
) -> pl.LazyFrame:
    """Per chat and sender: the top list of ``column`` (rows weighted by ``weight``), and
    optionally the ``total`` count and the number of ``distinct`` values."""
    count = pl.len() if weight is None else pl.col(weight).sum()
    counts = rows.group_by(*_KEYS, pl.col(column).alias("value")).agg(count=count.cast(COUNT))
    ranked = pl.struct("value", "count").sort_by(["count", "value"], descending=[True, False])
    aggregations = [ranked.head(TOP_N).alias(top)]
    if total is not None:
        aggregations.append(pl.col("count").sum().alias(total))
    if distinct is not None:
        aggregations.append(pl.len().alias(distinct))
    return counts.group_by(_KEYS).agg(aggregations)


def _emoji_lists(runs: pl.Series) -> pl.Series:
    """The emoji of each run of emoji characters, as the ``emoji`` library splits it."""
    found = [[item["emoji"] for item in emoji_library.emoji_list(run)] for run in runs]
    return pl.Series(runs.name, found, dtype=pl.List(pl.String))


def _domain(link: str) -> str | None:
    url = link if link[:8].lower().startswith(("http://", "https://")) else f"http://{link}"
    try:
        host = urllib.parse.urlsplit(url).hostname
    except ValueError:  # e.g. a bracketed host that is no IPv6 address
        return None
    host = (host or "").rstrip(".")
    host = host.removeprefix("www.")
    return host or None


def _domains(links: pl.Series) -> pl.Series:
    return pl.Series(links.name, [_domain(link) for link in links], dtype=pl.String)
