"""Charts as bytes: PNG, SVG, offline HTML or JSON, rendered by vl-convert without a browser.

:func:`render_chart` and :func:`save_chart` are public through
:mod:`postpress_frames.analysis.charts` (and ``postpress_frames.charts``).

>>> import altair as alt
>>> chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
>>> render_chart(chart, "svg")[:4]
b'<svg'
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Final, Literal

import altair as alt
import vl_convert as vlc

from postpress_frames._args import as_path
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError

__all__ = ["ChartFormat", "render_chart", "save_chart"]

ChartFormat = Literal["png", "svg", "html", "json"]
_FORMATS: Final = ("png", "svg", "html", "json")


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
