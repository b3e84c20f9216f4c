"""Altair, imported without compiling the IRI grammar that jsonschema loads on the side.

``import altair`` imports jsonschema, whose format checkers import ``rfc3987_syntax`` when it
is installed, and that module builds a Lark parser of the IRI grammar as it is imported:
about half of Altair's import time. Only the ``iri`` and ``iri-reference`` formats use it,
and Vega-Lite's schema has neither. For that one import, ``rfc3987_syntax`` stands in as a
module whose ``is_valid_syntax`` imports the real one on its first call, so a format check
that needs it still gets it, and later imports of ``rfc3987_syntax`` get the real module.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

_GRAMMAR = "rfc3987_syntax"


def _real() -> ModuleType:
    if getattr(sys.modules.get(_GRAMMAR), "_postpress_stand_in", False):
        del sys.modules[_GRAMMAR]
    return importlib.import_module(_GRAMMAR)


def _is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
    return _real().is_valid_syntax(*args, **kwargs)


def _attribute(name: str) -> Any:
    if name.startswith("__"):  # what the import system asks of any module (__path__, ...)
        raise AttributeError(name)
    return getattr(_real(), name)


def _stand_in() -> ModuleType:
    module = ModuleType(_GRAMMAR, "imports the real rfc3987_syntax on first use")
    module._postpress_stand_in = True  # type: ignore[attr-defined]
    module.is_valid_syntax = _is_valid_syntax  # type: ignore[attr-defined]
    module.__getattr__ = _attribute  # type: ignore[method-assign]
    return module


_standing_in = _GRAMMAR not in sys.modules and importlib.util.find_spec(_GRAMMAR) is not None
if _standing_in:
    sys.modules[_GRAMMAR] = _stand_in()
try:
    import altair as alt
finally:
    if _standing_in and getattr(sys.modules.get(_GRAMMAR), "_postpress_stand_in", False):
        del sys.modules[_GRAMMAR]

__all__ = ["alt"]
