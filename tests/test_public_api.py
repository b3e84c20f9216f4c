"""The public API: `__all__` lists exactly the importable public names, lazily loaded."""

from __future__ import annotations

import subprocess
import sys

import pytest

import postpress_frames


def test_all_matches_the_public_names() -> None:
    exported = set(postpress_frames._EXPORTS)
    assert set(postpress_frames.__all__) == exported | {"__version__"}
    assert len(postpress_frames.__all__) == len(set(postpress_frames.__all__))
    # Anything else public on the package is a submodule (imported by tests or users).
    stray = {
        name
        for name, value in vars(postpress_frames).items()
        if not name.startswith("_") and name not in exported and type(value).__name__ != "module"
    } - {"annotations", "TYPE_CHECKING", "Any"}
    assert stray == set()


def test_every_name_in_all_resolves() -> None:
    for name in postpress_frames.__all__:
        assert getattr(postpress_frames, name) is not None, name


def test_errors_share_one_base() -> None:
    errors = [n for n in postpress_frames.__all__ if n.endswith("Error")]
    assert errors
    for name in errors:
        assert issubclass(getattr(postpress_frames, name), postpress_frames.PostpressError), name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        postpress_frames.no_such_name  # noqa: B018


def test_import_does_not_load_the_heavy_libraries() -> None:
    code = "import sys, postpress_frames; print(sorted(m for m in ('polars', 'pandera', 'requests') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
