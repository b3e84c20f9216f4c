"""One self-contained HTML page: every statistic per person, every chart, the definitions.

The page loads nothing: styles and scripts are inline and a Content-Security-Policy forbids
any request, so it opens offline, from a mail attachment or a file share. By default its
charts are interactive (tooltips, a legend that selects senders), drawn by the Vega
libraries inlined once in the file (about 0.9 MB); ``static=True`` writes SVG images
instead and no script, for viewers that run no JavaScript.

Layout: a summary (messages, items fetched, events left out; people and chats), then one
section per theme (volume, tenure, attachments and reactions, conversations,
responsiveness, rhythm, read receipts, content), each an explanation, a table with one row
per person and one column per metric (grouped by chat when there are several), and its
charts; the definitions of every metric close the page. Its head carries
``<meta name="generator" content="postpress-frames">``: :func:`write_report` replaces only
a file with that mark (an earlier report) and refuses anything else.

>>> from postpress_frames import frames_from_pages
>>> from postpress_frames.testing import demo_chat, demo_names
>>> frames = frames_from_pages([{"items": demo_chat(200), "cursor": None}])
>>> write_report(frames, "report.html", tz="Europe/Paris", names=demo_names())
PosixPath('report.html')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

import polars as pl

from postpress_frames._args import as_bool, as_path
from postpress_frames._exceptions import ArgumentTypeError
from postpress_frames._outputs import check_file_target
from postpress_frames.analysis.export import replace_file
from postpress_frames.analysis.inputs import (
    FrameLike,
    Inputs,
    check_positive,
    check_tz,
    prepare_inputs,
)
from postpress_frames.analysis.metrics import DEFAULT_RESPONSE_CAP, DEFAULT_SESSION_GAP
from postpress_frames.analysis.names import Names, names_frame
from postpress_frames.analysis.report_build import build_page
from postpress_frames.analysis.report_page import GENERATOR_MARK

__all__ = ["GENERATOR_MARK", "check_report_target", "is_report", "render_report", "write_report"]

_HEAD_BYTES: Final = 4096  # the mark comes within the first few lines


@dataclass(frozen=True)
class _Request:
    """The report's checked arguments; ``names`` as a ``names_frame``."""

    tz: str
    title: str
    session_gap: timedelta
    response_cap: timedelta
    names: pl.DataFrame
    static: bool


def render_report(
    frames: Mapping[str, FrameLike],
    *,
    tz: str = "UTC",
    title: str = "Sender activity",
    session_gap: timedelta = DEFAULT_SESSION_GAP,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    names: Names | None = None,
    static: bool = False,
) -> str:
    """The report as an HTML string (UTF-8, no external references).

    ``names`` (``sender_id -> name``, or a DataFrame with ``sender_id`` and ``name``) labels
    the people; without a name a person shows as a short id. ``static=True`` draws the
    charts as SVG images and puts no script in the page. Each table is read once (a
    ``seen_by`` table, when given, adds the read receipts; ``reactions.value`` the reactions
    used); the statistics are computed once and shared by the tables and the charts.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> page = render_report(ChatFrames.empty(), tz="Europe/Paris", title="Team chat")
    >>> page.startswith("<!doctype html>"), "<title>Team chat</title>" in page
    (True, True)
    """
    inputs, request = _checked(
        frames,
        tz=tz,
        title=title,
        session_gap=session_gap,
        response_cap=response_cap,
        names=names,
        static=static,
    )
    return _render(inputs, request, _rejects(frames))


def _checked(
    frames: Mapping[str, FrameLike],
    *,
    tz: str,
    title: str,
    session_gap: timedelta,
    response_cap: timedelta,
    names: Names | None,
    static: bool,
) -> tuple[Inputs, _Request]:
    """The report's arguments checked, and its tables prepared (nothing is read yet): the
    read receipts when ``frames`` has ``seen_by``, the reactions' values when they have one."""
    known = names_frame(names)
    check_tz(tz)
    check_positive("session_gap", session_gap)
    check_positive("response_cap", response_cap)
    if not isinstance(title, str):
        raise ArgumentTypeError("title", "a string", title)
    as_bool(static, "static")
    has_receipts = isinstance(frames, Mapping) and "seen_by" in frames
    inputs = prepare_inputs(frames, seen_by=has_receipts)
    request = _Request(tz, title, session_gap, response_cap, known, static)
    return inputs, request


def _render(inputs: Inputs, request: _Request, rejects: int) -> str:
    return build_page(
        inputs.collected(),
        tz=request.tz,
        title=request.title,
        session_gap=request.session_gap,
        response_cap=request.response_cap,
        names=request.names,
        static=request.static,
        rejects=rejects,
    )


def _rejects(frames: Mapping[str, FrameLike]) -> int:
    """How many messages a ChatFrames set aside as invalid (0 for other mappings)."""
    rejects = getattr(frames, "rejects", None)
    return rejects.height if isinstance(rejects, pl.DataFrame) else 0


def write_report(
    frames: Mapping[str, FrameLike],
    path: str | Path,
    *,
    tz: str = "UTC",
    title: str = "Sender activity",
    session_gap: timedelta = DEFAULT_SESSION_GAP,
    response_cap: timedelta = DEFAULT_RESPONSE_CAP,
    names: Names | None = None,
    static: bool = False,
) -> Path:
    """Render the report (see :func:`render_report`) and write it to ``path`` (UTF-8);
    returns the path.

    An existing file is replaced only when it is an earlier report (:func:`is_report`);
    anything else is refused with a ``StorageError`` naming the path, before the report is
    computed. The page is written aside and renamed into place.

    >>> from postpress_frames.tables.chat_frames import ChatFrames
    >>> write_report(ChatFrames.empty(), "out/report.html", static=True)
    PosixPath('out/report.html')
    >>> write_report(ChatFrames.empty(), "out/report.html")  # an earlier report: replaced
    PosixPath('out/report.html')
    >>> _ = Path("notes.html").write_text("<p>mine</p>")
    >>> from postpress_frames import StorageError
    >>> try:
    ...     write_report(ChatFrames.empty(), "notes.html")
    ... except StorageError as error:
    ...     print(error.path, Path("notes.html").read_text())
    notes.html <p>mine</p>
    """
    target = as_path(path, "path")
    inputs, request = _checked(
        frames,
        tz=tz,
        title=title,
        session_gap=session_gap,
        response_cap=response_cap,
        names=names,
        static=static,
    )
    check_report_target(target)
    page = _render(inputs, request, _rejects(frames))
    return replace_file(target, lambda tmp: tmp.write_text(page, encoding="utf-8"), what="a report")


def is_report(path: Path) -> bool:
    """Whether the file ``path`` is a report of ours (the generator mark in its head).

    >>> _ = Path("page.html").write_text("<!doctype html><title>mine</title>")
    >>> is_report(Path("page.html"))
    False
    """
    try:
        with path.open("rb") as file:
            head = file.read(_HEAD_BYTES)
    except OSError:
        return False
    return GENERATOR_MARK.encode() in head


def check_report_target(path: str | Path) -> Path:
    """``path`` when a report may be written there: absent, or an earlier report of ours."""
    return check_file_target(as_path(path, "path"), what="a report", ours=is_report)
