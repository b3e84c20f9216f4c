"""The README documents what users see: every statistic's definition."""

from __future__ import annotations

from pathlib import Path

from postpress_frames.analysis.stats import METRIC_DEFINITIONS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_statistic_is_defined_in_the_readme() -> None:
    for column, definition in METRIC_DEFINITIONS.items():
        assert f"| `{column}` | {definition} |" in README, column
