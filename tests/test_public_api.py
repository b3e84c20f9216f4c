"""The public API: `__all__` lists exactly the importable public names, lazily loaded, and the
public submodules (schemas, stats, charts, testing) expose theirs."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import postpress_frames

PUBLIC_SUBMODULES = (
    "postpress_frames.schemas",
    "postpress_frames.stats",
    "postpress_frames.charts",
    "postpress_frames.testing",
)
# What ``import postpress_frames`` must not load: names are imported on first use.
HEAVY = ("polars", "pandera", "altair", "requests")


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


def test_dir_lists_every_public_name() -> None:
    listed = dir(postpress_frames)
    assert set(postpress_frames.__all__) <= set(listed)
    assert listed == sorted(listed)


def test_errors_share_one_base() -> None:
    errors = [n for n in postpress_frames.__all__ if n.endswith("Error")]
    assert errors
    for name in errors:
        assert issubclass(getattr(postpress_frames, name), postpress_frames.PostpressError), name


def test_every_error_class_is_exported() -> None:
    from postpress_frames import _exceptions

    classes = [
        name
        for name in _exceptions.__all__
        if isinstance(getattr(_exceptions, name), type)
        and issubclass(getattr(_exceptions, name), _exceptions.PostpressError)
    ]
    assert "ArgumentTypeError" in classes and "StorageError" in classes
    assert sorted(set(classes) - set(postpress_frames.__all__)) == []


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        postpress_frames.no_such_name  # noqa: B018


def test_import_does_not_load_the_heavy_libraries() -> None:
    code = f"import sys, postpress_frames; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", PUBLIC_SUBMODULES)
def test_public_submodules_import_and_expose_their_all(name: str) -> None:
    module = importlib.import_module(name)
    names = module.__all__
    assert names, name
    assert len(names) == len(set(names)), name
    for public in names:
        assert getattr(module, public) is not None, f"{name}.{public}"
    assert set(names) <= set(dir(module)), name
