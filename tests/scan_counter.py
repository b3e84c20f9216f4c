"""LazyFrames that count how often each table is read (the report and charts read each once)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

import polars as pl
from polars.io.plugins import register_io_source


class ScanCounter:
    """LazyFrames over in-memory tables that count how often each table is read."""

    def __init__(self, tables: Mapping[str, pl.DataFrame]) -> None:
        self.reads: Counter[str] = Counter()
        self.frames = {name: self._source(name, table) for name, table in tables.items()}

    def _source(self, name: str, table: pl.DataFrame) -> pl.LazyFrame:
        def read(
            with_columns: list[str] | None,
            predicate: pl.Expr | None,
            n_rows: int | None,
            batch_size: int | None,
        ) -> Iterator[pl.DataFrame]:
            self.reads[name] += 1
            rows = table if with_columns is None else table.select(with_columns)
            if predicate is not None:
                rows = rows.filter(predicate)
            yield rows if n_rows is None else rows.head(n_rows)

        return register_io_source(read, schema=table.schema)
