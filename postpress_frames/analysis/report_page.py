"""The report's page as data, and its HTML (package-internal API).

A page is a title, summary lines and :class:`Section`\\ s; a section is a title, an
explanation, tables (:class:`Table`: a row per person, a column per metric) and figures
(:class:`Figure`: an Altair chart with its heading and caption). :func:`render_page` turns
them into one HTML document that loads nothing: styles and scripts inline, and a
Content-Security-Policy that lets the browser fetch nothing even if asked to.

* Interactive (the default): each chart is its Vega-Lite spec as inline JSON, drawn by the
  Vega libraries inlined once at the end of the page (tooltips, legend selections). Where
  scripts do not run, a ``<noscript>`` note says how to get the static page.
* Static: each chart is an SVG image (a ``data:`` URI) rendered by vl-convert; no script.

>>> page = render_page(
...     title="Chat", summary=["2 people"], sections=[Section("s", "Volume", "How much.")],
...     static=True,
... )
>>> page.startswith("<!doctype html>"), "<h2>Volume</h2>" in page, "<script" in page
(True, True, False)
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from postpress_frames.analysis._altair import alt
from postpress_frames.analysis.export import GENERATOR
from postpress_frames.analysis.rendering import inline_spec, render_chart, vega_script

__all__ = [
    "GENERATOR_MARK",
    "Cell",
    "Column",
    "Figure",
    "Row",
    "Section",
    "Table",
    "render_page",
]

#: The mark in the head of every report: how ``write_report`` knows its own files.
GENERATOR_MARK: Final = f'<meta name="generator" content="{GENERATOR}">'

#: What the page may load: nothing but itself (inline styles, data-URI images and, in the
#: interactive page, inline scripts; Vega compiles expressions with ``Function``).
_POLICY_STATIC: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_POLICY_INTERACTIVE: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "script-src 'unsafe-inline' 'unsafe-eval'"
)

_STYLE: Final = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem auto;
       max-width: 1200px; padding: 0 1rem; color: #1f2328; line-height: 1.4; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d1d9e0; }
h3 { margin: 1.5rem 0 0.4rem; font-size: 1.05rem; }
.summary { color: #59636e; margin: 0.2rem 0; } nav { margin: 1rem 0; }
nav a { margin-right: 0.9rem; white-space: nowrap; } .note, .empty { color: #59636e; }
.scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-size: 0.88rem; }
th, td { border-bottom: 1px solid #d1d9e0; padding: 0.25rem 0.55rem; vertical-align: top; }
thead th { background: #f6f8fa; vertical-align: bottom; text-align: right; font-weight: 600;
           max-width: 9rem; }
thead th.who, th.who { text-align: left; }
td { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.text, thead th.text { text-align: left; white-space: normal; min-width: 8rem;
                         max-width: 16rem; }
th.who { font-weight: normal; white-space: nowrap; }
.name { display: inline-block; max-width: 15rem; overflow: hidden; text-overflow: ellipsis;
        white-space: nowrap; vertical-align: bottom; }
thead .name { max-width: 5.5rem; }
tr.chat th { background: #eef1f4; text-align: left; font-weight: 600; }
abbr[title] { text-decoration: underline dotted #8c959f; cursor: help; }
figure { margin: 1.2rem 0 2rem; } figcaption { color: #59636e; margin-top: 0.4rem; }
.chart { display: block; max-width: 100%; overflow-x: auto; }
.chart svg, figure img { max-width: 100%; height: auto; }
dl { display: grid; grid-template-columns: minmax(10rem, 24rem) 1fr; gap: 0.2rem 1rem; }
dt code { overflow-wrap: anywhere; } dd { margin: 0; }
"""

# Draws every chart of the page; sets data-charts on <html> once all are drawn ("drawn")
# or one failed ("failed": its container says why, and the console has the error).
_DRAW: Final = """
(function () {
  "use strict";
  var root = document.documentElement;
  var charts = Array.prototype.slice.call(document.querySelectorAll("[data-spec]"));
  Promise.all(charts.map(function (element) {
    var spec = JSON.parse(document.getElementById(element.dataset.spec).textContent);
    var options = {mode: "vega-lite", renderer: "svg", actions: false};
    return vegaEmbed(element, spec, options).catch(function (error) {
      element.textContent = "This chart could not be drawn: " + error;
      throw error;
    });
  })).then(function () {
    root.dataset.charts = "drawn";
  }, function (error) {
    root.dataset.charts = "failed";
    console.error(error);
  });
})();
"""

_HOVER: Final = "Hover over a mark for its numbers."
_NOSCRIPT: Final = (
    '<noscript><p class="note">The charts of this page are drawn by JavaScript, which is '
    "off here. The static report shows them as images: <code>postpress-frames report "
    "--static</code>, or <code>write_report(..., static=True)</code>.</p></noscript>"
)


@dataclass(frozen=True)
class Column:
    """A table column: its ``key`` (the metric), ``label`` (the header shown) and
    ``definition`` (the header's tooltip and the definitions list); ``text`` columns are
    left-aligned and wrap."""

    key: str
    label: str
    definition: str
    kind: Literal["number", "text"] = "number"


@dataclass(frozen=True)
class Cell:
    """A cell's text, and an optional tooltip."""

    text: str
    title: str = ""


@dataclass(frozen=True)
class Row:
    """A table row: the chat it belongs to, the person's label and its tooltip (the full
    id), and one cell per column."""

    chat_id: str
    label: str
    title: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    """One table: a heading, the row header's title, the columns and the rows (consecutive
    rows of one chat form its group). ``define`` puts its columns in the definitions."""

    heading: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    row_header: str = "person"
    define: bool = True
    empty: str = "No messages: nothing to count."


@dataclass(frozen=True)
class Figure:
    """A chart with its anchor, heading and caption; ``hint`` (how to use the interactive
    chart) follows the caption in the interactive page only."""

    anchor: str
    heading: str
    caption: str
    chart: alt.TopLevelMixin
    hint: str = ""


@dataclass(frozen=True)
class Section:
    """A part of the page: title, explanation (HTML-escaped text), tables, figures."""

    anchor: str
    title: str
    explanation: str
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()


def _name(text: str, title: str) -> str:
    """A person's label: cut with an ellipsis when long, its full text and id on hover;
    ``dir="auto"`` so a right-to-left name reads in its own direction."""
    tip = html.escape(title or text, quote=True)
    return f'<span class="name" dir="auto" title="{tip}">{html.escape(text)}</span>'


def _header(column: Column) -> str:
    cls = ' class="text"' if column.kind == "text" else ""
    if not column.definition:  # a person as a column (who reads whom)
        return f'<th scope="col"{cls}>{_name(column.label, column.key)}</th>'
    tip = html.escape(f"{column.key}: {column.definition}", quote=True)
    return f'<th scope="col"{cls}><abbr title="{tip}">{html.escape(column.label)}</abbr></th>'


def _cell(cell: Cell, column: Column) -> str:
    cls = ' class="text"' if column.kind == "text" else ""
    tip = f' title="{html.escape(cell.title, quote=True)}"' if cell.title else ""
    return f"<td{cls}{tip}>{html.escape(cell.text)}</td>"


def _table(table: Table, *, several_chats: bool) -> str:
    heading = f"<h3>{html.escape(table.heading)}</h3>" if table.heading else ""
    if not table.rows:
        return f'{heading}\n<p class="empty">{html.escape(table.empty)}</p>'
    head = "".join(_header(column) for column in table.columns)
    width = len(table.columns) + 1
    body: list[str] = []
    chat: str | None = None
    for row in table.rows:
        if several_chats and row.chat_id != chat:
            body.append(
                f'<tr class="chat"><th colspan="{width}" scope="rowgroup">Chat '
                f"{html.escape(row.chat_id)}</th></tr>"
            )
        chat = row.chat_id
        cells = "".join(_cell(c, col) for c, col in zip(row.cells, table.columns, strict=True))
        body.append(
            f'<tr><th scope="row" class="who">{_name(row.label, row.title)}</th>{cells}</tr>'
        )
    return (
        f'{heading}\n<div class="scroll"><table class="metrics"><thead><tr>'
        f'<th scope="col" class="who">{html.escape(table.row_header)}</th>{head}</tr></thead>\n'
        f"<tbody>\n{chr(10).join(body)}\n</tbody></table></div>"
    )


def _figure(figure: Figure, number: int, *, static: bool) -> str:
    heading = html.escape(figure.heading)
    if static:
        svg = base64.b64encode(render_chart(figure.chart, "svg")).decode("ascii")
        alt_text = html.escape(figure.heading, quote=True)
        drawing = f'<img alt="{alt_text}" src="data:image/svg+xml;base64,{svg}">'
    else:
        spec_id = f"spec-{number}"
        drawing = (
            f'<div class="chart" role="img" aria-label="{html.escape(figure.heading, quote=True)}"'
            f' data-spec="{spec_id}"></div>\n<script type="application/json" id="{spec_id}">'
            f"{inline_spec(figure.chart)}</script>"
        )
    caption = figure.caption if static else f"{figure.caption} {_HOVER} {figure.hint}"
    return (
        f'<figure id="{figure.anchor}"><h3>{heading}</h3>\n{drawing}\n'
        f"<figcaption>{html.escape(caption.strip())}</figcaption></figure>"
    )


def _definitions(sections: Sequence[Section]) -> str:
    parts: list[str] = []
    for section in sections:
        seen: dict[str, Column] = {}
        for table in section.tables:
            if table.define:
                seen.update((c.key, c) for c in table.columns if c.key not in seen)
        if not seen:
            continue
        items = "\n".join(
            f"<dt><code>{html.escape(c.key)}</code>"
            + (f" ({html.escape(c.label)})" if c.label != c.key else "")
            + f"</dt><dd>{html.escape(c.definition)}</dd>"
            for c in seen.values()
        )
        parts.append(f"<h3>{html.escape(section.title)}</h3>\n<dl>\n{items}\n</dl>")
    return "\n".join(parts)


def render_page(
    *,
    title: str,
    summary: Sequence[str],
    sections: Sequence[Section],
    static: bool,
    several_chats: bool = False,
    notes: Sequence[str] = (),
) -> str:
    """The page: ``summary`` lines under the title, a contents line, each section, and the
    definitions of every metric shown; ``notes`` (escaped text) close the definitions."""
    figures = iter(range(1, 1 + sum(len(s.figures) for s in sections)))
    blocks: list[str] = []
    for section in sections:
        tables = "\n".join(_table(t, several_chats=several_chats) for t in section.tables)
        drawings = "\n".join(_figure(f, next(figures), static=static) for f in section.figures)
        blocks.append(
            f'<section id="{section.anchor}">\n<h2>{html.escape(section.title)}</h2>\n'
            f"<p>{html.escape(section.explanation)}</p>\n{tables}\n{drawings}\n</section>"
        )
    contents = " ".join(
        f'<a href="#{s.anchor}">{html.escape(s.title)}</a>'
        for s in [*sections, Section("definitions", "Definitions", "")]
    )
    lines = "\n".join(f'<p class="summary">{html.escape(line)}</p>' for line in summary)
    closing = "\n".join(f"<p>{html.escape(note)}</p>" for note in notes)
    policy = _POLICY_STATIC if static else _POLICY_INTERACTIVE
    scripts = "" if static else f"<script>{vega_script()}</script>\n<script>{_DRAW}</script>\n"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
{GENERATOR_MARK}
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
{lines}
{"" if static else _NOSCRIPT}
<nav>{contents}</nav>
</header>
{chr(10).join(blocks)}
<section id="definitions">
<h2>Definitions</h2>
{closing}
{_definitions(sections)}
</section>
{scripts}</body>
</html>
"""
