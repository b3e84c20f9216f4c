"""pandera's polars API, imported without the ``pyspark.pandas`` import pandera does on the side.

Whenever pyspark is installed, ``import pandera`` imports ``pyspark.pandas`` (and pandas) to
patch pandas type hints these models never use: about 2 s, and a FutureWarning under
pandas 3. The import is refused for that one moment only; later imports of
``pyspark.pandas`` by anyone work as usual.
"""

from __future__ import annotations

import sys

_SIDE_IMPORT = "pyspark.pandas"
_blocked = _SIDE_IMPORT not in sys.modules
if _blocked:
    sys.modules[_SIDE_IMPORT] = None  # type: ignore[assignment]  # None: "import fails"
try:
    import pandera.polars as pa
finally:
    if _blocked and sys.modules.get(_SIDE_IMPORT, _SIDE_IMPORT) is None:
        del sys.modules[_SIDE_IMPORT]

__all__ = ["pa"]
