"""Charts as bytes: PNG, SVG, offline HTML or JSON, rendered by vl-convert without a browser.

:func:`render_chart` and :func:`save_chart` are public through
:mod:`postpress_frames.analysis.charts` (and ``postpress_frames.charts``). For pages that
draw charts in the browser (the interactive report), :func:`inline_spec` gives a chart's
Vega-Lite spec and :func:`vega_script` the Vega, Vega-Lite and vega-embed JavaScript, both
as text safe to put inside a ``<script>`` element, so the page loads nothing.

>>> import altair as alt
>>> chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
>>> render_chart(chart, "svg")[:4]
b'<svg'
"""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path
from typing import Final, Literal

import vl_convert as vlc

from postpress_frames._args import as_path
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError
from postpress_frames.analysis._altair import alt

__all__ = ["ChartFormat", "inline_spec", "render_chart", "save_chart", "vega_script"]

ChartFormat = Literal["png", "svg", "html", "json"]
_FORMATS: Final = ("png", "svg", "html", "json")
# The bundle's entry point: the three libraries as globals (vl-convert's default snippet).
_GLOBALS: Final = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"
# What would end a <script> element early; "<\/" means "</" in JS strings and regexes.
_SCRIPT_END: Final = re.compile(r"</(?=script)", re.IGNORECASE)
_JSON_ESCAPES: Final = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _vegalite_version() -> str | None:
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vlc.get_vegalite_versions() else None


def render_chart(chart: alt.TopLevelMixin, fmt: ChartFormat, *, scale: float = 2.0) -> bytes:
    """The chart as PNG (``scale`` x pixels), SVG, offline HTML (scripts inlined) or JSON.

    >>> import altair as alt
    >>> chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
    >>> render_chart(chart, "png", scale=1)[:4]
    b'\x89PNG'
    """
    if not isinstance(chart, alt.TopLevelMixin):
        raise ArgumentTypeError("chart", "an Altair chart", chart)
    if not isinstance(fmt, str):
        raise ArgumentTypeError("fmt", "one of 'png', 'svg', 'html', 'json'", fmt)
    if fmt not in _FORMATS:
        raise ConfigurationError(f"chart format must be png, svg, html or json, got {fmt!r}")
    if isinstance(scale, bool) or not isinstance(scale, int | float):
        raise ArgumentTypeError("scale", "a positive number", scale)
    if not scale > 0 or not math.isfinite(scale):
        raise ConfigurationError(f"scale must be a positive number, got {scale!r}")
    spec = chart.to_dict()
    version = _vegalite_version()
    if fmt == "png":
        png: bytes = vlc.vegalite_to_png(spec, vl_version=version, scale=scale)
        return png
    if fmt == "svg":
        svg: str = vlc.vegalite_to_svg(spec, vl_version=version)
        return svg.encode()
    if fmt == "html":
        html: str = vlc.vegalite_to_html(spec, vl_version=version, bundle=True)
        return html.encode()
    return json.dumps(spec, indent=2).encode()


def save_chart(chart: alt.TopLevelMixin, path: str | Path, *, scale: float = 2.0) -> Path:
    """Write the chart to ``path`` in the format its suffix names (.png, .svg, .html,
    .json). HTML files carry the Vega scripts inline, so they open offline.

    >>> import altair as alt
    >>> chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
    >>> save_chart(chart, "out/chart.html")
    PosixPath('out/chart.html')
    """
    target = as_path(path, "path")
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in _FORMATS:
        raise ConfigurationError(
            f"cannot tell the chart format from {str(target)!r}: "
            "use a .png, .svg, .html or .json file name"
        )
    data = render_chart(chart, fmt, scale=scale)  # type: ignore[arg-type]  # checked above
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def inline_spec(chart: alt.TopLevelMixin) -> str:
    """The chart's Vega-Lite spec as compact JSON, data included, for a
    ``<script type="application/json">`` element: ``<``, ``>`` and ``&`` are escaped, so no
    text in the data (a sender's name, say) can end the element. No ``$schema`` URL: the
    page tells vega-embed the mode instead.

    >>> import altair as alt
    >>> chart = alt.Chart(alt.Data(values=[{"who": "</script>"}])).mark_point()
    >>> text = inline_spec(chart)
    >>> "</" in text, json.loads(text)["data"]
    (False, {'values': [{'who': '</script>'}]})
    """
    if not isinstance(chart, alt.TopLevelMixin):
        raise ArgumentTypeError("chart", "an Altair chart", chart)
    spec = chart.to_dict()
    spec.pop("$schema", None)
    text = json.dumps(spec, separators=(",", ":"), ensure_ascii=False)
    return re.sub("[<>&\u2028\u2029]", lambda match: _JSON_ESCAPES[match.group()], text)


@functools.cache
def vega_script() -> str:
    """The Vega, Vega-Lite (the version Altair writes) and vega-embed libraries as one
    script that defines ``vegaEmbed``, ``vega`` and ``vegaLite`` on ``window``; it loads
    nothing and is safe to inline in a ``<script>`` element (about 0.9 MB).

    >>> script = vega_script()
    >>> "window.vegaEmbed" in script, "</script" in script.lower()
    (True, False)
    """
    bundle: str = vlc.javascript_bundle(_GLOBALS, vl_version=_vegalite_version())
    return _SCRIPT_END.sub(r"<\\/", bundle)
